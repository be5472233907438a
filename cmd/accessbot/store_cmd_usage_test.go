package main

import (
	"path/filepath"
	"testing"

	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
	"github.com/accessbot/accessbot/workflow"
)

// store copy carries the usage poller's System Log cursor and the drift
// state, so a bot on the copy neither reads the log afresh nor reports
// drift again.
func TestStoreCopyKeepsTheBackgroundState(t *testing.T) {
	dir := t.TempDir()
	from := config.Store{Path: filepath.Join(dir, "from.db")}
	pg := config.Store{URL: pgtest.URL(t)}
	back := config.Store{Path: filepath.Join(dir, "back.db")}
	values := map[string]string{workflow.UsageCursorKey: "/api/v1/logs?after=1abc_fake&filter=x", workflow.DriftStateKey: `{"seq":7}`}
	withStore(t, from, func(st Store) struct{} {
		for k, v := range values {
			if err := st.SetValue(t.Context(), k, v); err != nil {
				t.Fatal(err)
			}
		}
		return struct{}{}
	})
	env := map[string]string{"DATABASE_URL": pg.URL}
	for _, step := range [][2]string{{from.Path, "${DATABASE_URL}"}, {"${DATABASE_URL}", back.Path}} {
		if _, stderr, code := storeCopy(t, env, "--from", step[0], "--to", step[1]); code != exitOK {
			t.Fatalf("copy %s to %s: exit %d\n%s", step[0], step[1], code, stderr)
		}
	}
	for _, cfg := range []config.Store{pg, back} {
		withStore(t, cfg, func(st Store) struct{} {
			for k, want := range values {
				if got, err := st.Value(t.Context(), k); err != nil || got != want {
					t.Errorf("%s: %s = %q (%v), want %q", storeName(cfg), k, got, err, want)
				}
			}
			return struct{}{}
		})
	}
}
