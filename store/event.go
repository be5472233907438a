package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// Append adds events that change no request (a refused attempt), numbered in
// order, in one transaction. The caller's events are not modified.
func (s *Store) Append(ctx context.Context, events ...access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	if len(events) == 0 {
		return nil
	}
	if err := s.w.write(func(tx *bolt.Tx) error { return appendEvents(tx, events) }); err != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	return nil
}

// Events returns the audit events that match f, in sequence order. It starts
// after f.AfterSeq without reading what comes before; the other fields of f
// are checked event by event.
func (s *Store) Events(ctx context.Context, f access.EventFilter) ([]access.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	var out []access.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachEvent(tx, f.AfterSeq, func(e access.Event) bool {
			if f.Match(e) {
				out = append(out, e)
			}
			return true
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	return out, nil
}

// LastSeq returns the sequence number of the newest event, 0 when there is none.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: last event seq: %w", err)
	}
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		// Sequence numbers are only ever taken by appendEvents, inside the
		// transaction that writes the event, so the bucket's sequence is the
		// last key.
		seq = tx.Bucket(bucketEvents).Sequence()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: last event seq: %w", err)
	}
	return seq, nil
}

// EventsAfter returns up to limit events with Seq > seq, in sequence order;
// limit <= 0 means no limit. A mirror of the audit trail calls it with the
// last seq it holds to catch up.
func (s *Store) EventsAfter(ctx context.Context, seq uint64, limit int) ([]access.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: read events after %d: %w", seq, err)
	}
	var out []access.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachEvent(tx, seq, func(e access.Event) bool {
			out = append(out, e)
			return limit <= 0 || len(out) < limit
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read events after %d: %w", seq, err)
	}
	return out, nil
}

// eachEvent decodes the events after seq in order and calls fn on each until
// fn returns false.
func eachEvent(tx *bolt.Tx, after uint64, fn func(access.Event) bool) error {
	if after == math.MaxUint64 {
		return nil // after+1 would wrap around to the first event
	}
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		var e access.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decode event %x: %w", k, err)
		}
		if !fn(e) {
			break
		}
	}
	return nil
}

// appendEvents numbers events from the events bucket's sequence and stores
// them. Called inside the transaction that makes the change they record, so a
// rollback gives the numbers back and the sequence has no gaps.
func appendEvents(tx *bolt.Tx, events []access.Event) error {
	b := tx.Bucket(bucketEvents)
	for _, e := range events { // e is a copy; the caller's Seq stays as it was
		seq, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("number event: %w", err)
		}
		e.Seq = seq
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %d (%s): %w", seq, e.Type, err)
		}
		if err := b.Put(seqKey(seq), data); err != nil {
			return fmt.Errorf("store event %d: %w", seq, err)
		}
	}
	return nil
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}
