package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/accessbot/accessbot/access"
	"github.com/jackc/pgx/v5"
)

// Append adds events that change no request (a refused attempt), numbered in
// order, in one transaction. The caller's events are not modified.
func (s *Store) Append(ctx context.Context, events ...access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	if len(events) == 0 {
		return nil
	}
	if err := s.inTx(ctx, func(tx pgx.Tx) error { return appendEvents(ctx, tx, events) }); err != nil {
		return fmt.Errorf("store: append events: %w", err)
	}
	return nil
}

// appendEvents takes the next numbers from the counter row and inserts the
// events, in one statement, inside the transaction that makes the change
// they record: a rollback gives the numbers back, and the counter's row
// lock, held until commit, makes numbers commit in order. It is the last
// statement of every writing transaction, so that lock is held briefly.
func appendEvents(ctx context.Context, tx pgx.Tx, events []access.Event) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	times := make([]int64, n)
	resources := make([]string, n)
	actors := make([]string, n)
	subjects := make([]string, n)
	data := make([]string, n)
	for i, e := range events { // e is a copy; the caller's Seq stays as it was
		e.Seq = 0 // the seq column holds it
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %d (%s): %w", i, e.Type, err)
		}
		times[i] = timeKey(e.Time)
		resources[i] = filterText(e.ResourceID)
		actors[i] = filterText(strings.ToLower(e.Actor.Email))
		subjects[i] = filterText(strings.ToLower(e.Subject.Email))
		data[i] = string(b)
	}
	_, err := tx.Exec(ctx, `WITH c AS (
			UPDATE event_counter SET last_seq = last_seq + $1 RETURNING last_seq - $1 AS base
		)
		INSERT INTO events (seq, time_ns, resource_id, actor_email, subject_email, data)
		SELECT c.base + e.ord, e.time_ns, e.resource_id, e.actor_email, e.subject_email, e.data
		FROM c, unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::json[])
			WITH ORDINALITY AS e(time_ns, resource_id, actor_email, subject_email, data, ord)`,
		n, times, resources, actors, subjects, data)
	if err != nil {
		return fmt.Errorf("store events: %w", err)
	}
	return nil
}

// Events returns the audit events that match f, in sequence order. The
// database narrows by f's fields on indexed columns; f.Match decides.
func (s *Store) Events(ctx context.Context, f access.EventFilter) ([]access.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	if f.AfterSeq >= math.MaxInt64 {
		return nil, nil
	}
	where := []string{"seq > $1"}
	args := []any{int64(f.AfterSeq)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !f.Since.IsZero() {
		add("time_ns >= $%d", timeKey(f.Since))
	}
	if !f.Until.IsZero() {
		// <=, not <: clamping may map an earlier time to the same key.
		add("time_ns <= $%d", timeKey(f.Until))
	}
	if f.ResourceID != "" {
		add("resource_id = $%d", filterText(f.ResourceID))
	}
	if f.Email != "" {
		args = append(args, filterText(strings.ToLower(f.Email)))
		where = append(where, fmt.Sprintf("(actor_email = $%d OR subject_email = $%[1]d)", len(args)))
	}
	evs, err := s.queryEvents(ctx, "SELECT seq, data FROM events WHERE "+strings.Join(where, " AND ")+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("store: read events: %w", err)
	}
	out := evs[:0]
	for _, e := range evs {
		if f.Match(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// filterText makes s fit a text column, which holds neither NUL nor invalid
// UTF-8. The filter columns only narrow a search: f.Match on the decoded
// event decides, so an event whose resource id had a NUL is still found.
func filterText(s string) string {
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// LastSeq returns the sequence number of the newest event, 0 when there is none.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: last event seq: %w", err)
	}
	var seq int64
	if err := s.pool.QueryRow(ctx, "SELECT last_seq FROM event_counter").Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: last event seq: %w", err)
	}
	return uint64(seq), nil
}

// EventsAfter returns up to limit events with Seq > seq, in sequence order;
// limit <= 0 means no limit. Numbers commit in order (appendEvents), so a
// reader never sees an event before every earlier one.
func (s *Store) EventsAfter(ctx context.Context, seq uint64, limit int) ([]access.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: read events after %d: %w", seq, err)
	}
	if seq >= math.MaxInt64 {
		return nil, nil
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	out, err := s.queryEvents(ctx, "SELECT seq, data FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", int64(seq), lim)
	if err != nil {
		return nil, fmt.Errorf("store: read events after %d: %w", seq, err)
	}
	return out, nil
}

func (s *Store) queryEvents(ctx context.Context, sql string, args ...any) ([]access.Event, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Event
	for rows.Next() {
		var (
			seq  int64
			data []byte
		)
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, err
		}
		var e access.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("decode event %d: %w", seq, err)
		}
		e.Seq = uint64(seq)
		out = append(out, e)
	}
	return out, rows.Err()
}
