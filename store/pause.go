package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/accessbot/accessbot/access"
)

// PauseResource stores p and appends events in one transaction; ECONFLICT,
// and nothing written, if the resource is paused already.
func (s *Store) PauseResource(ctx context.Context, p access.Pause, events ...access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: pause %s: %w", p.ResourceID, err)
	}
	if p.ResourceID == "" {
		return fmt.Errorf("store: pause: no resource id")
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("store: pause %s: encode: %w", p.ResourceID, err)
	}
	err = s.w.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPaused)
		if b.Get([]byte(p.ResourceID)) != nil {
			return unwritten{access.Errorf(access.ECONFLICT, "resource %s is paused already", p.ResourceID)}
		}
		if err := b.Put([]byte(p.ResourceID), data); err != nil {
			return err
		}
		return appendEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: pause %s: %w", p.ResourceID, err)
	}
	return nil
}

// ResumeResource removes the pause of resourceID and appends events in one
// transaction; ENOTFOUND, and nothing written, if it is not paused.
func (s *Store) ResumeResource(ctx context.Context, resourceID string, events ...access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: resume %s: %w", resourceID, err)
	}
	err := s.w.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPaused)
		if b.Get([]byte(resourceID)) == nil {
			return unwritten{access.Errorf(access.ENOTFOUND, "resource %s is not paused", resourceID)}
		}
		if err := b.Delete([]byte(resourceID)); err != nil {
			return err
		}
		return appendEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: resume %s: %w", resourceID, err)
	}
	return nil
}

// Pauses returns every pause in force, by resource id.
func (s *Store) Pauses(ctx context.Context) ([]access.Pause, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list pauses: %w", err)
	}
	var out []access.Pause
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPaused).ForEach(func(k, v []byte) error {
			var p access.Pause
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode pause %q: %w", k, err)
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: list pauses: %w", err)
	}
	return out, nil
}
