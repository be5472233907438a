package pgtest

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// TestURLGivesEachTestItsOwnDatabase writes in one database and checks that
// another is empty.
func TestURLGivesEachTestItsOwnDatabase(t *testing.T) {
	ctx := t.Context()
	a, b := URL(t), URL(t)
	if a == b {
		t.Fatalf("two databases with one URL %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("write: %v", err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 't'").Scan(&n); err != nil {
		t.Fatalf("read: %v", err)
	}
	if n != 0 {
		t.Errorf("the second database has the first's table")
	}
}

// TestNoServerBinaries says how to get PostgreSQL when there is none.
func TestNoServerBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := debianBins
	debianBins = filepath.Join(t.TempDir(), "*", "bin")
	defer func() { debianBins = old }()
	c, msg, err := start()
	if c != nil || err != nil {
		t.Fatalf("start without binaries = %v, %v; want a message", c, err)
	}
	for _, want := range []string{"apt-get install postgresql", EnvURL} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not mention %q", msg, want)
		}
	}
}

// outcome records whether a test was skipped or failed, and with what.
type outcome struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcome) Helper() {}
func (o *outcome) Skipf(format string, args ...any) {
	o.skipped, o.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcome) Fatalf(format string, args ...any) {
	o.failed, o.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestUnavailableFailsInCI skips a developer's test but fails CI's.
func TestUnavailableFailsInCI(t *testing.T) {
	for _, ci := range []bool{false, true} {
		o := &outcome{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			unavailable(o, "no binaries", ci)
		}()
		<-done
		if o.failed != ci || o.skipped == ci || !strings.Contains(o.msg, "no binaries") {
			t.Errorf("CI %t: failed %t, skipped %t (%q); want failed only in CI", ci, o.failed, o.skipped, o.msg)
		}
	}
}
