package bot

import (
	"fmt"
	"testing"

	"github.com/accessbot/accessbot/access"
)

func manyResources(n int) *access.Catalog {
	var list []access.Resource
	for i := range n {
		list = append(list, access.Resource{ID: fmt.Sprintf("jit-aws-%04d-admin", i), Name: fmt.Sprintf("JIT AWS %04d Admin", i), Description: "account " + fmt.Sprint(i)})
	}
	list = append(list, access.Resource{ID: "db-prod", Name: "Production database", Description: "the admin role on the primary"})
	return access.NewCatalog(list)
}

func TestMatchResources(t *testing.T) {
	cat := manyResources(300)
	if got := matchResources(cat, "", maxOptions); len(got) != maxOptions {
		t.Errorf("an empty query suggests %d, want the first %d", len(got), maxOptions)
	}
	got := matchResources(cat, "0042 ADMIN", maxOptions)
	if len(got) != 1 || got[0].Value != "jit-aws-0042-admin" {
		t.Errorf("every word, any case: %v", got)
	}
	// A name that starts with the query comes before one that only contains it.
	got = matchResources(cat, "prod", maxOptions)
	if len(got) != 1 || got[0].Value != "db-prod" {
		t.Errorf("prod: %v", got)
	}
	got = matchResources(cat, "admin", 5)
	if len(got) != 5 {
		t.Errorf("limit: %d", len(got))
	}
	if got := matchResources(cat, "nothing-like-it", maxOptions); len(got) != 0 {
		t.Errorf("no match: %v", got)
	}
}

// BenchmarkMatchResources measures the answer to a block_suggestion over
// 5000 resources, which rides on the envelope's ack (Slack waits 3 s).
func BenchmarkMatchResources(b *testing.B) {
	cat := manyResources(5000)
	b.ReportAllocs()
	for b.Loop() {
		matchResources(cat, "aws 49 admin", maxOptions)
	}
}
