package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// Index keys sort by time as raw bytes, so they hold unix nanoseconds
// big-endian. Times outside what an int64 of nanoseconds covers (before 1970,
// after 2262) are clamped, which keeps the order and never wraps around.
var (
	minKeyTime = time.Unix(0, 0)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

func timeKey(t time.Time) uint64 {
	switch {
	case t.Before(minKeyTime):
		return 0
	case t.After(maxKeyTime):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// dueKey is the due index key of a request: Due, then id.
func dueKey(due time.Time, id string) []byte {
	k := make([]byte, 0, 8+len(id))
	k = binary.BigEndian.AppendUint64(k, timeKey(due))
	return append(k, id...)
}

// requesterPrefix starts the by_requester keys of one Slack user. The 0x00
// ends the Slack id, so "U1" never matches the keys of "U12".
func requesterPrefix(slackID string) []byte {
	return append([]byte(slackID), 0)
}

// requesterKey is the by_requester key of a request: Slack id, 0x00,
// CreatedAt, then id, so one user's requests sort by age.
func requesterKey(r *access.Request) []byte {
	k := requesterPrefix(r.Requester.SlackID)
	k = binary.BigEndian.AppendUint64(k, timeKey(r.CreatedAt))
	return append(k, r.ID...)
}

// indexEntries are the index keys a request version owns.
type indexEntries struct {
	id        string
	due       []byte // nil: not due
	requester []byte
	open      bool
}

func entriesOf(r *access.Request) indexEntries {
	e := indexEntries{id: r.ID, requester: requesterKey(r), open: !r.State.Final()}
	if !r.Due.IsZero() {
		e.due = dueKey(r.Due, r.ID)
	}
	return e
}

// put adds the index keys of a new request.
func (e indexEntries) put(tx *bolt.Tx) error {
	return indexEntries{id: e.id}.update(tx, e)
}

// update replaces the keys of old (e) by those of next, touching only the
// ones that changed.
func (e indexEntries) update(tx *bolt.Tx, next indexEntries) error {
	if err := moveKey(tx.Bucket(bucketDue), e.due, next.due); err != nil {
		return fmt.Errorf("due index: %w", err)
	}
	if err := moveKey(tx.Bucket(bucketByRequester), e.requester, next.requester); err != nil {
		return fmt.Errorf("requester index: %w", err)
	}
	var from, to []byte
	if e.open {
		from = []byte(e.id)
	}
	if next.open {
		to = []byte(next.id)
	}
	if err := moveKey(tx.Bucket(bucketOpen), from, to); err != nil {
		return fmt.Errorf("open index: %w", err)
	}
	return nil
}

// moveKey deletes from and puts to (each when not nil), unless they are equal.
func moveKey(b *bolt.Bucket, from, to []byte) error {
	if bytes.Equal(from, to) {
		return nil
	}
	if from != nil {
		if err := b.Delete(from); err != nil {
			return err
		}
	}
	if to != nil {
		return b.Put(to, []byte{})
	}
	return nil
}

// has reports whether b holds key. Index values are empty, and Get cannot
// tell an empty value from a missing key in every case, so it seeks instead.
func has(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}
