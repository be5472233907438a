package bench

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// benchBolt is bbolt's own rate of small synced update transactions: one
// small Put per Update, each committed with an fsync, in a file in dir.
func benchBolt(b *testing.B, dir string) {
	db, err := bolt.Open(filepath.Join(dir, "bolt-baseline.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bucket := []byte("baseline")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 64)
	var i uint64
	for b.Loop() {
		i++
		err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucket).Put(binary.BigEndian.AppendUint64(nil, i), value)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoltSyncedUpdate is the disk's yardstick for the flows row.
func BenchmarkBoltSyncedUpdate(b *testing.B) { benchBolt(b, b.TempDir()) }
