package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/accessbot/accessbot/access"
)

var _ access.DelegationStore = (*Store)(nil)

const upsertDelegation = `INSERT INTO delegations (delegator, data) VALUES ($1, $2)
ON CONFLICT (delegator) DO UPDATE SET data = EXCLUDED.data`

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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, upsertDelegation, d.From.SlackID, string(data)); err != nil {
			return err
		}
		return appendEvents(ctx, tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: put delegation of %s: %w", d.From.SlackID, err)
	}
	return nil
}

// Delegations returns every stored delegation, by delegator's Slack id.
func (s *Store) Delegations(ctx context.Context) ([]access.Delegation, error) {
	rows, err := s.pool.Query(ctx, `SELECT data FROM delegations ORDER BY delegator`)
	if err != nil {
		return nil, fmt.Errorf("store: read delegations: %w", err)
	}
	defer rows.Close()
	var out []access.Delegation
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("store: read delegations: %w", err)
		}
		var d access.Delegation
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, fmt.Errorf("store: decode delegation: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read delegations: %w", err)
	}
	return out, nil
}
