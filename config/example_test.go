package config

import (
	"reflect"
	"slices"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// exampleEnv holds plausible values for the variables the example uses.
var exampleEnv = map[string]string{
	"SLACK_APP_TOKEN":     "xapp-1-A0123456789-1234567890123-abcdef",
	"SLACK_BOT_TOKEN":     "xoxb-1234567890-1234567890123-abcdefABCDEF",
	"OKTA_ORG_URL":        "https://acme.okta.com",
	"OKTA_API_TOKEN":      "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd",
	"PAGERDUTY_API_TOKEN": "u+AbCdEfGhIjKlMnOpQr",
}

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestExampleIsValid(t *testing.T) {
	cfg, err := Parse(Example(), envFrom(exampleEnv))
	if err != nil {
		t.Fatalf("Parse(Example()) = %v", err)
	}
	want := "config OK: 5 resources (4 groups, 1 app), 4 policies, 1 bundle, 2 resource sources (resources discovered from Okta), on-call on for 2 resources"
	if got := cfg.Summary(); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestExampleNeedsItsVariables(t *testing.T) {
	_, err := Parse(Example(), envFrom(nil))
	want := []Problem{
		{"slack.app_token", "environment variable SLACK_APP_TOKEN is not set"},
		{"slack.bot_token", "environment variable SLACK_BOT_TOKEN is not set"},
		{"okta.org_url", "environment variable OKTA_ORG_URL is not set"},
		{"okta.api_token", "environment variable OKTA_API_TOKEN is not set"},
		{"pagerduty.api_token", "environment variable PAGERDUTY_API_TOKEN is not set"},
	}
	checkProblems(t, err, want)
}

func TestExampleReturnsACopy(t *testing.T) {
	a := Example()
	a[0] = 'X'
	if Example()[0] == 'X' {
		t.Error("changing Example()'s result changed the next one")
	}
}

// TestExampleDocumentsEveryKey keeps the example usable as the config
// reference: every key the decoder knows appears in it, with a comment at
// its first appearance.
func TestExampleDocumentsEveryKey(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(Example(), &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{} // key pattern → commented at its first appearance
	var walk func(n *yaml.Node, pattern string)
	walk = func(n *yaml.Node, pattern string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := keyPath(pattern, k.Value)
				if pattern == "policies" {
					p = "policies.*"
				}
				commented := k.HeadComment != "" || k.LineComment != "" ||
					i == 0 && n.HeadComment != "" // the first key of a list item
				if _, seen := documented[p]; !seen {
					documented[p] = commented
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for _, item := range n.Content {
				walk(item, pattern+"[]")
			}
		}
	}
	walk(doc.Content[0], "")

	for _, key := range schemaKeys(reflect.TypeFor[fileConfig](), "") {
		commented, present := documented[key]
		switch {
		case !present:
			t.Errorf("example.yaml lacks %s", key)
		case !commented:
			t.Errorf("example.yaml: %s has no comment where it first appears", key)
		}
	}
}

// schemaKeys lists the key patterns of a file* type: "resources[].oncall.schedules".
func schemaKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	keys, index := fieldKeys(t)
	for _, k := range keys {
		p := keyPath(prefix, k)
		out = append(out, p)
		ft := t.Field(index[k]).Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, schemaKeys(ft, p)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, schemaKeys(ft.Elem(), p+"[]")...)
		case ft.Kind() == reflect.Map:
			out = append(out, schemaKeys(ft.Elem(), p+".*")...)
		}
	}
	return slices.Compact(out)
}
