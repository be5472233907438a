package store

import (
	"context"
	"fmt"

	"github.com/accessbot/accessbot/access"
	bolt "go.etcd.io/bbolt"
)

// Value returns the text stored under key, "" when there is none.
func (s *Store) Value(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("store: read value %q: %w", key, err)
	}
	if err := access.CheckValueKey(key, ""); err != nil {
		return "", err
	}
	var v string
	err := s.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketValues).Get([]byte(key))) // copied: bytes live only in the transaction
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store: read value %q: %w", key, err)
	}
	return v, nil
}

// SetValue stores value under key; "" removes it.
func (s *Store) SetValue(ctx context.Context, key, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: write value %q: %w", key, err)
	}
	if err := access.CheckValueKey(key, value); err != nil {
		return err
	}
	err := s.w.write(func(tx *bolt.Tx) error {
		if value == "" {
			return tx.Bucket(bucketValues).Delete([]byte(key))
		}
		return tx.Bucket(bucketValues).Put([]byte(key), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("store: write value %q: %w", key, err)
	}
	return nil
}
