// Package storetest is the contract every access.Store engine must meet, as
// one test suite: each engine's tests call Run with a function that opens a
// fresh, empty store of that engine. It tests behaviour callers rely on
// (transactions, error codes, ordering, gapless audit numbering, indexes
// following every change), never an engine's layout.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Store is what the suite tests: access.Store, plus the due lookup the
// expiry loop sleeps on, the reads the audit mirror follows the trail with,
// and the bulk load that restores and store copies use.
type Store interface {
	access.Store
	access.DelegationStore
	// NextDue returns the earliest Due later than after, or the zero time.
	NextDue(ctx context.Context, after time.Time) (time.Time, error)
	// LastSeq returns the sequence number of the newest event, 0 when none.
	LastSeq(ctx context.Context) (uint64, error)
	// EventsAfter returns up to limit events with Seq > seq, in order;
	// limit <= 0 means no limit.
	EventsAfter(ctx context.Context, seq uint64, limit int) ([]access.Event, error)
	// Import stores new requests and appends events in one transaction;
	// ECONFLICT, and nothing written, if an id is taken or repeats.
	Import(ctx context.Context, rs []*access.Request, events []access.Event) error
	// RequestsAfter returns up to limit requests whose id sorts after
	// afterID, bytewise, in id order; limit <= 0 means no limit.
	RequestsAfter(ctx context.Context, afterID string, limit int) ([]*access.Request, error)
}

// Indexes shows what an engine's lookups by due time, by open state and by
// requester hold, read straight from the engine (not through the methods
// under test), so the suite sees an entry left behind by a change even where
// no query happens to return it. Entries are formatted and ordered as:
//
//	Due        "<Due, UTC RFC 3339 with nanoseconds> <id>", by Due then id
//	Open       "<id>", by id
//	Requester  "<Slack id> <CreatedAt, as Due> <id>", by Slack id, CreatedAt, id
//
// Ids and Slack ids sort bytewise.
type Indexes interface {
	Due(tb testing.TB) []string
	Open(tb testing.TB) []string
	Requester(tb testing.TB) []string
}

// Engine is one freshly opened, empty store and a view of its indexes.
type Engine struct {
	Store   Store
	Indexes Indexes
}

// Opener opens a fresh, empty store for one test and arranges for it to be
// closed when the test ends.
type Opener func(t *testing.T) Engine

// Run runs the whole suite, each test in a subtest of t with a store of its
// own from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"FullRequestSetsEveryField", testFullRequestSetsEveryField},
		{"RequestRoundTrip", testRequestRoundTrip},
		{"ReturnedRequestsAreCopies", testReturnedRequestsAreCopies},
		{"CreateExistingID", testCreateExistingID},
		{"CreateRejectsBadKeys", testCreateRejectsBadKeys},
		{"MissingRequest", testMissingRequest},
		{"UpdateErrorWritesNothing", testUpdateErrorWritesNothing},
		{"Transact", testTransact},
		{"IndexesFollowState", testIndexesFollowState},
		{"ListDue", testListDue},
		{"ListByRequester", testListByRequester},
		{"ListOpen", testListOpen},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"NextDue", testNextDue},
		{"RequestsAfter", testRequestsAfter},
		{"EventSeqGapless", testEventSeqGapless},
		{"LastSeqEmpty", testLastSeqEmpty},
		{"EventsFilter", testEventsFilter},
		{"ImportIndexesLikeCreate", testImportIndexesLikeCreate},
		{"ImportConflictWritesNothing", testImportConflictWritesNothing},
		{"CanceledContextWritesNothing", testCanceledContextWritesNothing},
		{"Delegations", testDelegations},
		{"Values", testValues},
		{"Pauses", testPauses},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}
