// Package store keeps accessbot's requests and audit trail in a bbolt file.
// It implements access.Store: every change is one bbolt transaction that
// writes the request, keeps its indexes in step and appends its audit events,
// so a crash leaves either all of it or none.
//
// Layout, one bucket each:
//
//	meta          "schema_version" → 8-byte big-endian version
//	requests      id → JSON of access.Request
//	due           8-byte big-endian Due (unix nanos) + id → empty, for non-zero Due
//	by_requester  Slack id + 0x00 + 8-byte big-endian CreatedAt + id → empty
//	open          id → empty, for requests not in a final state
//	events        8-byte big-endian seq → JSON of access.Event
package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var _ access.Store = (*Store)(nil)

// DefaultTimeout is how long Open waits for another process to release the
// file when Options.Timeout is zero.
const DefaultTimeout = 2 * time.Second

// fileMode is the only mode the store file may have: it holds who has access
// to what.
const fileMode os.FileMode = 0o600

// Options configures Open. The zero value is what production wants.
type Options struct {
	// Timeout is how long to wait for the file lock held by another process;
	// zero means DefaultTimeout (bbolt's own zero would wait forever).
	Timeout time.Duration
	// NoSync skips fsync after each commit. For tests and benchmarks only: a
	// crash may lose or corrupt recent writes.
	NoSync bool
}

// Store is the bbolt implementation of access.Store. It is safe for
// concurrent use; bbolt runs one writing transaction at a time, and writes
// that arrive while one commits share the next commit (commit.go).
type Store struct {
	db   *bolt.DB
	path string
	w    *committer // every write goes through it (commit.go)
}

// Open opens the store file at path, creating it with mode 0600 if needed and
// tightening a more permissive existing file to 0600. It fails with a plain
// message when another process holds the file, and refuses a file written by
// a newer accessbot (a newer schema version).
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	db, err := bolt.Open(path, fileMode, &bolt.Options{
		Timeout:  timeout,
		NoSync:   opts.NoSync,
		OpenFile: openPrivate,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is in use by another process (is another accessbot running?); waited %s for its lock: %w", path, timeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := db.Update(initSchema); err != nil {
		_ = db.Close() // the schema error is the one worth reporting
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &Store{db: db, path: path, w: &committer{db: db}}, nil
}

// openPrivate opens the file like os.OpenFile and makes sure only its owner
// can read it, whatever mode an existing file had.
func openPrivate(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&^fileMode != 0 {
		err = f.Chmod(fileMode)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("restrict %s to mode %04o: %w", name, fileMode, err)
	}
	return f, nil
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close releases the file. The Store must not be used afterwards.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}
