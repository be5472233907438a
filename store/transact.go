package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// Transact loads the requests ids, calls fn with them in that order and,
// if fn returns nil, stores them, creates the requests fn returns and
// appends its events, all in one transaction. A missing id is ENOTFOUND; a
// created id that exists is ECONFLICT, and nothing is written. fn must do
// no I/O and may be called more than once (see Update). The result holds
// the changed requests, in ids order, then the created ones.
func (s *Store) Transact(ctx context.Context, ids []string, fn func(rs []*access.Request) ([]*access.Request, []access.Event, error)) ([]*access.Request, error) {
	return s.transact(ctx, fmt.Sprintf("transaction over %v", ids), ids, fn)
}

// transact is Transact, its errors wrapped as "store: <what>: …".
func (s *Store) transact(ctx context.Context, what string, ids []string, fn func(rs []*access.Request) ([]*access.Request, []access.Event, error)) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	var (
		out   []*access.Request
		fnErr error
	)
	err := s.w.write(func(tx *bolt.Tx) error {
		out, fnErr = nil, nil // this may be a second run
		rs := make([]*access.Request, len(ids))
		olds := make([]indexEntries, len(ids))
		for i, id := range ids {
			r, err := getRequest(tx, id)
			if err != nil {
				return unwritten{err}
			}
			rs[i], olds[i] = r, entriesOf(r)
		}
		created, events, err := fn(rs)
		if err != nil {
			fnErr = err
			return unwritten{err}
		}
		// Everything that can refuse is checked before the first write, so a
		// refusal leaves the transaction untouched for the others in its group.
		for i, r := range rs {
			if err := checkKeys(r); err != nil {
				return unwritten{err}
			}
			if r.ID != ids[i] {
				return unwritten{fmt.Errorf("transaction changed request id %s to %s", ids[i], r.ID)}
			}
		}
		for _, r := range created {
			if err := checkKeys(r); err != nil {
				return unwritten{err}
			}
			if tx.Bucket(bucketRequests).Get([]byte(r.ID)) != nil {
				fnErr = access.Errorf(access.ECONFLICT, "request %s exists already", r.ID)
				return unwritten{fnErr}
			}
		}
		for i, r := range rs {
			if err := putRequest(tx, r); err != nil {
				return err
			}
			if err := olds[i].update(tx, entriesOf(r)); err != nil {
				return err
			}
		}
		for _, r := range created {
			if err := putRequest(tx, r); err != nil {
				return err
			}
			if err := entriesOf(r).put(tx); err != nil {
				return err
			}
		}
		if err := appendEvents(tx, events); err != nil {
			return err
		}
		out = append(rs, created...)
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	// The requests were decoded for this call alone, so nobody else holds
	// them: the caller can have them without decoding what was written again.
	return out, nil
}

func putRequest(tx *bolt.Tx, r *access.Request) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	return tx.Bucket(bucketRequests).Put([]byte(r.ID), data)
}
