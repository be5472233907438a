package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// schemaVersion is the layout this code reads and writes. Raise it, and
// migrate in initSchema, whenever a key or value format changes.
const schemaVersion uint64 = 1

var (
	bucketMeta        = []byte("meta")
	bucketRequests    = []byte("requests")
	bucketDue         = []byte("due")
	bucketByRequester = []byte("by_requester")
	bucketOpen        = []byte("open")
	bucketEvents      = []byte("events")
	// bucketDelegations holds one delegation per delegator (Slack id → JSON).
	// A file from before it gets it when opened; older versions ignore it.
	bucketDelegations = []byte("delegations")
	// bucketValues holds Store.Value's keys; a store from before it gains
	// it empty when opened, which is all an older file needs.
	bucketValues = []byte("values")
	// bucketPaused holds the pauses in force, by resource id. A file from
	// before it existed gets it, empty, at open: no format changed.
	bucketPaused = []byte("paused")

	keySchemaVersion = []byte("schema_version")
)

var allBuckets = [][]byte{bucketMeta, bucketRequests, bucketDue, bucketByRequester, bucketOpen, bucketEvents, bucketPaused, bucketValues, bucketDelegations}

// initSchema records the schema version in a new file, refuses a file from a
// newer accessbot, and makes sure every bucket exists.
func initSchema(tx *bolt.Tx) error {
	if meta := tx.Bucket(bucketMeta); meta != nil {
		v := meta.Get(keySchemaVersion)
		if len(v) != 8 {
			return fmt.Errorf("meta bucket has no valid schema version (%d bytes); is this an accessbot store?", len(v))
		}
		if got := binary.BigEndian.Uint64(v); got > schemaVersion {
			return fmt.Errorf("schema version %d is newer than this accessbot supports (%d); run a newer accessbot", got, schemaVersion)
		}
	} else if k, _ := tx.Cursor().First(); k != nil {
		return fmt.Errorf("file holds bucket %q but no accessbot schema version; is it an accessbot store?", k)
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta.Get(keySchemaVersion) == nil {
		if err := meta.Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, schemaVersion)); err != nil {
			return fmt.Errorf("record schema version: %w", err)
		}
	}
	return nil
}
