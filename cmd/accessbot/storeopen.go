package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/store"
	"github.com/accessbot/accessbot/store/postgres"
)

// Store is what Main needs of a store, whichever engine holds it: the
// domain's access.Store, the due lookup the expiry loop sleeps on, and the
// reads the audit mirror and the metrics follow the trail with. The bbolt
// store (store.path) and the PostgreSQL store (store.url) both are one.
type Store interface {
	access.Store
	access.DelegationStore
	// NextDue returns the earliest Due later than after, or the zero time.
	NextDue(ctx context.Context, after time.Time) (time.Time, error)
	// LastSeq returns the sequence number of the newest event, 0 when none.
	LastSeq(ctx context.Context) (uint64, error)
	// EventsAfter returns up to limit events with Seq > seq, in order.
	EventsAfter(ctx context.Context, seq uint64, limit int) ([]access.Event, error)
	// Import stores new requests and appends events in one transaction.
	Import(ctx context.Context, rs []*access.Request, events []access.Event) error
	// RequestsAfter pages through every request in id order.
	RequestsAfter(ctx context.Context, afterID string, limit int) ([]*access.Request, error)
	// Close releases the file or the connections.
	Close() error
}

var (
	_ Store = (*store.Store)(nil)
	_ Store = pgStore{}
)

// pgStore gives the PostgreSQL store the Close of the Store interface.
type pgStore struct{ *postgres.Store }

func (s pgStore) Close() error {
	s.Store.Close()
	return nil
}

// openStore opens the store cfg names: PostgreSQL when store.url is set,
// else the bbolt file at store.path. lockWait bounds the wait for a bbolt
// file another process holds (zero: the store's default).
func openStore(ctx context.Context, cfg config.Store, lockWait time.Duration) (Store, error) {
	if cfg.URL != "" {
		st, err := postgres.Open(ctx, cfg.URL, postgres.Options{})
		if err != nil {
			return nil, err
		}
		return pgStore{st}, nil
	}
	st, err := store.Open(cfg.Path, store.Options{Timeout: lockWait})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// storeName names the store in logs and messages: the file, or the
// database URL without its password.
func storeName(cfg config.Store) string {
	if cfg.URL == "" {
		return cfg.Path
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return "PostgreSQL"
	}
	u.RawQuery = "" // may hold password=…
	return u.Redacted()
}

// readSharedEvents reads the matching audit events straight from a
// PostgreSQL store, which serves readers while replicas run.
func readSharedEvents(ctx context.Context, cfg config.Store, f access.EventFilter, stderr io.Writer) ([]access.Event, error) {
	st, err := openStore(ctx, cfg, 0)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	fmt.Fprintf(stderr, "accessbot: reading the audit trail from the store %s\n", storeName(cfg))
	return st.Events(ctx, f)
}

// envelopeClaim returns how replicas sharing a PostgreSQL store agree on
// which one handles a Socket Mode envelope Slack delivered more than once;
// nil for a bbolt file, which one process holds.
func envelopeClaim(st Store) func(ctx context.Context, envelopeID string) (bool, error) {
	if pg, ok := st.(pgStore); ok {
		return pg.ClaimEnvelope
	}
	return nil
}
