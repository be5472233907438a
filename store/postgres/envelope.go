package postgres

import (
	"context"
	"fmt"
	"time"
)

// envelopeKeep is how long a claimed envelope id is remembered: far longer
// than Slack goes on redelivering one (its retries come within minutes).
const envelopeKeep = time.Hour

// ClaimEnvelope records that this replica handles the Socket Mode envelope
// id and reports true, or reports false when a replica claimed it before
// (Slack delivered it again, perhaps to another replica's connection). It
// also forgets, now and then, the ids older than envelopeKeep.
func (s *Store) ClaimEnvelope(ctx context.Context, id string) (bool, error) {
	now := time.Now()
	tag, err := s.pool.Exec(ctx, "INSERT INTO envelopes (id, seen_ns) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", id, now.UnixNano())
	if err != nil {
		return false, fmt.Errorf("store: claim envelope %s: %w", id, err)
	}
	if last := s.pruned.Load(); now.UnixNano()-last > int64(envelopeKeep/10) && s.pruned.CompareAndSwap(last, now.UnixNano()) {
		if _, err := s.pool.Exec(ctx, "DELETE FROM envelopes WHERE seen_ns < $1", now.Add(-envelopeKeep).UnixNano()); err != nil {
			s.pruned.Store(last) // try again at the next claim
			return tag.RowsAffected() == 1, fmt.Errorf("store: forget old envelopes: %w", err)
		}
	}
	return tag.RowsAffected() == 1, nil
}
