package access

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// SourceRule turns the Okta groups or apps that match a query into
// requestable resources (config's resource_sources). Every resource a rule
// yields shares the rule's settings: approvers, durations, approvals,
// extension and on-call policy come from Template.
type SourceRule struct {
	// GroupSearch is an Okta group search expression; set it or AppFilter/AppPrefix.
	GroupSearch string
	// Apps, when true, lists apps with AppFilter (an Okta filter, "" for
	// all) whose label starts with AppPrefix (ignoring case).
	Apps      bool
	AppFilter string
	AppPrefix string
	// ID, Name and Description build each resource from what Okta holds;
	// nil takes the defaults (DefaultSourceID, the Okta name, the Okta
	// description).
	ID, Name, Description *SourceTemplate
	// Template holds the settings every yielded resource shares; its ID,
	// Name, Description and Target are set per resource.
	Template Resource
	// Refresh is how often the rule is evaluated again.
	Refresh time.Duration
	// Key names the rule in messages and logs ("resource_sources[0]").
	Key string
}

// SourceItem is one Okta group or app as a rule's templates see it: .ID,
// .Name (a group's name, an app's label), .Description, .Kind ("group" or "app").
type SourceItem struct {
	ID, Name, Description string
	Kind                  TargetKind
}

// SourceTemplate is a text/template over a SourceItem with the functions
// slug, lower, upper, trimPrefix and replace, for the id, name and
// description of discovered resources.
type SourceTemplate struct {
	text string
	t    *template.Template
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// DefaultSourceID is the id a discovered resource gets without an id
// template: its Okta name in lower case with every run of characters other
// than a-z and 0-9 turned into one "-", and no "-" at either end
// ("JIT AWS Admin" → "jit-aws-admin").
func DefaultSourceID(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

var sourceFuncs = template.FuncMap{
	"slug":       DefaultSourceID,
	"lower":      strings.ToLower,
	"upper":      strings.ToUpper,
	"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
	"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
}

// ParseSourceTemplate parses a template such as `{{ .Name | slug }}`; an
// error says what Go's template parser found wrong, or which field is not
// one of ID, Name, Description and Kind.
func ParseSourceTemplate(text string) (*SourceTemplate, error) {
	t, err := template.New("source").Option("missingkey=error").Funcs(sourceFuncs).Parse(text)
	if err != nil {
		return nil, err
	}
	st := &SourceTemplate{text: text, t: t}
	// Run it once on a sample, so a misspelt field is found by validate and
	// not at the first refresh.
	if _, err := st.Execute(SourceItem{ID: "00gSAMPLE", Name: "Sample", Description: "Sample", Kind: TargetGroup}); err != nil {
		return nil, err
	}
	return st, nil
}

// Execute fills the template in for item.
func (st *SourceTemplate) Execute(item SourceItem) (string, error) {
	var b strings.Builder
	if err := st.t.Execute(&b, item); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// String returns the template as written.
func (st *SourceTemplate) String() string { return st.text }

// SkipReason says why an Okta item yields no resource.
type SkipReason string

const (
	SkipTemplate    SkipReason = "template_failed" // a template could not be filled in (SkipDetail says how)
	SkipInvalidID   SkipReason = "invalid_id"      // the id is not a valid resource id
	SkipDuplicateID SkipReason = "duplicate_id"    // an earlier item of the rule yielded the id
	SkipConfigured  SkipReason = "configured"      // a configured resource has the id, and wins
	SkipOtherRule   SkipReason = "other_rule"      // an earlier rule yielded the id
)

// Discovered is one resource a rule yields, or why an item yields none.
type Discovered struct {
	Resource   Resource // valid when Skip is ""
	Item       SourceItem
	Skip       SkipReason
	SkipDetail string // the template's error, for SkipTemplate
}

// validDiscoveredID is the form configured ids take (they are typed in commands).
var validDiscoveredID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Yield turns items into resources by rule, in items' order. An item whose
// id is not a valid resource id, or repeats one yielded before, is skipped
// with the reason (Resource.ID still says which id it would have had).
func (rule *SourceRule) Yield(items []SourceItem) []Discovered {
	out := make([]Discovered, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		d := Discovered{Item: it}
		r, err := rule.resource(it)
		d.Resource.ID = r.ID
		switch {
		case err != nil:
			d.Skip, d.SkipDetail = SkipTemplate, err.Error()
		case !validDiscoveredID.MatchString(r.ID):
			d.Skip = SkipInvalidID
		case seen[r.ID]:
			d.Skip = SkipDuplicateID
		default:
			seen[r.ID] = true
			d.Resource = r
		}
		out = append(out, d)
	}
	return out
}

func (rule *SourceRule) resource(it SourceItem) (Resource, error) {
	r := rule.Template
	r.Approvers = append([]string(nil), r.Approvers...)
	r.Durations = append([]time.Duration(nil), r.Durations...)
	r.Target = Target{Kind: it.Kind, ID: it.ID}
	r.ID, r.Name, r.Description = DefaultSourceID(it.Name), it.Name, it.Description
	for _, f := range []struct {
		t   *SourceTemplate
		out *string
	}{{rule.ID, &r.ID}, {rule.Name, &r.Name}, {rule.Description, &r.Description}} {
		if f.t == nil {
			continue
		}
		v, err := f.t.Execute(it)
		if err != nil {
			return r, fmt.Errorf("template %q: %w", f.t, err)
		}
		*f.out = v
	}
	if r.Name == "" {
		r.Name = r.ID
	}
	return r, nil
}
