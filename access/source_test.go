package access

import (
	"slices"
	"testing"
	"time"
)

func TestDefaultSourceID(t *testing.T) {
	for in, want := range map[string]string{
		"JIT AWS Admin":           "jit-aws-admin",
		"jit-aws-admin":           "jit-aws-admin",
		"  AWS / Prod (read)  ":   "aws-prod-read",
		"Ünïcode Grüppe_01":       "n-code-gr-ppe-01",
		"___":                     "",
		"prod.db:admin@eu-west-1": "prod-db-admin-eu-west-1",
	} {
		if got := DefaultSourceID(in); got != want {
			t.Errorf("DefaultSourceID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestYield(t *testing.T) {
	id, err := ParseSourceTemplate(`{{ .Name | trimPrefix "JIT " | slug }}`)
	if err != nil {
		t.Fatal(err)
	}
	rule := SourceRule{ID: id, Template: Resource{Approvers: []string{"a@x.com"}, Durations: []time.Duration{time.Hour}, MinApprovals: 1}}
	got := rule.Yield([]SourceItem{
		{ID: "00g1", Name: "JIT Admin", Description: "d", Kind: TargetGroup},
		{ID: "00g2", Name: "jit admin", Kind: TargetGroup},  // slug "jit-admin": the prefix is case-sensitive
		{ID: "00g3", Name: "JIT  admin", Kind: TargetGroup}, // the same id as the first
		{ID: "00g4", Name: "JIT ***", Kind: TargetGroup},    // an empty id
	})
	want := []struct {
		id   string
		skip SkipReason
	}{{"admin", ""}, {"jit-admin", ""}, {"admin", SkipDuplicateID}, {"", SkipInvalidID}}
	for i, w := range want {
		if got[i].Resource.ID != w.id || got[i].Skip != w.skip {
			t.Errorf("item %d: id %q skip %q, want %q %q", i, got[i].Resource.ID, got[i].Skip, w.id, w.skip)
		}
	}
	r := got[0].Resource
	if r.Target != (Target{Kind: TargetGroup, ID: "00g1"}) || r.Name != "JIT Admin" || r.Description != "d" || !r.IsApprover("a@x.com") {
		t.Errorf("resource = %+v", r)
	}
	// Each resource has its own copy of the shared settings.
	got[0].Resource.Approvers[0] = "changed"
	if got[1].Resource.Approvers[0] != "a@x.com" || rule.Template.Approvers[0] != "a@x.com" {
		t.Error("yielded resources share the rule's approvers slice")
	}
}

func TestParseSourceTemplateRefusesUnknownField(t *testing.T) {
	if _, err := ParseSourceTemplate("{{ .Label }}"); err == nil {
		t.Error("a template naming an unknown field parsed")
	}
	if _, err := ParseSourceTemplate("{{ .Name | nosuch }}"); err == nil {
		t.Error("a template naming an unknown function parsed")
	}
}

func TestMergeAndCompareCatalogs(t *testing.T) {
	g := func(id, target string, approvers ...string) Resource {
		return Resource{ID: id, Name: id, Target: Target{Kind: TargetGroup, ID: target}, Approvers: approvers}
	}
	configured := []Resource{g("db", "00gdb", "a@x.com")}
	rule1 := []Discovered{{Resource: g("db", "00gother")}, {Resource: g("aws", "00gaws")}}
	rule2 := []Discovered{{Resource: g("aws", "00gaws2")}, {Resource: g("gcp", "00ggcp")}}
	cat := MergeCatalog(configured, [][]Discovered{rule1, rule2})
	var ids []string
	for _, r := range cat.All() {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"db", "aws", "gcp"}) {
		t.Errorf("catalog = %v", ids)
	}
	if rule1[0].Skip != SkipConfigured || rule2[0].Skip != SkipOtherRule {
		t.Errorf("skips = %q, %q", rule1[0].Skip, rule2[0].Skip)
	}
	if db, _ := cat.Get("db"); db.Target.ID != "00gdb" {
		t.Errorf("the configured resource lost to a discovered one: %+v", db)
	}

	next := NewCatalog([]Resource{g("db", "00gdb", "b@x.com"), g("aws", "00gaws-new"), g("new", "00gnew")})
	c := CompareCatalogs(cat, next)
	if !slices.Equal(c.Added, []string{"new"}) || !slices.Equal(c.Removed, []string{"gcp"}) ||
		!slices.Equal(c.Repointed, []string{"aws"}) || !slices.Equal(c.ApproversChanged, []string{"db"}) || c.Empty() {
		t.Errorf("change = %+v", c)
	}
	if !CompareCatalogs(next, next).Empty() {
		t.Error("a catalog compared with itself changed")
	}
}
