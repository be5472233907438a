// Package postgres keeps accessbot's requests and audit trail in
// PostgreSQL, so that several replicas can share them. It implements
// access.Store with the same behaviour as the bbolt store (the storetest
// suite runs on both):
//
//   - every change is one SQL transaction: the request row is locked
//     (SELECT … FOR UPDATE), fn decides on the current state, the row and
//     the events are written and committed together;
//   - events are numbered from a counter row updated in that transaction,
//     so numbers have no gaps (a rollback gives them back) and commit in
//     order whichever replica writes;
//   - lookups by requester, by open state and by due time read indexed
//     columns beside the request's JSONB.
//
// The schema is embedded (migrations/) and applied by Open under an
// advisory lock; a database written by a newer accessbot is refused.
//
// Dead connections are noticed within Options.DeadAfter (10 s by default):
// see keepalive.go.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ access.Store = (*Store)(nil)

// DefaultDeadAfter is Options.DeadAfter when it is zero.
const DefaultDeadAfter = 10 * time.Second

// Options configures Open. The zero value is what production wants.
type Options struct {
	// DeadAfter bounds how long a connection to a server that stopped
	// answering (a crashed host, a cut network) goes unnoticed, on both
	// ends: this process's queries fail, and the server ends the session
	// and releases its locks (the leader's among them). Zero means
	// DefaultDeadAfter.
	DeadAfter time.Duration
	// MaxConns caps the pool; zero means pgxpool's default (4, or the
	// number of CPUs if more).
	MaxConns int32
}

// Store is the PostgreSQL implementation of access.Store. It is safe for
// concurrent use, by any number of processes.
type Store struct {
	pool   *pgxpool.Pool
	cfg    *pgxpool.Config // for the leader's dedicated connections
	pruned atomic.Int64    // unix ns of the last pruning of envelopes
}

// Open connects to the database at url (postgres://…), applies the
// embedded schema migrations and returns the store. It refuses a database
// whose schema is newer than this accessbot knows.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors quote the URL, password included.
		return nil, errors.New("store: parse the PostgreSQL URL: it is not a valid postgres:// URL or connection string")
	}
	configure(cfg, opts)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL %s: %w", where(cfg), err)
	}
	err = pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error { return migrate(ctx, c.Conn()) })
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: PostgreSQL %s: %w", where(cfg), err)
	}
	return &Store{pool: pool, cfg: cfg}, nil
}

// where names the server and database for messages, without credentials.
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s/%s", net.JoinHostPort(c.Host, fmt.Sprint(c.Port)), c.Database)
}

// Close closes every connection. The Store must not be used afterwards.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping PostgreSQL: %w", err)
	}
	return nil
}

// maxAttempts bounds how often a transaction the server rolled back for a
// deadlock or serialization failure is run again.
const maxAttempts = 5

// inTx runs fn in a transaction and commits it, running it again (fn is
// called again, on fresh reads) when the server rolled it back for a
// deadlock or a serialization failure.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for range maxAttempts {
		err = pgx.BeginFunc(ctx, s.pool, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
