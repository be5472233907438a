package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// checkProblems asserts that err is a *Problems holding exactly want, in order.
func checkProblems(t *testing.T, err error, want []Problem) {
	t.Helper()
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error = %v (%T), want *Problems", err, err)
	}
	got := []Problem(*ps)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("problems:\n%s\nwant:\n%s", list(got), list(want))
	}
}

func list(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\t%s\n", p)
	}
	return b.String()
}

// section is a top-level key of a test config and the YAML under it.
type section struct{ key, body string }

// baseSections make a small valid config; tests replace, drop or add sections.
var baseSections = []section{
	{"slack", "  app_token: xapp-1-A1-1-abc\n  bot_token: xoxb-1-2-abc\n"},
	{"okta", "  org_url: https://acme.okta.com\n  api_token: okta-token\n"},
	{"pagerduty", "  api_token: pd-token\n"},
	{"resources", "  - id: aws-prod\n    okta_group: 00g1\n    approvers: [alice@acme.com, bob@acme.com]\n    durations: [1h, 4h]\n"},
}

// configWith renders the base config with sections replaced by with (a body
// of "-" drops the section; keys not in the base are added at the end).
func configWith(with map[string]string) []byte {
	var b strings.Builder
	done := map[string]bool{}
	write := func(key, body string) {
		done[key] = true
		if body == "-" {
			return
		}
		if strings.HasPrefix(body, " ") || body == "" {
			b.WriteString(key + ":\n" + body)
		} else {
			b.WriteString(key + ": " + body + "\n") // a flow value on the key's line
		}
	}
	for _, s := range baseSections {
		body, ok := with[s.key]
		if !ok {
			body = s.body
		}
		write(s.key, body)
	}
	for _, key := range []string{"store", "audit", "http", "admins", "timing", "policies", "delegation", "resource_sources", "bundles"} {
		if body, ok := with[key]; ok {
			write(key, body)
		}
	}
	for key, body := range with {
		if !done[key] {
			panic("configWith: unexpected section " + key)
		}
		_ = body
	}
	return []byte(b.String())
}

// parseValid parses data and fails the test unless it is valid.
func parseValid(t *testing.T, data []byte, getenv func(string) string) *Config {
	t.Helper()
	cfg, err := Parse(data, getenv)
	if err != nil {
		t.Fatalf("Parse:\n%s\nerror:\n%v", data, err)
	}
	return cfg
}
