package config

import (
	"fmt"
	"strings"
)

// expand replaces each ${NAME} in s with getenv(NAME). "$${" stands for a
// literal "${"; a "$" not followed by "{" is kept as it is. Expansion happens
// once, on a scalar the YAML parser already read, so a value containing ":",
// "#" or "${" is never re-read as YAML or expanded again.
//
// It returns one message per variable that is unset or empty, and one for
// a malformed reference; the messages never contain a variable's value.
func expand(s string, getenv func(string) string) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var problems []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' { // "$${": a literal "${"
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			problems = append(problems, fmt.Sprintf("unterminated variable reference %q: write ${NAME}", clip(s[i:])))
			break
		}
		name := s[i+2 : i+end]
		s = s[i+end+1:]
		if !isEnvName(name) {
			problems = append(problems, fmt.Sprintf("%q is not a variable reference: write ${NAME} with letters, digits and _", clip("${"+name+"}")))
			continue
		}
		v := getenv(name)
		if v == "" {
			problems = append(problems, "environment variable "+name+" is not set")
			continue
		}
		b.WriteString(v)
	}
	return b.String(), problems
}

// isEnvName reports whether name is a portable environment variable name.
func isEnvName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, c := range name {
		if c != '_' && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// clip shortens text quoted in a message.
func clip(s string) string {
	const limit = 40
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}
