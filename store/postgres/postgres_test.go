package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
	"github.com/accessbot/accessbot/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openTest opens a store on a fresh database and closes it when the test ends.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	url := pgtest.URL(t)
	s, err := Open(t.Context(), url, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s, url
}

// TestStoreContract runs the engine-independent store suite on PostgreSQL.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Engine {
		s, _ := openTest(t)
		return storetest.Engine{Store: s, Indexes: pgIndexes{s}}
	})
}

// pgIndexes reads the indexed columns for the suite.
type pgIndexes struct{ s *Store }

func (p pgIndexes) Due(tb testing.TB) []string {
	return p.strings(tb, `SELECT due_ns, id, '' FROM requests WHERE due_ns IS NOT NULL ORDER BY due_ns, id`,
		func(ns int64, id, _ string) string { return storetest.DueEntry(time.Unix(0, ns), id) })
}

func (p pgIndexes) Open(tb testing.TB) []string {
	return p.strings(tb, `SELECT 0::bigint, id, '' FROM requests WHERE open ORDER BY id`,
		func(_ int64, id, _ string) string { return id })
}

func (p pgIndexes) Requester(tb testing.TB) []string {
	return p.strings(tb, `SELECT created_ns, id, requester FROM requests ORDER BY requester, created_ns, id`,
		func(ns int64, id, req string) string { return storetest.RequesterEntry(req, time.Unix(0, ns), id) })
}

// strings formats each row of sql, which selects a time, an id and a
// third column.
func (p pgIndexes) strings(tb testing.TB, sql string, format func(int64, string, string) string) []string {
	tb.Helper()
	rows, err := p.s.pool.Query(tb.Context(), sql)
	if err != nil {
		tb.Fatalf("read index: %v", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var (
			ns        int64
			id, third string
		)
		if err := rows.Scan(&ns, &id, &third); err != nil {
			tb.Fatalf("read index: %v", err)
		}
		out = append(out, format(ns, id, third))
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("read index: %v", err)
	}
	return out
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, url := openTest(t)
	if _, err := s.pool.Exec(t.Context(), "UPDATE accessbot_schema SET version = version + 1"); err != nil {
		t.Fatalf("raise the schema version: %v", err)
	}
	_, err := Open(t.Context(), url, Options{})
	if err == nil {
		t.Fatal("Open accepted a newer schema version")
	}
	want := fmt.Sprintf("schema version %d is newer than this accessbot supports (%d)", schemaVersion()+1, schemaVersion())
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
}

// TestReplicasStartingTogetherMigrateOnce opens several stores on one new
// database at once: the migration lock lets one create the schema and the
// others find it done.
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	url := pgtest.URL(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), url, Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var v int
	if err := stores[0].pool.QueryRow(t.Context(), "SELECT version FROM accessbot_schema").Scan(&v); err != nil || v != schemaVersion() {
		t.Errorf("schema version = %d, %v; want %d", v, err, schemaVersion())
	}
	r := storetest.NewRequest("r1", "U1", storetest.T0, access.StatePending)
	if err := stores[1].Create(t.Context(), r, storetest.Event(access.EventRequested, r)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got, err := stores[3].Get(t.Context(), "r1"); err != nil {
		t.Fatalf("Get on another replica: %v", err)
	} else {
		storetest.AssertEqual(t, "request read by another replica", got, r)
	}
}

func TestOpenBadURLHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:s3cret@127.0.0.1:badport/db", Options{})
	if err == nil {
		t.Fatal("Open accepted a bad URL")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q shows the password", err)
	}
}

// TestKeepalivesReachTheServer checks the session settings that make the
// server drop a dead client (and its locks) within DeadAfter.
func TestKeepalivesReachTheServer(t *testing.T) {
	url := pgtest.URL(t)
	s, err := Open(t.Context(), url, Options{DeadAfter: 6 * time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	for setting, want := range map[string]string{
		"tcp_keepalives_idle":     "3",
		"tcp_keepalives_interval": "1",
		"tcp_keepalives_count":    "5",
		"tcp_user_timeout":        "6000", // milliseconds
		"application_name":        "accessbot",
	} {
		var got string
		if err := s.pool.QueryRow(t.Context(), "SHOW "+setting).Scan(&got); err != nil {
			t.Fatalf("SHOW %s: %v", setting, err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
}

// TestFreeTextWithNUL stores what a person may type, NUL included (jsonb
// would refuse it), and finds the event by a resource id holding one.
func TestFreeTextWithNUL(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t)
	r := storetest.NewRequest("r1", "U1", storetest.T0, access.StatePending)
	r.Reason = "a\x00b \xff"
	r.ResourceID = "aws\x00prod"
	if err := s.Create(ctx, r, storetest.Event(access.EventRefused, r)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := s.Get(ctx, "r1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Reason != "a\x00b \uFFFD" { // encoding/json turns invalid UTF-8 into U+FFFD, on both engines
		t.Errorf("Reason = %q", got.Reason)
	}
	evs, err := s.Events(ctx, access.EventFilter{ResourceID: "aws\x00prod"})
	if err != nil || len(evs) != 1 {
		t.Errorf("Events by a resource id with NUL = %d events, %v; want 1", len(evs), err)
	}
	evs, err = s.Events(ctx, access.EventFilter{ResourceID: "awsprod"})
	if err != nil || len(evs) != 0 {
		t.Errorf("Events by the id without its NUL = %d events, %v; want 0", len(evs), err)
	}
}
