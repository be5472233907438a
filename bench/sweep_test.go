package bench

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessbot/accessbot/store"
	"github.com/accessbot/accessbot/workflow"
)

// sweepEpoch is the sweeping service's clock: every generated grant is due
// an hour or more after it.
var sweepEpoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// sweepStore generates a store of n active grants in dir, none due at
// sweepEpoch, and returns its path.
func sweepStore(tb testing.TB, dir string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("sweep-%d.db", n))
	err := generate(path, "", func(g *generator) error {
		return g.grants(n, sweepEpoch, []string{"res-0", "res-1", "res-2", "res-3", "res-4"})
	})
	if err != nil {
		tb.Fatalf("generate %d grants: %v", n, err)
	}
	return path
}

// benchSweep times workflow.Service.Sweep over the store at path when
// nothing is due: the expiry loop's common case, once per check_interval.
func benchSweep(b *testing.B, path string) {
	st, err := store.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// Nothing is due, so the sweep calls none of the adapters it is given.
	svc := workflow.New(workflow.Options{Now: func() time.Time { return sweepEpoch }}, st, nil, nil, nil, nil)
	for b.Loop() {
		if err := svc.Sweep(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSweepNothingDue sweeps a store of a thousand grants and one of a
// million (ACCESSBOT_BENCH=full; twenty thousand otherwise). The two times
// should be about the same: the sweep seeks the due index.
func BenchmarkSweepNothingDue(b *testing.B) {
	sz := benchSizes()
	dir := b.TempDir()
	for _, n := range []int{sz.SweepSmall, sz.SweepLarge} {
		path := sweepStore(b, dir, n)
		b.Run(fmt.Sprintf("grants=%d", n), func(b *testing.B) { benchSweep(b, path) })
	}
}
