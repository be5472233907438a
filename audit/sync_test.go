package audit

import (
	"path/filepath"
	"testing"
)

// Events recorded after Run stopped (work a stopping bot lets finish) reach
// the file with one Sync, without duplicates, and a second Sync adds nothing.
func TestMirrorSyncAfterRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	src := &fakeSource{}
	m := newMirror(t, path, src)
	stop := startMirror(t, m)
	waitSynced(t, m, src.add(3))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n := src.add(4) // committed while the bot was stopping
	checkSeqs(t, readMirror(t, path), 3)
	for range 2 {
		if err := m.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		checkSeqs(t, readMirror(t, path), n)
	}
}
