package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/workflow"
)

const storeUsage = `Usage:
  accessbot store copy --from STORE --to STORE

Copies every request (with its grant and due time) and the whole audit
trail, with its sequence numbers, from one store to another: between a bbolt
file and a PostgreSQL database, either way. STORE is a file path or a
postgres:// URL; ${NAME} alone takes it from the environment variable NAME,
which keeps a password off the command line. The target must be empty (a
new file, or a database accessbot has not written to). Stop every accessbot
using the source first: a source that changes during the copy fails it.
`

// copyBatch is how many requests or events one write to the target carries:
// large enough that a copy of a million is quick, small enough that a bbolt
// transaction stays small.
const copyBatch = 1000

// storeCommand is `accessbot store …`; copy is its only subcommand.
func storeCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "copy" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
			fmt.Fprint(stdout, storeUsage)
			return exitOK
		}
		fmt.Fprint(stderr, storeUsage)
		return exitUsage
	}
	flags := flagSet("store copy", stderr)
	flags.Usage = func() { fmt.Fprint(stderr, storeUsage) }
	from := flags.String("from", "", "the store to copy: a bbolt file or a postgres:// URL")
	to := flags.String("to", "", "the empty store to copy into")
	if err := flags.Parse(args[1:]); err != nil {
		return exitUsage
	}
	src, dst, err := copyEnds(*from, *to, getenv)
	if err == nil && flags.NArg() > 0 {
		err = fmt.Errorf("store copy takes no arguments, got %q", flags.Args())
	}
	if err != nil {
		fmt.Fprintf(stderr, "accessbot: %v\n\n%s", err, storeUsage)
		return exitUsage
	}
	res, err := copyStores(ctx, src, dst)
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "copied %d request(s) and %d audit event(s) from %s to %s\n",
		res.requests, res.events, storeName(src), storeName(dst))
	return exitOK
}

// copyEnds turns --from and --to into store configs.
func copyEnds(from, to string, getenv func(string) string) (src, dst config.Store, err error) {
	end := func(flag, v string) (config.Store, error) {
		if name, ok := strings.CutPrefix(v, "${"); ok && strings.HasSuffix(name, "}") {
			name = strings.TrimSuffix(name, "}")
			if v = getenv(name); v == "" {
				return config.Store{}, fmt.Errorf("--%s: the environment variable %s is not set", flag, name)
			}
		}
		switch {
		case v == "":
			return config.Store{}, fmt.Errorf("--%s is required", flag)
		case strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://"):
			return config.Store{URL: v}, nil
		}
		return config.Store{Path: v}, nil
	}
	if src, err = end("from", from); err != nil {
		return src, dst, err
	}
	if dst, err = end("to", to); err != nil {
		return src, dst, err
	}
	if src.URL == dst.URL && src.URL != "" || src.Path != "" && dst.Path != "" && sameFile(src.Path, dst.Path) {
		return src, dst, errors.New("--from and --to name the same store")
	}
	return src, dst, nil
}

func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

type copied struct {
	requests int
	events   uint64
}

// copyStores opens both ends, refuses a target that holds anything, and
// copies requests, then events in sequence order: the target numbers events
// after its last one, so into an empty target every event keeps its number,
// which the copy checks batch by batch.
func copyStores(ctx context.Context, from, to config.Store) (copied, error) {
	if from.Path != "" {
		// Opening a missing file would create an empty store and copy nothing.
		if _, err := os.Stat(from.Path); errors.Is(err, fs.ErrNotExist) {
			return copied{}, fmt.Errorf("no store at %s", from.Path)
		}
	}
	src, err := openStore(ctx, from, storeLockWait)
	if err != nil {
		return copied{}, fmt.Errorf("open the source: %w", err)
	}
	defer src.Close()
	dst, err := openStore(ctx, to, storeLockWait)
	if err != nil {
		return copied{}, fmt.Errorf("open the target: %w", err)
	}
	defer dst.Close()

	if err := checkEmpty(ctx, dst); err != nil {
		return copied{}, fmt.Errorf("target %s: %w", storeName(to), err)
	}
	res, err := copyAll(ctx, src, dst)
	if err != nil {
		return res, fmt.Errorf("copy %s to %s: %w; the target now holds part of the source: start again with an empty one",
			storeName(from), storeName(to), err)
	}
	return res, nil
}

// checkEmpty refuses a store that holds a request or an event.
func checkEmpty(ctx context.Context, st Store) error {
	last, err := st.LastSeq(ctx)
	if err != nil {
		return err
	}
	rs, err := st.RequestsAfter(ctx, "", 1)
	if err != nil {
		return err
	}
	if last != 0 || len(rs) != 0 {
		return fmt.Errorf("not empty (it holds requests or audit events); store copy only copies into an empty store")
	}
	return nil
}

func copyAll(ctx context.Context, src, dst Store) (copied, error) {
	var res copied
	first, err := src.LastSeq(ctx)
	if err != nil {
		return res, err
	}
	for after := ""; ; {
		page, err := src.RequestsAfter(ctx, after, copyBatch)
		if err != nil {
			return res, err
		}
		if len(page) == 0 {
			break
		}
		if err := dst.Import(ctx, page, nil); err != nil {
			return res, err
		}
		res.requests += len(page)
		after = page[len(page)-1].ID
	}
	// Delegations before the events: PutDelegation appends none, so event
	// numbers stay the source's.
	ds, err := src.Delegations(ctx)
	if err != nil {
		return res, err
	}
	for _, d := range ds {
		if err := dst.PutDelegation(ctx, d); err != nil {
			return res, err
		}
	}
	for {
		evs, err := src.EventsAfter(ctx, res.events, copyBatch)
		if err != nil {
			return res, err
		}
		if len(evs) == 0 {
			break
		}
		for i, e := range evs {
			if want := res.events + uint64(i) + 1; e.Seq != want {
				return res, fmt.Errorf("the source's audit trail has a gap: event %d follows %d", e.Seq, want-1)
			}
		}
		if err := dst.Import(ctx, nil, evs); err != nil {
			return res, err
		}
		res.events = evs[len(evs)-1].Seq
		if got, err := dst.LastSeq(ctx); err != nil {
			return res, err
		} else if got != res.events {
			return res, fmt.Errorf("the target numbered event %d as %d", res.events, got)
		}
	}
	// The background loops' state goes too: without the System Log cursor
	// the target's poller would start afresh, and without the drift state
	// report again what was reported.
	for _, key := range []string{workflow.UsageCursorKey, workflow.DriftStateKey} {
		v, err := src.Value(ctx, key)
		if err != nil {
			return res, err
		}
		if v == "" {
			continue
		}
		if err := dst.SetValue(ctx, key, v); err != nil {
			return res, err
		}
	}
	// Pauses in force go too: a paused resource must not take requests
	// on the new store. Their audit events were copied with the trail.
	pauses, err := src.Pauses(ctx)
	if err != nil {
		return res, err
	}
	for _, p := range pauses {
		if err := dst.PauseResource(ctx, p); err != nil {
			return res, err
		}
	}
	last, err := src.LastSeq(ctx)
	if err != nil {
		return res, err
	}
	if last != first || last != res.events {
		return res, fmt.Errorf("the source changed during the copy (audit events %d, then %d): stop every accessbot that uses it", first, last)
	}
	return res, nil
}
