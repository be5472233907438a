package postgres

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestClaimEnvelopeOncePerCluster has two replicas claim the same envelope
// ids at once: each id is claimed by exactly one, and a claim older than
// envelopeKeep is forgotten.
func TestClaimEnvelopeOncePerCluster(t *testing.T) {
	a, url := openTest(t)
	b, err := Open(t.Context(), url, Options{})
	if err != nil {
		t.Fatalf("Open b: %v", err)
	}
	defer b.Close()
	const ids = 50
	var won [ids]atomic.Int32
	var wg sync.WaitGroup
	for _, st := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for i := range ids {
				ok, err := st.ClaimEnvelope(t.Context(), "env-"+string(rune('A'+i)))
				if err != nil {
					t.Errorf("ClaimEnvelope: %v", err)
					return
				}
				if ok {
					won[i].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for i := range ids {
		if n := won[i].Load(); n != 1 {
			t.Errorf("envelope %d claimed %d times, want once", i, n)
		}
	}

	// An hour later the id may be handled again (Slack stopped retrying
	// long before), and the table does not grow for ever.
	old := time.Now().Add(-envelopeKeep - time.Minute).UnixNano()
	if _, err := a.pool.Exec(t.Context(), "UPDATE envelopes SET seen_ns = $1", old); err != nil {
		t.Fatal(err)
	}
	a.pruned.Store(0)
	if ok, err := a.ClaimEnvelope(t.Context(), "env-new"); err != nil || !ok {
		t.Fatalf("claim a new id: %v, %v", ok, err)
	}
	var left int
	if err := a.pool.QueryRow(t.Context(), "SELECT count(*) FROM envelopes").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Errorf("%d envelope ids kept after pruning, want only the new one", left)
	}
}
