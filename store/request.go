package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// Create stores a new request, its index entries and events in one
// transaction. ECONFLICT if a request with r's id exists. r is not modified.
func (s *Store) Create(ctx context.Context, r *access.Request, events ...access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: create request: %w", err)
	}
	if err := checkKeys(r); err != nil {
		return fmt.Errorf("store: create request: %w", err)
	}
	if err := s.w.write(func(tx *bolt.Tx) error { return create(tx, r, events) }); err != nil {
		return fmt.Errorf("store: create request %s: %w", r.ID, err)
	}
	return nil
}

// checkKeys rejects requests whose keys the indexes cannot hold. These are
// bugs in the caller, not user errors.
func checkKeys(r *access.Request) error {
	switch {
	case r == nil:
		return errors.New("nil request")
	case r.ID == "":
		return errors.New("request has no id")
	case strings.IndexByte(r.Requester.SlackID, 0) >= 0:
		return fmt.Errorf("requester Slack id %q contains a NUL byte", r.Requester.SlackID)
	}
	return nil
}

// create writes a new request; an error before anything is written (the id
// is taken) comes wrapped in unwritten.
func create(tx *bolt.Tx, r *access.Request, events []access.Event) error {
	b := tx.Bucket(bucketRequests)
	if b.Get([]byte(r.ID)) != nil {
		return unwritten{access.Errorf(access.ECONFLICT, "request %s exists already", r.ID)}
	}
	data, err := json.Marshal(r)
	if err != nil {
		return unwritten{fmt.Errorf("encode: %w", err)}
	}
	if err := b.Put([]byte(r.ID), data); err != nil {
		return err
	}
	if err := entriesOf(r).put(tx); err != nil {
		return err
	}
	return appendEvents(tx, events)
}

// Update loads request id, calls fn on a copy and, if fn returns nil, stores
// the result, moves its index entries and appends fn's events (numbered in
// order), all in one transaction. fn's error is returned unchanged and
// nothing is written; a missing id is ENOTFOUND. fn runs while the store is
// locked for writing, so it must be quick and do no I/O. It may not change
// the request's id, and it may be called more than once (on a fresh copy),
// when the commit it shared with other writes failed. The result is the
// copy fn changed, as stored: fn must not keep it.
func (s *Store) Update(ctx context.Context, id string, fn func(r *access.Request) ([]access.Event, error)) (*access.Request, error) {
	rs, err := s.transact(ctx, "update request "+id, []string{id}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		events, err := fn(rs[0])
		return nil, events, err
	})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// Get returns request id, or ENOTFOUND.
func (s *Store) Get(ctx context.Context, id string) (*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: get request %s: %w", id, err)
	}
	var r *access.Request
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		r, err = getRequest(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: get request %s: %w", id, err)
	}
	return r, nil
}

// ListByRequester returns the requests of the Slack user slackID, newest
// (by CreatedAt) first; with openOnly, only those not in a final state.
func (s *Store) ListByRequester(ctx context.Context, slackID string, openOnly bool) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list requests of %s: %w", slackID, err)
	}
	prefix := requesterPrefix(slackID)
	idAt := len(prefix) + 8
	var out []*access.Request
	err := s.db.View(func(tx *bolt.Tx) error {
		open := tx.Bucket(bucketOpen)
		c := tx.Bucket(bucketByRequester).Cursor()
		// Start just past this user's last key: the prefix with its final
		// 0x00 raised to 0x01 sorts after all of them.
		end := append(bytes.Clone(prefix[:len(prefix)-1]), 1)
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if len(k) <= idAt {
				return fmt.Errorf("requester index: malformed key %q", k)
			}
			id := k[idAt:]
			if openOnly && !has(open, id) {
				continue
			}
			r, err := getIndexed(tx, "requester", id)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list requests of %s: %w", slackID, err)
	}
	return out, nil
}

// ListOpen returns every request not in a final state, ordered by id.
func (s *Store) ListOpen(ctx context.Context) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list open requests: %w", err)
	}
	var out []*access.Request
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOpen).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			r, err := getIndexed(tx, "open", k)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list open requests: %w", err)
	}
	return out, nil
}

// ListDue returns up to limit requests whose Due is at or before now, soonest
// first (ties by id); limit <= 0 means no limit. It reads only the due index
// entries it returns plus one, however many requests are stored.
func (s *Store) ListDue(ctx context.Context, now time.Time, limit int) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list due requests: %w", err)
	}
	until := timeKey(now)
	var out []*access.Request
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
			if len(k) <= 8 {
				return fmt.Errorf("due index: malformed key %q", k)
			}
			if binary.BigEndian.Uint64(k[:8]) > until {
				break
			}
			r, err := getIndexed(tx, "due", k[8:])
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list due requests: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest Due later than after, or the zero time when
// none is, reading one due index entry: the expiry loop sleeps until then
// instead of until its next tick.
func (s *Store) NextDue(ctx context.Context, after time.Time) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	from := timeKey(after)
	if from == math.MaxInt64 {
		return time.Time{}, nil
	}
	var next time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketDue).Cursor().Seek(binary.BigEndian.AppendUint64(nil, from+1))
		if k == nil {
			return nil
		}
		if len(k) <= 8 {
			return fmt.Errorf("due index: malformed key %q", k)
		}
		next = time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).UTC()
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	return next, nil
}

// getRequest decodes request id inside tx, or returns ENOTFOUND. The result
// owns its memory and outlives tx.
func getRequest(tx *bolt.Tx, id string) (*access.Request, error) {
	data := tx.Bucket(bucketRequests).Get([]byte(id))
	if data == nil {
		return nil, access.Refuse(access.ENOTFOUND, access.ReasonNoSuchRequest, access.Params{RequestID: id})
	}
	r := new(access.Request)
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	return r, nil
}

// getIndexed loads a request an index names; its absence means the index and
// the requests bucket disagree, which is a bug rather than ENOTFOUND.
func getIndexed(tx *bolt.Tx, index string, id []byte) (*access.Request, error) {
	r, err := getRequest(tx, string(id))
	if access.ErrorCode(err) == access.ENOTFOUND {
		return nil, fmt.Errorf("%s index names request %s, which is not stored", index, id)
	}
	return r, err
}
