package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/accessbot/accessbot/access"
)

// Value returns the text stored under key, "" when there is none.
func (s *Store) Value(ctx context.Context, key string) (string, error) {
	if err := access.CheckValueKey(key, ""); err != nil {
		return "", err
	}
	var v string
	err := s.pool.QueryRow(ctx, "SELECT value FROM kv_values WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read value %q: %w", key, err)
	}
	return v, nil
}

// SetValue stores value under key; "" removes it.
func (s *Store) SetValue(ctx context.Context, key, value string) error {
	if err := access.CheckValueKey(key, value); err != nil {
		return err
	}
	var err error
	if value == "" {
		_, err = s.pool.Exec(ctx, "DELETE FROM kv_values WHERE key = $1", key)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO kv_values (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, key, value)
	}
	if err != nil {
		return fmt.Errorf("store: write value %q: %w", key, err)
	}
	return nil
}
