// Package audit copies the audit trail out of the store: a JSON-lines mirror
// file that log shippers can tail, and exports in JSON lines or CSV for people
// who ask for a slice of it.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// Source is where the mirror reads the audit trail from; *store.Store
// satisfies it.
type Source interface {
	// LastSeq returns the sequence number of the newest event, 0 when none.
	LastSeq(ctx context.Context) (uint64, error)
	// EventsAfter returns up to limit events with Seq > seq, in sequence order.
	EventsAfter(ctx context.Context, seq uint64, limit int) ([]access.Event, error)
}

// DefaultPollInterval is how often a Mirror looks for new events when nobody
// calls Notify and Mirror.PollInterval is zero.
const DefaultPollInterval = time.Second

// DefaultSyncGap is the shortest time between two writes of the mirror
// file when Mirror.SyncGap is zero.
const DefaultSyncGap = 50 * time.Millisecond

// fileMode is the only mode the mirror file may have: like the store, it says
// who had access to what.
const fileMode os.FileMode = 0o600

// batchSize is how many events one read from the source and one fsync cover.
const batchSize = 500

// Mirror keeps an append-only JSON-lines copy of the audit trail in a file,
// one access.Event per line in sequence order, with no gap and no duplicate:
// after a crash it resumes from the last complete line of the file.
type Mirror struct {
	// PollInterval is how often Run looks for new events without a Notify;
	// zero means DefaultPollInterval. Set it before Run.
	PollInterval time.Duration
	// SyncGap is the shortest time between two writes (each with its
	// fsync) of the file: events committed meanwhile wait and are written
	// together, instead of a sync after nearly every commit, as often as
	// the store syncs its own file on the same disk. Zero means
	// DefaultSyncGap. Set it before Run.
	SyncGap time.Duration

	path   string
	src    Source
	log    zerolog.Logger
	batch  int
	wake   chan struct{}
	synced atomic.Uint64
}

// NewMirror returns a mirror of src's events into the file at path. Nothing
// happens until Run.
func NewMirror(path string, src Source, logger zerolog.Logger) *Mirror {
	return &Mirror{
		path:  path,
		src:   src,
		log:   logger.With().Str("component", "audit_mirror").Str("path", path).Logger(),
		batch: batchSize,
		wake:  make(chan struct{}, 1),
	}
}

// Notify tells a running mirror that new events were committed. It never
// blocks; several calls before the mirror wakes count as one.
func (m *Mirror) Notify() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Synced returns the sequence number of the last event written to the file
// and synced to disk; 0 before Run found any.
func (m *Mirror) Synced() uint64 { return m.synced.Load() }

// Run opens the file (creating it with mode 0600, tightening an existing
// file to 0600), drops a torn last line left by a crash, writes the events
// the file lacks and then follows the store until ctx ends, when it returns
// nil. Failures to read the source or write the file are logged and retried
// at the next wake. Run returns an error only when it cannot start: the file
// cannot be opened or repaired, its last line is not an event, or it holds
// events the source does not (it belongs to another store).
func (m *Mirror) Run(ctx context.Context) error {
	f, err := openPrivate(m.path)
	if err != nil {
		return fmt.Errorf("audit: open mirror %s: %w", m.path, err)
	}
	defer f.Close()

	w, err := m.resume(ctx, f)
	if err != nil && ctx.Err() != nil {
		return nil // stopped before it started
	}
	if err != nil {
		return fmt.Errorf("audit: resume mirror %s: %w", m.path, err)
	}
	interval := m.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	gap := m.SyncGap
	if gap <= 0 {
		gap = DefaultSyncGap
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		began := time.Now()
		if err := m.catchUp(ctx, w); err != nil && ctx.Err() == nil {
			m.log.Error().Err(err).Uint64("synced_seq", w.seq).Msg("audit mirror is behind; retrying at the next wake")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		case <-tick.C:
		}
		if !sleep(ctx, gap-time.Since(began)) {
			return nil
		}
	}
}

// sleep waits d (nothing when d ≤ 0); false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Sync brings the file up to date with the source once and returns. Call it
// after Run has returned, when nothing else writes the file: a stopping bot
// records events after Run saw its context end (work it lets finish), and
// the file should hold them before the process exits.
func (m *Mirror) Sync(ctx context.Context) error {
	f, err := openPrivate(m.path)
	if err != nil {
		return fmt.Errorf("audit: open mirror %s: %w", m.path, err)
	}
	defer f.Close()
	w, err := m.resume(ctx, f)
	if err != nil {
		return fmt.Errorf("audit: resume mirror %s: %w", m.path, err)
	}
	if err := m.catchUp(ctx, w); err != nil {
		return fmt.Errorf("audit: sync mirror %s: %w", m.path, err)
	}
	return nil
}

// mirrorFile is the open file and what is known to be safely in it.
type mirrorFile struct {
	f     *os.File
	size  int64  // length of the complete, synced lines
	seq   uint64 // seq of the last of them
	dirty bool   // a failed write may have left bytes after size
}

// resume finds where the file ends, truncating a torn last line, and checks
// that the source has everything the file has.
func (m *Mirror) resume(ctx context.Context, f *os.File) (*mirrorFile, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	line, complete, err := lastLine(f, fi.Size())
	if err != nil {
		return nil, err
	}
	if complete < fi.Size() {
		// A crash mid-write left a line without its newline. The event it
		// held is still in the store and is written again below.
		m.log.Warn().Int64("offset", complete).Int64("torn_bytes", fi.Size()-complete).Msg("audit mirror ends with a torn line; truncating it")
		if err := f.Truncate(complete); err != nil {
			return nil, fmt.Errorf("truncate torn last line: %w", err)
		}
		if err := f.Sync(); err != nil {
			return nil, fmt.Errorf("truncate torn last line: %w", err)
		}
	}
	w := &mirrorFile{f: f, size: complete}
	if line != nil {
		var e access.Event
		if err := json.Unmarshal(line, &e); err != nil || e.Seq == 0 {
			return nil, fmt.Errorf("last line (before offset %d) is not an audit event; move the file aside to rebuild it from the store", complete)
		}
		w.seq = e.Seq
	}
	last, err := m.src.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	if w.seq > last {
		return nil, fmt.Errorf("file holds events up to seq %d but the store only up to %d: it was written from another store, or the store was restored from a backup; move the file aside", w.seq, last)
	}
	m.synced.Store(w.seq)
	return w, nil
}

// catchUp appends every event the source has after w.seq, one batch per
// write and fsync.
func (m *Mirror) catchUp(ctx context.Context, w *mirrorFile) error {
	if w.dirty {
		if err := w.f.Truncate(w.size); err != nil {
			return fmt.Errorf("drop partly written lines: %w", err)
		}
		w.dirty = false
	}
	var buf []byte
	for {
		events, err := m.src.EventsAfter(ctx, w.seq, m.batch)
		if err != nil {
			return err
		}
		buf = buf[:0]
		seq := w.seq
		for _, e := range events {
			if e.Seq <= seq {
				continue // never write an event twice or out of order
			}
			if buf, err = appendLine(buf, e); err != nil {
				return err
			}
			seq = e.Seq
		}
		if len(buf) == 0 {
			return nil
		}
		if err := w.append(buf); err != nil {
			return err
		}
		w.seq = seq
		m.synced.Store(seq)
		if len(events) < m.batch {
			return nil
		}
	}
}

// append writes whole lines and syncs them. On failure it marks the file
// dirty, so the next attempt first cuts off whatever part was written.
func (w *mirrorFile) append(lines []byte) error {
	if _, err := w.f.Write(lines); err != nil {
		w.dirty = true
		return fmt.Errorf("write: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		w.dirty = true
		return fmt.Errorf("sync: %w", err)
	}
	w.size += int64(len(lines))
	return nil
}

// appendLine appends e as one line of JSON, the format of the mirror and of
// the jsonl export.
func appendLine(buf []byte, e access.Event) ([]byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return buf, fmt.Errorf("encode event %d: %w", e.Seq, err)
	}
	return append(append(buf, data...), '\n'), nil
}

// openPrivate opens path for reading and appending, creating it with mode
// 0600 and tightening a more permissive existing file to 0600.
func openPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&^fileMode != 0 {
		err = f.Chmod(fileMode)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("restrict to mode %04o: %w", fileMode, err)
	}
	return f, nil
}

// lastLine finds the last complete line of a file of the given size by
// reading backwards from its end, so resuming costs the same for any length
// of file. It returns that line without its newline (nil when there is no
// complete line) and the offset just after it, which is the file's size
// unless the file ends with a torn line.
func lastLine(r io.ReaderAt, size int64) (line []byte, complete int64, err error) {
	const block = 4096
	buf := make([]byte, block)
	end := int64(-1) // offset of the file's last newline
	for pos := size; pos > 0; {
		n := min(int64(block), pos)
		pos -= n
		if err := readFull(r, buf[:n], pos); err != nil {
			return nil, 0, err
		}
		chunk := buf[:n]
		for {
			i := bytes.LastIndexByte(chunk, '\n')
			if i < 0 {
				break
			}
			if end < 0 {
				end = pos + int64(i)
				chunk = chunk[:i]
				continue
			}
			line, err := readRange(r, pos+int64(i)+1, end)
			return line, end + 1, err
		}
	}
	if end < 0 {
		return nil, 0, nil
	}
	line, err = readRange(r, 0, end)
	return line, end + 1, err
}

// readRange reads the bytes at [from, to).
func readRange(r io.ReaderAt, from, to int64) ([]byte, error) {
	b := make([]byte, to-from)
	if err := readFull(r, b, from); err != nil {
		return nil, err
	}
	return b, nil
}

// readFull fills b from offset off; io.EOF with b filled is no error.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}
