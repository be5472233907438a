package fakeokta

import (
	"fmt"
	"strings"
)

// expr is a parsed Okta search/filter expression such as
// `profile.email eq "alice@example.com" and status eq "ACTIVE"`.
// Supported: the operators eq, ne, sw, co, pr, gt, ge, lt, le on the
// attributes each resource declares (userFields, groupFields, appFields,
// logFields); and, or, parentheses. String comparisons ignore case, as
// Okta's do.
type expr interface {
	match(rec record) bool
}

// record gives the values of an attribute of one object; an attribute with
// several values (a log event's target.id) matches when any value does.
type record func(field string) []string

type orExpr []expr
type andExpr []expr

type cmpExpr struct {
	field, op, value string
}

func (o orExpr) match(rec record) bool {
	for _, e := range o {
		if e.match(rec) {
			return true
		}
	}
	return false
}

func (a andExpr) match(rec record) bool {
	for _, e := range a {
		if !e.match(rec) {
			return false
		}
	}
	return true
}

func userRecord(u *User) record {
	return func(field string) []string { return []string{userField(u, field)} }
}

func userField(u *User, field string) string {
	if strings.HasPrefix(field, "profile.") {
		if v, found := u.Profile[strings.TrimPrefix(field, "profile.")]; found {
			return v
		}
	}
	switch field {
	case "id":
		return u.ID
	case "status":
		return u.Status
	case "created", "lastUpdated":
		return timestamp
	case "profile.login":
		return u.Login
	case "profile.email":
		return u.Email
	case "profile.firstName":
		return u.FirstName
	case "profile.lastName":
		return u.LastName
	}
	return ""
}

// userFields are the user attributes a search or filter may name; any
// other profile.* attribute is accepted too (custom profile attributes).
var userFields = map[string]bool{"id": true, "status": true, "created": true, "lastUpdated": true,
	"profile.login": true, "profile.email": true, "profile.firstName": true, "profile.lastName": true, "profile.*": true}

func (c cmpExpr) match(rec record) bool {
	for _, v := range rec(c.field) {
		if c.matchOne(v) {
			return true
		}
	}
	return false
}

func (c cmpExpr) matchOne(v string) bool {
	got := strings.ToLower(v)
	want := strings.ToLower(c.value)
	switch c.op {
	case "eq":
		return got == want
	case "ne":
		return got != want
	case "sw":
		return strings.HasPrefix(got, want)
	case "co":
		return strings.Contains(got, want)
	case "pr":
		return got != ""
	case "gt":
		return got > want
	case "ge":
		return got >= want
	case "lt":
		return got < want
	case "le":
		return got <= want
	}
	return false
}

// parseExpr parses a search or filter expression over the given attributes
// ("profile.*" in fields admits any profile attribute).
func parseExpr(s string, fields map[string]bool) (expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, fields: fields}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{text: string(c)})
			i++
		case c == '"':
			var b strings.Builder
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated string")
			}
			i++
			toks = append(toks, token{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '(' && s[j] != ')' && s[j] != '"' {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks   []token
	pos    int
	fields map[string]bool
}

func (p *parser) peekWord(w string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *parser) or() (expr, error) {
	var out orExpr
	for {
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.peekWord("or") {
			break
		}
		p.pos++
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (p *parser) and() (expr, error) {
	var out andExpr
	for {
		e, err := p.term()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.peekWord("and") {
			break
		}
		p.pos++
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (p *parser) term() (expr, error) {
	if p.peekWord("(") {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peekWord(")") {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return e, nil
	}
	if p.pos+1 >= len(p.toks) {
		return nil, fmt.Errorf("incomplete expression")
	}
	field, op := p.toks[p.pos].text, strings.ToLower(p.toks[p.pos+1].text)
	if !p.fields[field] && !(p.fields["profile.*"] && strings.HasPrefix(field, "profile.")) {
		return nil, fmt.Errorf("unsupported attribute %q", field)
	}
	p.pos += 2
	if op == "pr" {
		return cmpExpr{field: field, op: op}, nil
	}
	switch op {
	case "eq", "ne", "sw", "co", "gt", "ge", "lt", "le":
	default:
		return nil, fmt.Errorf("unsupported operator %q", op)
	}
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("missing value")
	}
	v := p.toks[p.pos]
	p.pos++
	return cmpExpr{field: field, op: op, value: v.text}, nil
}
