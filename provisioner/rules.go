package provisioner

import (
	"strings"
)

// ruleExpr is a group rule's condition in the small part of Okta
// Expression Language that can be evaluated here: comparisons of a profile
// attribute with a string (user.department == "Engineering", !=), joined
// by AND/OR (also && and ||) with parentheses. Okta evaluates rules on its
// side and does not say which rule added a member, so this is how a member
// is told apart as added by a rule.
type ruleExpr interface {
	eval(profile map[string]any) bool
}

type ruleCmp struct {
	attr, value string
	negate      bool
}

type ruleAnd []ruleExpr
type ruleOr []ruleExpr

func (c ruleCmp) eval(profile map[string]any) bool {
	v, _ := profile[c.attr].(string)
	return (v == c.value) != c.negate
}

func (a ruleAnd) eval(profile map[string]any) bool {
	for _, e := range a {
		if !e.eval(profile) {
			return false
		}
	}
	return true
}

func (o ruleOr) eval(profile map[string]any) bool {
	for _, e := range o {
		if e.eval(profile) {
			return true
		}
	}
	return false
}

// parseRule parses s, or reports false when s uses anything beyond the
// supported part (functions, numbers, group membership...).
func parseRule(s string) (ruleExpr, bool) {
	toks, ok := ruleTokens(s)
	if !ok || len(toks) == 0 {
		return nil, false
	}
	p := &ruleParser{toks: toks}
	e, ok := p.or()
	if !ok || p.pos != len(p.toks) {
		return nil, false
	}
	return e, true
}

type ruleToken struct {
	text   string
	quoted bool
}

func ruleTokens(s string) ([]ruleToken, bool) {
	var toks []ruleToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			toks = append(toks, ruleToken{text: string(c)})
			i++
		case strings.HasPrefix(s[i:], "==") || strings.HasPrefix(s[i:], "!=") ||
			strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||"):
			toks = append(toks, ruleToken{text: s[i : i+2]})
			i += 2
		case c == '"':
			var b strings.Builder
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			i++
			toks = append(toks, ruleToken{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(s) && (s[j] == '.' || s[j] == '_' || 'a' <= s[j]|0x20 && s[j]|0x20 <= 'z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			if j == i {
				return nil, false
			}
			toks = append(toks, ruleToken{text: s[i:j]})
			i = j
		}
	}
	return toks, true
}

type ruleParser struct {
	toks []ruleToken
	pos  int
}

func (p *ruleParser) word(ws ...string) bool {
	if p.pos >= len(p.toks) || p.toks[p.pos].quoted {
		return false
	}
	for _, w := range ws {
		if strings.EqualFold(p.toks[p.pos].text, w) {
			p.pos++
			return true
		}
	}
	return false
}

func (p *ruleParser) or() (ruleExpr, bool) {
	var out ruleOr
	for {
		e, ok := p.and()
		if !ok {
			return nil, false
		}
		out = append(out, e)
		if !p.word("OR", "||") {
			return out, true
		}
	}
}

func (p *ruleParser) and() (ruleExpr, bool) {
	var out ruleAnd
	for {
		e, ok := p.term()
		if !ok {
			return nil, false
		}
		out = append(out, e)
		if !p.word("AND", "&&") {
			return out, true
		}
	}
}

func (p *ruleParser) term() (ruleExpr, bool) {
	if p.word("(") {
		e, ok := p.or()
		if !ok || !p.word(")") {
			return nil, false
		}
		return e, true
	}
	if p.pos >= len(p.toks) {
		return nil, false
	}
	attr := p.toks[p.pos]
	if attr.quoted || !strings.HasPrefix(attr.text, "user.") || strings.Count(attr.text, ".") != 1 {
		return nil, false
	}
	p.pos++
	negate := false
	switch {
	case p.word("=="):
	case p.word("!="):
		negate = true
	default:
		return nil, false
	}
	if p.pos >= len(p.toks) || !p.toks[p.pos].quoted {
		return nil, false
	}
	v := p.toks[p.pos].text
	p.pos++
	return ruleCmp{attr: strings.TrimPrefix(attr.text, "user."), value: v, negate: negate}, true
}
