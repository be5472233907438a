package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// groupOf starts the writes fns behind a first write that holds the
// commit until they are all queued, so that they form one group, and
// returns what each write returned (or panicked with) once all are done.
func groupOf(t *testing.T, s *Store, fns ...func(tx *bolt.Tx) error) (errs []error, panics []any) {
	t.Helper()
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.w.write(func(*bolt.Tx) error { <-release; return nil }); err != nil {
			t.Errorf("first write: %v", err)
		}
	})
	waitQueue(s, 0) // the first write leads
	errs, panics = make([]error, len(fns)), make([]any, len(fns))
	for i, fn := range fns {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.w.write(fn)
		})
		waitQueue(s, i+1)
	}
	close(release)
	wg.Wait()
	return errs, panics
}

// waitQueue yields until n writes wait behind a commit in progress.
func waitQueue(s *Store, n int) {
	for {
		s.w.mu.Lock()
		ok := s.w.busy && len(s.w.queue) == n
		s.w.mu.Unlock()
		if ok {
			return
		}
		runtime.Gosched()
	}
}

func txID(t *testing.T, s *Store) int {
	t.Helper()
	var id int
	if err := s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func put(key string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte(key), []byte("v")) }
}

func stored(t *testing.T, s *Store, key string) bool {
	t.Helper()
	var found bool
	if err := s.db.View(func(tx *bolt.Tx) error { found = tx.Bucket(bucketMeta).Get([]byte(key)) != nil; return nil }); err != nil {
		t.Fatal(err)
	}
	return found
}

func TestWritesArrivingDuringACommitShareTheNext(t *testing.T) {
	s := openTest(t, Options{})
	before := txID(t, s)
	var fns []func(tx *bolt.Tx) error
	for i := range 20 {
		fns = append(fns, put(fmt.Sprintf("k%d", i)))
	}
	errs, _ := groupOf(t, s, fns...)
	for i, err := range errs {
		if err != nil || !stored(t, s, fmt.Sprintf("k%d", i)) {
			t.Errorf("write %d: %v, stored %v", i, err, stored(t, s, fmt.Sprintf("k%d", i)))
		}
	}
	if commits := txID(t, s) - before; commits != 2 {
		t.Errorf("%d commits for a write and 20 waiting behind it, want 2", commits)
	}
}

func TestAFailingWriteDoesNotFailItsGroup(t *testing.T) {
	s := openTest(t, Options{})
	refused := errors.New("refused before writing")
	broken := errors.New("broken after writing")
	errs, panics := groupOf(t, s,
		put("a"),
		func(tx *bolt.Tx) error { return unwritten{refused} },
		func(tx *bolt.Tx) error {
			if err := put("half")(tx); err != nil {
				return err
			}
			return broken
		},
		func(tx *bolt.Tx) error { panic("bug") },
		put("b"),
	)
	if errs[0] != nil || errs[4] != nil || !stored(t, s, "a") || !stored(t, s, "b") {
		t.Errorf("the sound writes: %v, %v; stored a %v, b %v", errs[0], errs[4], stored(t, s, "a"), stored(t, s, "b"))
	}
	if errs[1] != refused {
		t.Errorf("write refused before writing returned %v, want its own error", errs[1])
	}
	if errs[2] != broken || stored(t, s, "half") {
		t.Errorf("write failing after writing returned %v, stored its half %v; want its error and nothing stored", errs[2], stored(t, s, "half"))
	}
	if panics[3] != "bug" {
		t.Errorf("a panicking write's caller got %v, want the panic", panics[3])
	}
}
