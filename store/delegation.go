package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/accessbot/accessbot/access"
)

var _ access.DelegationStore = (*Store)(nil)

// PutDelegation stores d under its delegator's Slack id, replacing any
// earlier one, and appends events, in one transaction.
func (s *Store) PutDelegation(ctx context.Context, d access.Delegation, events ...access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: put delegation: %w", err)
	}
	if d.From.SlackID == "" {
		return fmt.Errorf("store: put delegation: %w", errors.New("delegator has no Slack id"))
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("store: put delegation: encode: %w", err)
	}
	err = s.w.write(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketDelegations).Put([]byte(d.From.SlackID), data); err != nil {
			return err
		}
		return appendEvents(tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: put delegation of %s: %w", d.From.SlackID, err)
	}
	return nil
}

// Delegations returns every stored delegation, by delegator's Slack id.
func (s *Store) Delegations(ctx context.Context) ([]access.Delegation, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: read delegations: %w", err)
	}
	var out []access.Delegation
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDelegations)
		if b == nil {
			return nil // a file opened read-only from before delegations
		}
		return b.ForEach(func(k, v []byte) error {
			var d access.Delegation
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode delegation %s: %w", k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read delegations: %w", err)
	}
	return out, nil
}
