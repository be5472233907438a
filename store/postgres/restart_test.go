package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
	"github.com/accessbot/accessbot/store/storetest"
)

// TestServerRestart stops and restarts the database under a store and a
// leader: calls fail while it is down (they do not hang), and both recover
// on their own once it is back, with nothing lost.
func TestServerRestart(t *testing.T) {
	cluster := pgtest.Shared(t)
	ctx := t.Context()
	s, _ := openTest(t)
	r := storetest.NewRequest("r1", "U1", storetest.T0, access.StateActive)
	if err := s.Create(ctx, r, storetest.Event(access.EventRequested, r)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	c := startCandidate(t, "a", s)
	wait(t, c.started, "a leads")

	if err := cluster.Halt(); err != nil {
		t.Fatalf("stop the server: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Start() }) // for the tests after this one, if it fails half-way
	wait(t, c.stopped, "the leader's fn is told to stop when the server goes")
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := s.Get(cctx, "r1"); err == nil {
		t.Error("Get succeeded with the server stopped")
	} else if cctx.Err() != nil {
		t.Errorf("Get waited for its deadline with the server stopped: %v", err)
	}

	if err := cluster.Start(); err != nil {
		t.Fatalf("restart the server: %v", err)
	}
	wait(t, c.started, "a leads again once the server is back")
	waitFor(t, "the store answers again", func() bool {
		_, err := s.Get(ctx, "r1")
		return err == nil
	})
	if _, err := s.Update(ctx, "r1", func(r *access.Request) ([]access.Event, error) {
		r.Grant.Extensions++
		return []access.Event{storetest.Event(access.EventExtended, r)}, nil
	}); err != nil {
		t.Fatalf("Update after the restart: %v", err)
	}
	storetest.AssertEqual(t, "event seqs after the restart", storetest.Seqs(storetest.AllEvents(t, s)), []uint64{1, 2})
}
