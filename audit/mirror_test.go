package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store"
)

// t0 has nanoseconds so that tests notice any loss of precision.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)

var (
	alice = access.User{SlackID: "U1", Email: "alice@acme.com", Name: "Alice"}
	bob   = access.User{SlackID: "U2", Email: "bob@acme.com", Name: "Bob"}
)

// fakeSource is an in-memory audit trail, numbered like the store's.
type fakeSource struct {
	mu     sync.Mutex
	events []access.Event
	fail   error // returned once by the next EventsAfter
	reads  int   // calls of EventsAfter
	readAt []time.Time
}

// add appends n events and returns the seq of the last.
func (s *fakeSource) add(n int) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		seq := uint64(len(s.events) + 1)
		s.events = append(s.events, access.Event{
			Seq: seq, Time: t0.Add(time.Duration(seq) * time.Second), Type: access.EventRequested,
			Actor: alice, Subject: alice, ResourceID: "aws-prod", RequestID: fmt.Sprintf("r%d", seq),
			Details: map[string]string{"reason": fmt.Sprintf("incident %d", seq)},
		})
	}
	return uint64(len(s.events))
}

func (s *fakeSource) failOnce(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *fakeSource) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *fakeSource) LastSeq(ctx context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.events)), nil
}

func (s *fakeSource) EventsAfter(ctx context.Context, seq uint64, limit int) ([]access.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	s.readAt = append(s.readAt, time.Now())
	if err := s.fail; err != nil {
		s.fail = nil
		return nil, err
	}
	var out []access.Event
	for _, e := range s.events {
		if e.Seq > seq && (limit <= 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	return out, nil
}

// startMirror runs m until the test ends or the returned stop is called;
// stop returns Run's error.
func startMirror(t *testing.T, m *Mirror) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				err = errors.New("Run did not return within 5s of cancel")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return stop
}

// waitFor fails the test unless cond becomes true within 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func waitSynced(t *testing.T, m *Mirror, seq uint64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("Synced() = %d", seq), func() bool { return m.Synced() == seq })
}

func newMirror(t *testing.T, path string, src Source) *Mirror {
	t.Helper()
	return NewMirror(path, src, zerolog.New(zerolog.NewTestWriter(t)))
}

// readMirror returns the events in the file, failing on a line that is not
// one complete JSON event.
func readMirror(t *testing.T, path string) []access.Event {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read mirror: %v", err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("mirror does not end with a newline: %q", data[max(0, len(data)-40):])
	}
	var out []access.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var e access.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d: %v: %q", len(out)+1, err, sc.Text())
		}
		out = append(out, e)
	}
	return out
}

// checkSeqs fails unless events are numbered 1..n, each once, in order.
func checkSeqs(t *testing.T, events []access.Event, n uint64) {
	t.Helper()
	if uint64(len(events)) != n {
		t.Fatalf("mirror has %d events, want %d", len(events), n)
	}
	for i, e := range events {
		if e.Seq != uint64(i+1) {
			t.Fatalf("line %d has seq %d, want %d", i+1, e.Seq, i+1)
		}
	}
}

func TestMirrorWritesAllEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	src := &fakeSource{}
	n := src.add(23)
	m := newMirror(t, path, src)
	m.batch = 5 // several batches, the last one short

	startMirror(t, m)
	waitSynced(t, m, n)

	got := readMirror(t, path)
	checkSeqs(t, got, n)
	if !reflect.DeepEqual(got, src.events) {
		t.Fatalf("mirror events differ from the source:\ngot  %+v\nwant %+v", got[0], src.events[0])
	}
	data, _ := os.ReadFile(path)
	first, _ := json.Marshal(src.events[0])
	if line, _, _ := bytes.Cut(data, []byte("\n")); !bytes.Equal(line, first) {
		t.Fatalf("first line = %s, want the event's JSON %s", line, first)
	}
}

func TestMirrorFollowsNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	src := &fakeSource{}
	src.add(3)
	m := newMirror(t, path, src)
	m.PollInterval = time.Hour // only Notify can wake it
	startMirror(t, m)
	waitSynced(t, m, 3)

	n := src.add(4)
	m.Notify()
	m.Notify() // never blocks
	waitSynced(t, m, n)
	checkSeqs(t, readMirror(t, path), n)
}

func TestMirrorSpacesItsWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	src := &fakeSource{}
	m := newMirror(t, path, src)
	m.PollInterval = time.Hour
	m.SyncGap = 100 * time.Millisecond
	startMirror(t, m)
	waitFor(t, "the first read", func() bool { return src.readCount() > 0 })

	// Each event is committed and notified as soon as the one before is in
	// the file: a mirror that wrote at every Notify would read back to back.
	var n uint64
	for range 4 {
		n = src.add(1)
		m.Notify()
		waitSynced(t, m, n)
	}
	checkSeqs(t, readMirror(t, path), n)
	src.mu.Lock()
	defer src.mu.Unlock()
	for i := 1; i < len(src.readAt); i++ {
		// A tenth of slack: a read starts a little after its pass does.
		if d := src.readAt[i].Sub(src.readAt[i-1]); d < m.SyncGap*9/10 {
			t.Errorf("read %d came %s after the one before, want at least SyncGap (%s)", i+1, d, m.SyncGap)
		}
	}
}

func TestMirrorPolls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	src := &fakeSource{}
	m := newMirror(t, path, src)
	m.PollInterval = time.Millisecond
	startMirror(t, m)
	waitFor(t, "the first read", func() bool { return src.readCount() > 0 })

	n := src.add(2) // no Notify
	waitSynced(t, m, n)
	checkSeqs(t, readMirror(t, path), n)
}

func TestMirrorRetriesAfterSourceError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	src := &fakeSource{}
	src.add(2)
	src.failOnce(errors.New("database is closed"))
	m := newMirror(t, path, src)
	m.PollInterval = time.Hour
	startMirror(t, m)
	waitFor(t, "the failed read", func() bool { return src.readCount() > 0 })
	if got := m.Synced(); got != 0 {
		t.Fatalf("Synced() = %d after a failed read, want 0", got)
	}

	m.Notify()
	waitSynced(t, m, 2)
	checkSeqs(t, readMirror(t, path), 2)
}

// TestMirrorResumesAfterRestart is the crash between the store's commit and
// the file write: events committed while no mirror ran are written once, after
// those already in the file.
func TestMirrorResumesAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	src := &fakeSource{}
	src.add(4)
	m := newMirror(t, path, src)
	stop := startMirror(t, m)
	waitSynced(t, m, 4)
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	n := src.add(3)
	m2 := newMirror(t, path, src)
	m2.batch = 2
	startMirror(t, m2)
	waitSynced(t, m2, n)
	checkSeqs(t, readMirror(t, path), n)
}

func TestMirrorRepairsTornLastLine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		whole int // complete lines before the torn one
	}{
		{"after complete lines", 3},
		{"only line", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			src := &fakeSource{}
			n := src.add(6)
			var file []byte
			for _, e := range src.events[:tc.whole] {
				file, _ = appendLine(file, e)
			}
			torn, _ := appendLine(nil, src.events[tc.whole])
			file = append(file, torn[:len(torn)/2]...)
			if err := os.WriteFile(path, file, 0o600); err != nil {
				t.Fatal(err)
			}

			m := newMirror(t, path, src)
			startMirror(t, m)
			waitSynced(t, m, n)
			checkSeqs(t, readMirror(t, path), n)
		})
	}
}

func TestMirrorFileMode(t *testing.T) {
	dir := t.TempDir()
	fresh, loose := filepath.Join(dir, "fresh.jsonl"), filepath.Join(dir, "loose.jsonl")
	if err := os.WriteFile(loose, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	src := &fakeSource{}
	src.add(1)
	for _, path := range []string{fresh, loose} {
		m := newMirror(t, path, src)
		startMirror(t, m)
		waitSynced(t, m, 1)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", filepath.Base(path), got)
		}
	}
}

func TestMirrorRefusesToStart(t *testing.T) {
	src := &fakeSource{}
	src.add(2)
	for _, tc := range []struct {
		name, file, want string
	}{
		{"file ahead of the store", `{"seq":5,"type":"requested"}` + "\n", "only up to 2"},
		{"last line not an event", `{"seq":1}` + "\n" + "garbage\n", "not an audit event"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			err := newMirror(t, path, src).Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run: error %v, want one containing %q", err, tc.want)
			}
			if data, _ := os.ReadFile(path); string(data) != tc.file {
				t.Fatalf("file changed to %q", data)
			}
		})
	}
}

// TestMirrorStore mirrors the real store, including events appended while the
// mirror runs.
func TestMirrorStore(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "a.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	r := &access.Request{ID: "r1", Kind: access.KindAccess, Requester: alice, ResourceID: "aws-prod",
		Duration: time.Hour, State: access.StatePending, CreatedAt: t0, UpdatedAt: t0}
	if err := s.Create(ctx, r, access.NewEvent(access.EventRequested, alice, r, t0, map[string]string{"reason": "INC-1"})); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(dir, "audit.jsonl")
	m := newMirror(t, path, s)
	m.PollInterval = time.Hour
	startMirror(t, m)
	waitSynced(t, m, 1)

	if err := s.Append(ctx,
		access.NewEvent(access.EventApproved, bob, r, t0.Add(time.Minute), nil),
		access.NewEvent(access.EventRefused, bob, r, t0.Add(2*time.Minute), map[string]string{"action": "approve"})); err != nil {
		t.Fatal(err)
	}
	m.Notify()
	waitSynced(t, m, 3)

	want, err := s.Events(ctx, access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := readMirror(t, path)
	checkSeqs(t, got, 3)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mirror = %+v\nstore  = %+v", got, want)
	}
}

func TestLastLine(t *testing.T) {
	long := strings.Repeat("x", 10000) // spans several blocks
	for _, tc := range []struct {
		name, file, line string
		complete         int
	}{
		{"empty", "", "", 0},
		{"one line", "a\n", "a", 2},
		{"two lines", "a\nbc\n", "bc", 5},
		{"torn", "a\nbc\nde", "bc", 5},
		{"only torn", "abc", "", 0},
		{"long last line", "a\n" + long + "\n", long, len(long) + 3},
		{"long torn line", "a\n" + long, "a", 2},
		{"long line first", long + "\nb\n", "b", len(long) + 3},
		{"line across a block boundary", strings.Repeat("y", 4090) + "\n" + "zzzzzzzzzz\n", "zzzzzzzzzz", 4102},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line, complete, err := lastLine(strings.NewReader(tc.file), int64(len(tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if string(line) != tc.line || complete != int64(tc.complete) {
				t.Fatalf("lastLine = %.20q…, %d; want %.20q…, %d", line, complete, tc.line, tc.complete)
			}
		})
	}
}
