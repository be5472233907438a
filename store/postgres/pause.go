package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO paused (resource_id, data) VALUES ($1, $2) ON CONFLICT (resource_id) DO NOTHING`,
			filterText(p.ResourceID), string(data))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return access.Errorf(access.ECONFLICT, "resource %s is paused already", p.ResourceID)
		}
		return appendEvents(ctx, tx, events)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM paused WHERE resource_id = $1`, filterText(resourceID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return access.Errorf(access.ENOTFOUND, "resource %s is not paused", resourceID)
		}
		return appendEvents(ctx, tx, events)
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
	rows, err := s.pool.Query(ctx, `SELECT data FROM paused ORDER BY resource_id`)
	if err != nil {
		return nil, fmt.Errorf("store: list pauses: %w", err)
	}
	defer rows.Close()
	var out []access.Pause
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("store: list pauses: %w", err)
		}
		var p access.Pause
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return nil, fmt.Errorf("store: list pauses: decode: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list pauses: %w", err)
	}
	return out, nil
}
