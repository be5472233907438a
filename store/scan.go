package store

import (
	"context"
	"fmt"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// RequestsAfter returns up to limit requests whose id sorts after afterID
// (bytewise), in id order; limit <= 0 means no limit. Called with the last
// id it returned, it pages through every request: `store copy` reads a
// store this way without holding it all in memory.
func (s *Store) RequestsAfter(ctx context.Context, afterID string, limit int) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list requests after %q: %w", afterID, err)
	}
	var out []*access.Request
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRequests).Cursor()
		k, _ := c.Seek(append([]byte(afterID), 0)) // the first key after afterID
		for ; k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
			r, err := getRequest(tx, string(k))
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list requests after %q: %w", afterID, err)
	}
	return out, nil
}
