package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/store"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
	"github.com/accessbot/accessbot/store/storetest"
)

// fillHistory gives st requests in every state, due times, updates and
// refused attempts: more requests and events than one copy batch.
func fillHistory(t *testing.T, st Store) {
	t.Helper()
	ctx := t.Context()
	states := []access.State{access.StatePending, access.StateApproved, access.StateActive, access.StateExpired,
		access.StateRevoked, access.StateDenied, access.StateCancelled, access.StateTimedOut, access.StateFailed}
	full := storetest.FullRequest()
	if err := st.Create(ctx, full, storetest.Event(access.EventRequested, full)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	for i := range copyBatch + 234 {
		r := storetest.NewRequest(fmt.Sprintf("req-%05d", i), fmt.Sprintf("U%d", i%37), storetest.T0.Add(time.Duration(i)*time.Second), access.StatePending)
		r.Due = r.CreatedAt.Add(24 * time.Hour)
		if err := st.Create(ctx, r, storetest.Event(access.EventRequested, r)); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if i%3 == 0 {
			continue
		}
		_, err := st.Update(ctx, r.ID, func(r *access.Request) ([]access.Event, error) {
			r.State = states[i%len(states)]
			r.Due = time.Time{}
			if !r.State.Final() {
				r.Due = storetest.T0.Add(time.Duration(i%50) * time.Minute)
			}
			return []access.Event{storetest.Event(access.EventApproved, r), storetest.Event(access.EventProvisioned, r)}, nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if i%7 == 0 {
			if err := st.Append(ctx, storetest.Event(access.EventRefused, r)); err != nil {
				t.Fatalf("Append: %v", err)
			}
		}
	}
}

// snapshot is everything a store holds, as its readers see it.
type snapshot struct {
	Requests []*access.Request
	Events   []access.Event
	Due      []string
	Open     []string
	Mine     []string
	Next     time.Time
	LastSeq  uint64
}

func snapshotOf(t *testing.T, st Store) snapshot {
	t.Helper()
	ctx := t.Context()
	var s snapshot
	var err error
	if s.Requests, err = st.RequestsAfter(ctx, "", 0); err != nil {
		t.Fatalf("RequestsAfter: %v", err)
	}
	if s.Events, err = st.Events(ctx, access.EventFilter{}); err != nil {
		t.Fatalf("Events: %v", err)
	}
	due, err := st.ListDue(ctx, storetest.T0.Add(1000*time.Hour), 0)
	if err != nil {
		t.Fatalf("ListDue: %v", err)
	}
	for _, r := range due {
		s.Due = append(s.Due, storetest.DueEntry(r.Due, r.ID))
	}
	open, err := st.ListOpen(ctx)
	if err != nil {
		t.Fatalf("ListOpen: %v", err)
	}
	for _, r := range open {
		s.Open = append(s.Open, r.ID)
	}
	mine, err := st.ListByRequester(ctx, "U5", false)
	if err != nil {
		t.Fatalf("ListByRequester: %v", err)
	}
	for _, r := range mine {
		s.Mine = append(s.Mine, r.ID)
	}
	if s.Next, err = st.NextDue(ctx, storetest.T0); err != nil {
		t.Fatalf("NextDue: %v", err)
	}
	if s.LastSeq, err = st.LastSeq(ctx); err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return s
}

// withStore opens cfg's store, calls fn on it and closes it.
func withStore[T any](t *testing.T, cfg config.Store, fn func(Store) T) T {
	t.Helper()
	st, err := openStore(t.Context(), cfg, 0)
	if err != nil {
		t.Fatalf("open %s: %v", storeName(cfg), err)
	}
	defer st.Close()
	return fn(st)
}

func storeCopy(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Command(t.Context(), append([]string{"store", "copy"}, args...), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

// TestStoreCopyBothWays copies a bbolt store with history into PostgreSQL
// and back into a new file: every request, due time and event (with its
// number) survives both ways, and a non-empty target is refused untouched.
func TestStoreCopyBothWays(t *testing.T) {
	dir := t.TempDir()
	boltCfg := config.Store{Path: filepath.Join(dir, "accessbot.db")}
	pgCfg := config.Store{URL: pgtest.URL(t)}
	backCfg := config.Store{Path: filepath.Join(dir, "back.db")}
	env := map[string]string{"DATABASE_URL": pgCfg.URL}

	fill, err := store.Open(boltCfg.Path, store.Options{NoSync: true}) // fsyncs would take most of the test's time
	if err != nil {
		t.Fatal(err)
	}
	fillHistory(t, fill)
	if err := fill.Close(); err != nil {
		t.Fatal(err)
	}
	want := withStore(t, boltCfg, func(st Store) snapshot { return snapshotOf(t, st) })
	if len(want.Requests) <= copyBatch || len(want.Events) <= copyBatch || len(want.Due) == 0 || len(want.Open) == 0 || len(want.Mine) == 0 {
		t.Fatalf("history too small to test paging: %d requests, %d events, %d due, %d open", len(want.Requests), len(want.Events), len(want.Due), len(want.Open))
	}

	stdout, stderr, code := storeCopy(t, env, "--from", boltCfg.Path, "--to", "${DATABASE_URL}")
	if code != exitOK {
		t.Fatalf("copy bbolt to PostgreSQL: exit %d\n%s", code, stderr)
	}
	if w := fmt.Sprintf("copied %d request(s) and %d audit event(s)", len(want.Requests), len(want.Events)); !strings.Contains(stdout, w) {
		t.Errorf("stdout = %q, want it to say %q", stdout, w)
	}
	storetest.AssertEqual(t, "PostgreSQL after the copy", withStore(t, pgCfg, func(st Store) snapshot { return snapshotOf(t, st) }), want)

	if _, stderr, code := storeCopy(t, env, "--from", pgCfg.URL, "--to", backCfg.Path); code != exitOK {
		t.Fatalf("copy PostgreSQL to bbolt: exit %d\n%s", code, stderr)
	}
	storetest.AssertEqual(t, "bbolt after the copy back", withStore(t, backCfg, func(st Store) snapshot { return snapshotOf(t, st) }), want)

	for _, tc := range []struct{ from, to string }{{boltCfg.Path, pgCfg.URL}, {pgCfg.URL, backCfg.Path}} {
		_, stderr, code := storeCopy(t, env, "--from", tc.from, "--to", tc.to)
		if code != exitFailed || !strings.Contains(stderr, "not empty") {
			t.Errorf("copy into a non-empty store: exit %d, stderr %q; want %d and a refusal", code, stderr, exitFailed)
		}
	}
	storetest.AssertEqual(t, "PostgreSQL after a refused copy", withStore(t, pgCfg, func(st Store) snapshot { return snapshotOf(t, st) }), want)
	storetest.AssertEqual(t, "bbolt after a refused copy", withStore(t, backCfg, func(st Store) snapshot { return snapshotOf(t, st) }), want)
}

func TestStoreCopyUsage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--to", db}, exitUsage, "--from is required"},
		{[]string{"--from", db}, exitUsage, "--to is required"},
		{[]string{"--from", db, "--to", dir + "/./a.db"}, exitUsage, "name the same store"},
		{[]string{"--from", "${NOPE}", "--to", db}, exitUsage, "the environment variable NOPE is not set"},
		{[]string{"--from", filepath.Join(dir, "missing.db"), "--to", db}, exitFailed, "no store at"},
	} {
		_, stderr, code := storeCopy(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("store copy %q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a refused copy created the target file")
	}
}

// TestAuditExportReadsPostgres exports from a PostgreSQL store directly,
// as while replicas run, and never shows the URL's password.
func TestAuditExportReadsPostgres(t *testing.T) {
	url := pgtest.URL(t)
	withPassword := strings.Replace(url, "accessbot@", "accessbot:s3cret@", 1) // trust auth ignores it
	want := withStore(t, config.Store{URL: url}, func(st Store) []access.Event {
		r := storetest.FullRequest()
		if err := st.Create(t.Context(), r, storetest.Event(access.EventRequested, r), storetest.Event(access.EventApproved, r)); err != nil {
			t.Fatalf("Create: %v", err)
		}
		evs, err := st.Events(t.Context(), access.EventFilter{})
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		return evs
	})
	cfgPath := filepath.Join(t.TempDir(), "accessbot.yaml")
	cfgYAML := `slack:
  app_token: xapp-1-A1-1-abc
  bot_token: xoxb-1-2-abc
okta:
  org_url: https://acme.okta.com
  api_token: okta-token
store:
  url: ${DATABASE_URL}
resources:
  - id: aws-prod-read
    okta_group: 00g1
    approvers: [alice@acme.com, bob@acme.com]
    durations: [1h]
`
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Command(t.Context(), []string{"audit", "export", "--config", cfgPath}, &out, &errb, func(k string) string {
		if k == "DATABASE_URL" {
			return withPassword
		}
		return ""
	})
	if code != exitOK {
		t.Fatalf("audit export: exit %d\n%s", code, errb.String())
	}
	storetest.AssertEqual(t, "exported events", audJSONL(t, out.String()), want)
	if !strings.Contains(errb.String(), "reading the audit trail from the store postgres://") || strings.Contains(errb.String(), "s3cret") {
		t.Errorf("stderr = %q, want it to name the database without its password", errb.String())
	}
}
