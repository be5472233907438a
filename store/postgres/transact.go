package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/accessbot/accessbot/access"
)

// Transact locks the rows of ids (in that order), calls fn with the decoded
// requests and, if fn returns nil, writes them, inserts the requests fn
// returns and appends its events, in one transaction. A missing id is
// ENOTFOUND; a created id that exists is ECONFLICT, and nothing is written.
// fn must do no I/O and may be called again when the server rolls the
// transaction back. The result holds the changed requests in ids order,
// then the created ones.
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		out, fnErr = nil, nil // this may be a second run
		rs := make([]*access.Request, len(ids))
		for i, id := range ids {
			r, err := getRequest(ctx, tx, id, " FOR UPDATE")
			if err != nil {
				return err
			}
			rs[i] = r
		}
		created, events, err := fn(rs)
		if err != nil {
			fnErr = err
			return err
		}
		for i, r := range rs {
			if err := checkKeys(r); err != nil {
				return err
			}
			if r.ID != ids[i] {
				return fmt.Errorf("transaction changed request id %s to %s", ids[i], r.ID)
			}
			w, err := rowOf(r)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE requests SET requester = $2, created_ns = $3, open = $4, due_ns = $5, data = $6
				WHERE id = $1`, w.id, w.requester, w.created, w.open, w.due, w.data); err != nil {
				return err
			}
		}
		for _, r := range created {
			if err := checkKeys(r); err != nil {
				return err
			}
			w, err := rowOf(r)
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, insertRequest, w.id, w.requester, w.created, w.open, w.due, w.data)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				fnErr = access.Errorf(access.ECONFLICT, "request %s exists already", r.ID)
				return fnErr
			}
		}
		if err := appendEvents(ctx, tx, events); err != nil {
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
	return out, nil
}
