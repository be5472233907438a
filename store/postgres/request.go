package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessbot/accessbot/access"
	"github.com/jackc/pgx/v5"
)

// Times in indexed columns are unix nanoseconds; times outside what an int64
// of nanoseconds covers (before 1970, after 2262) are clamped, which keeps
// the order, as in the bbolt store's keys.
var (
	minKeyTime = time.Unix(0, 0)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

func timeKey(t time.Time) int64 {
	switch {
	case t.Before(minKeyTime):
		return 0
	case t.After(maxKeyTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// row is a request as its table row stores it.
type row struct {
	id        string
	requester string
	created   int64
	open      bool
	due       *int64
	data      string
}

func rowOf(r *access.Request) (row, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return row{}, fmt.Errorf("encode: %w", err)
	}
	w := row{id: r.ID, requester: r.Requester.SlackID, created: timeKey(r.CreatedAt), open: !r.State.Final(), data: string(data)}
	if !r.Due.IsZero() {
		d := timeKey(r.Due)
		w.due = &d
	}
	return w, nil
}

// checkKeys rejects requests whose keys the columns cannot hold. These are
// bugs in the caller, not user errors. PostgreSQL text holds neither NUL
// nor invalid UTF-8.
func checkKeys(r *access.Request) error {
	switch {
	case r == nil:
		return errors.New("nil request")
	case r.ID == "":
		return errors.New("request has no id")
	case strings.IndexByte(r.ID, 0) >= 0 || !utf8.ValidString(r.ID):
		return fmt.Errorf("request id %q is not NUL-free UTF-8", r.ID)
	case strings.IndexByte(r.Requester.SlackID, 0) >= 0 || !utf8.ValidString(r.Requester.SlackID):
		return fmt.Errorf("requester Slack id %q contains a NUL byte or is not UTF-8", r.Requester.SlackID)
	}
	return nil
}

const insertRequest = `INSERT INTO requests (id, requester, created_ns, open, due_ns, data)
	VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`

// Create stores a new request and its events in one transaction. ECONFLICT
// if a request with r's id exists. r is not modified.
func (s *Store) Create(ctx context.Context, r *access.Request, events ...access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: create request: %w", err)
	}
	if err := checkKeys(r); err != nil {
		return fmt.Errorf("store: create request: %w", err)
	}
	w, err := rowOf(r)
	if err != nil {
		return fmt.Errorf("store: create request %s: %w", r.ID, err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, insertRequest, w.id, w.requester, w.created, w.open, w.due, w.data)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return access.Errorf(access.ECONFLICT, "request %s exists already", r.ID)
		}
		return appendEvents(ctx, tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: create request %s: %w", r.ID, err)
	}
	return nil
}

// Update locks request id's row, calls fn on the decoded request and, if fn
// returns nil, writes the result and fn's events (numbered in order) in the
// same transaction. fn's error is returned unchanged and nothing is
// written; a missing id is ENOTFOUND. fn runs while the row is locked, so it
// must be quick and do no I/O; it may not change the id, and it may be
// called more than once (on a fresh copy) when the server rolls the
// transaction back for a deadlock. The result is the copy fn changed, as
// stored.
func (s *Store) Update(ctx context.Context, id string, fn func(r *access.Request) ([]access.Event, error)) (*access.Request, error) {
	rs, err := s.transact(ctx, "update request "+id, []string{id}, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		events, err := fn(rs[0])
		return nil, events, err
	})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// Get returns request id, or ENOTFOUND.
func (s *Store) Get(ctx context.Context, id string) (*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: get request %s: %w", id, err)
	}
	r, err := getRequest(ctx, s.pool, id, "")
	if err != nil {
		return nil, fmt.Errorf("store: get request %s: %w", id, err)
	}
	return r, nil
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// getRequest reads and decodes request id; lock is "" or " FOR UPDATE".
func getRequest(ctx context.Context, q querier, id, lock string) (*access.Request, error) {
	var data []byte
	err := q.QueryRow(ctx, "SELECT data FROM requests WHERE id = $1"+lock, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, access.Refuse(access.ENOTFOUND, access.ReasonNoSuchRequest, access.Params{RequestID: id})
	}
	if err != nil {
		return nil, err
	}
	r := new(access.Request)
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	return r, nil
}

// listRequests decodes the data column of every row sql returns.
func (s *Store) listRequests(ctx context.Context, sql string, args ...any) ([]*access.Request, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*access.Request
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		r := new(access.Request)
		if err := json.Unmarshal(data, r); err != nil {
			return nil, fmt.Errorf("decode request: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ListByRequester returns the requests of the Slack user slackID, newest
// (by CreatedAt, then id) first; with openOnly, only those not in a final
// state. It reads the requester index.
func (s *Store) ListByRequester(ctx context.Context, slackID string, openOnly bool) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list requests of %s: %w", slackID, err)
	}
	out, err := s.listRequests(ctx, `SELECT data FROM requests WHERE requester = $1 AND (open OR NOT $2)
		ORDER BY created_ns DESC, id DESC`, slackID, openOnly)
	if err != nil {
		return nil, fmt.Errorf("store: list requests of %s: %w", slackID, err)
	}
	return out, nil
}

// ListOpen returns every request not in a final state, ordered by id.
func (s *Store) ListOpen(ctx context.Context) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list open requests: %w", err)
	}
	out, err := s.listRequests(ctx, "SELECT data FROM requests WHERE open ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: list open requests: %w", err)
	}
	return out, nil
}

// ListDue returns up to limit requests whose Due is at or before now,
// soonest first (ties by id); limit <= 0 means no limit. It reads only the
// due index entries it returns plus one, however many requests are stored.
func (s *Store) ListDue(ctx context.Context, now time.Time, limit int) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list due requests: %w", err)
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	out, err := s.listRequests(ctx, `SELECT data FROM requests WHERE due_ns IS NOT NULL AND due_ns <= $1
		ORDER BY due_ns, id LIMIT $2`, timeKey(now), lim)
	if err != nil {
		return nil, fmt.Errorf("store: list due requests: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest Due later than after, or the zero time when
// none is, reading one due index entry.
func (s *Store) NextDue(ctx context.Context, after time.Time) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	from := timeKey(after)
	if from == math.MaxInt64 {
		return time.Time{}, nil
	}
	var next int64
	err := s.pool.QueryRow(ctx, `SELECT due_ns FROM requests WHERE due_ns IS NOT NULL AND due_ns > $1
		ORDER BY due_ns LIMIT 1`, from).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	return time.Unix(0, next).UTC(), nil
}

// Import stores many new requests and then appends events, all in one
// transaction, numbering the events after the last one stored. It is for
// restores and copies between stores. ECONFLICT, and nothing written, if
// any id is stored already or repeats.
func (s *Store) Import(ctx context.Context, rs []*access.Request, events []access.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: import: %w", err)
	}
	rows := make([][]any, 0, len(rs))
	seen := make(map[string]bool, len(rs))
	for _, r := range rs {
		if err := checkKeys(r); err != nil {
			return fmt.Errorf("store: import: %w", err)
		}
		if seen[r.ID] {
			return fmt.Errorf("store: import %d requests: request %s: %w", len(rs), r.ID,
				access.Errorf(access.ECONFLICT, "request %s exists already", r.ID))
		}
		seen[r.ID] = true
		w, err := rowOf(r)
		if err != nil {
			return fmt.Errorf("store: import: request %s: %w", r.ID, err)
		}
		rows = append(rows, []any{w.id, w.requester, w.created, w.open, w.due, w.data})
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"requests"},
			[]string{"id", "requester", "created_ns", "open", "due_ns", "data"}, pgx.CopyFromRows(rows))
		if isUniqueViolation(err) {
			return &access.Error{Code: access.ECONFLICT, Message: "A request being imported exists already.", Err: err}
		}
		if err != nil {
			return err
		}
		return appendEvents(ctx, tx, events)
	})
	if err != nil {
		return fmt.Errorf("store: import %d requests: %w", len(rs), err)
	}
	return nil
}

// RequestsAfter returns up to limit requests whose id sorts after afterID
// (bytewise), in id order; limit <= 0 means no limit. Called with the last
// id it returned, it pages through every request.
func (s *Store) RequestsAfter(ctx context.Context, afterID string, limit int) ([]*access.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: list requests after %q: %w", afterID, err)
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	out, err := s.listRequests(ctx, "SELECT data FROM requests WHERE id > $1 ORDER BY id LIMIT $2", afterID, lim)
	if err != nil {
		return nil, fmt.Errorf("store: list requests after %q: %w", afterID, err)
	}
	return out, nil
}
