package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// Import stores many new requests and then appends events, all in one
// transaction, indexing each request as Create does and numbering the events
// in order after the last one stored. It is for restores, migrations and
// generated data sets: one commit (and one fsync) covers the lot, where a
// Create per request pays one each. ECONFLICT, and nothing written, if any
// id is stored already or repeats. Split very large imports into calls of a
// few thousand requests: a transaction keeps every page it changes in memory
// until it commits.
func (s *Store) Import(ctx context.Context, rs []*access.Request, events []access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: import: %w", err)
	}
	for _, r := range rs {
		if err := checkKeys(r); err != nil {
			return fmt.Errorf("store: import: %w", err)
		}
	}
	err := s.w.write(func(tx *bolt.Tx) error {
		for _, r := range rs {
			if err := create(tx, r, nil); err != nil {
				// Not unwritten any more: the requests before it were.
				var u unwritten
				if errors.As(err, &u) {
					err = u.err
				}
				return fmt.Errorf("request %s: %w", r.ID, err)
			}
		}
		return appendEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: import %d requests: %w", len(rs), err)
	}
	return nil
}
