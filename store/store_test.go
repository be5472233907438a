package store

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// openTest opens a store in a fresh temporary directory and closes it when
// the test ends.
func openTest(tb testing.TB, opts Options) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "accessbot.db"), opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	return fi.Mode().Perm()
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if got := modeOf(t, path); got != 0o600 {
		t.Errorf("mode = %04o, want 0600", got)
	}
}

func TestOpenTightensMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o666, 0o640, 0o604, 0o700, 0o600} {
		t.Run(mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "accessbot.db")
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := os.Chmod(path, mode); err != nil {
				t.Fatalf("Chmod: %v", err)
			}
			s, err = Open(path, Options{})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			if got := modeOf(t, path); got != 0o600 {
				t.Errorf("mode after reopening a %04o file = %04o, want 0600", mode, got)
			}
		})
	}
}

func TestOpenInUse(t *testing.T) {
	s := openTest(t, Options{})
	_, err := Open(s.Path(), Options{Timeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("second Open of the same file succeeded")
	}
	want := s.Path() + " is in use by another process (is another accessbot running?)"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	if !errors.Is(err, bolterrors.ErrTimeout) {
		t.Errorf("error %q does not wrap bbolt's ErrTimeout", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, schemaVersion+1))
	})
	if err != nil {
		t.Fatalf("write schema version: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a newer schema version")
	}
	if want := "schema version 2 is newer than this accessbot supports (1)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	// The refusal must not have left the file locked.
	if s, err = Open(path, Options{Timeout: 50 * time.Millisecond}); err == nil {
		s.Close()
		t.Error("third Open accepted a newer schema version")
	} else if strings.Contains(err.Error(), "in use") {
		t.Errorf("third Open: error = %q, want the schema error again, not a lock held by the refused Open", err)
	}
}

func TestOpenRefusesForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatalf("bolt.Open: %v", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("widgets"))
		return err
	})
	if err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("bolt Close: %v", err)
	}
	if s, err := Open(path, Options{}); err == nil {
		s.Close()
		t.Fatal("Open accepted a bbolt file that is not an accessbot store")
	} else if !strings.Contains(err.Error(), `"widgets"`) {
		t.Errorf("error = %q, want it to name the foreign bucket", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "accessbot.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	r := fullRequest()
	if err := s.Create(ctx, r, event(access.EventRequested, r)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	assertEqual(t, "request after reopen", got, r)
	assertEqual(t, "due after reopen", dueIndex(t, s), []string{dueEntry(r.Due, r.ID)})
	if err := s.Append(ctx, event(access.EventRefused, r)); err != nil {
		t.Fatalf("Append: %v", err)
	}
	assertEqual(t, "seqs after reopen", seqs(allEvents(t, s)), []uint64{1, 2})
}
