package store

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/accessbot/accessbot/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// The fixtures of the engine-independent suite, under the names the
// bbolt-only tests use.
var (
	t0          = storetest.T0
	newRequest  = storetest.NewRequest
	fullRequest = storetest.FullRequest
	event       = storetest.Event
	assertEqual = storetest.AssertEqual
	seqs        = storetest.Seqs
	dueEntry    = storetest.DueEntry
	allEvents   = storetest.AllEvents
)

// TestStoreContract runs the engine-independent store suite on bbolt.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Engine {
		s := openTest(t, Options{})
		return storetest.Engine{Store: s, Indexes: boltIndexes{s}}
	})
}

// boltIndexes reads the index buckets key by key for the suite.
type boltIndexes struct{ s *Store }

func (b boltIndexes) Due(tb testing.TB) []string       { return dueIndex(tb, b.s) }
func (b boltIndexes) Open(tb testing.TB) []string      { return openIndex(tb, b.s) }
func (b boltIndexes) Requester(tb testing.TB) []string { return requesterIndex(tb, b.s) }

func keyTime(k []byte) string {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC().Format(time.RFC3339Nano)
}

// dueIndex returns the due index as "time id" entries, in key order.
func dueIndex(tb testing.TB, s *Store) []string {
	tb.Helper()
	return indexEntriesOf(tb, s, bucketDue, func(k []byte) string { return keyTime(k[:8]) + " " + string(k[8:]) })
}

// requesterIndex returns the by_requester index as "slack-id time id" entries.
func requesterIndex(tb testing.TB, s *Store) []string {
	tb.Helper()
	return indexEntriesOf(tb, s, bucketByRequester, func(k []byte) string {
		i := 0
		for k[i] != 0 {
			i++
		}
		return string(k[:i]) + " " + keyTime(k[i+1:i+9]) + " " + string(k[i+9:])
	})
}

// openIndex returns the ids in the open index.
func openIndex(tb testing.TB, s *Store) []string {
	tb.Helper()
	return indexEntriesOf(tb, s, bucketOpen, func(k []byte) string { return string(k) })
}

func indexEntriesOf(tb testing.TB, s *Store, bucket []byte, format func([]byte) string) []string {
	tb.Helper()
	out := []string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			if len(v) != 0 {
				return fmt.Errorf("key %q has value %q, want empty", k, v)
			}
			out = append(out, format(k))
			return nil
		})
	})
	if err != nil {
		tb.Fatalf("read %s index: %v", bucket, err)
	}
	return out
}

var _ storetest.Store = (*Store)(nil)
