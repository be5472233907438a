package storetest

import (
	"context"
	"testing"

	"github.com/accessbot/accessbot/access"
)

// testValues: a value reads back as written, is replaced, removed by "",
// and keys are independent; bad keys are EINVALID on every engine.
func testValues(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	get := func(key string) string {
		t.Helper()
		v, err := s.Value(ctx, key)
		if err != nil {
			t.Fatalf("Value(%q): %v", key, err)
		}
		return v
	}
	set := func(key, value string) {
		t.Helper()
		if err := s.SetValue(ctx, key, value); err != nil {
			t.Fatalf("SetValue(%q): %v", key, err)
		}
	}
	AssertEqual(t, "unset value", get("usage.cursor"), "")
	set("usage.cursor", "/api/v1/logs?after=1_x&filter=é ✓")
	set("other", "o")
	AssertEqual(t, "value", get("usage.cursor"), "/api/v1/logs?after=1_x&filter=é ✓")
	set("usage.cursor", "second")
	AssertEqual(t, "replaced value", get("usage.cursor"), "second")
	set("usage.cursor", "")
	AssertEqual(t, "removed value", get("usage.cursor"), "")
	AssertEqual(t, "other key", get("other"), "o")
	for _, bad := range [][2]string{{"", "v"}, {"k\x00", "v"}, {"k", "v\x00"}} {
		if err := s.SetValue(ctx, bad[0], bad[1]); access.ErrorCode(err) != access.EINVALID {
			t.Errorf("SetValue(%q, %q) = %v, want EINVALID", bad[0], bad[1], err)
		}
	}
}
