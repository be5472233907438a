package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/audit"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/store"
)

// storeLockWait is how long `audit export` waits for the store's file lock
// before concluding that the bot is running and reading its mirror instead.
const storeLockWait = 200 * time.Millisecond

const auditUsage = `Usage:
  accessbot audit export --config FILE [--since T] [--until T] [--user EMAIL] [--resource ID] [--format jsonl|csv]

Writes the audit events that match to stdout, oldest first. T is an RFC 3339
time (2024-05-01T15:04:05Z), a date (2024-05-01, midnight UTC) or how long
before now (7d, 24h); --since is inclusive, --until exclusive. --user matches
the email of the actor or of the person whose access it concerns.

It works while accessbot runs: a bbolt store is locked then, so the events
come from the JSON-lines mirror (audit.path) that the running bot keeps in
step; a PostgreSQL store (store.url) is read directly. Stderr says which
source was read.
`

// auditCommand is `accessbot audit …`; export is its only subcommand.
func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
			fmt.Fprint(stdout, auditUsage)
			return exitOK
		}
		fmt.Fprint(stderr, auditUsage)
		return exitUsage
	}
	return auditExport(ctx, args[1:], stdout, stderr, getenv, time.Now)
}

// auditExport is `accessbot audit export`.
func auditExport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	flags := flagSet("audit export", stderr)
	flags.Usage = func() { fmt.Fprint(stderr, auditUsage) }
	path := flags.String("config", "", "config file")
	since := flags.String("since", "", "only events at or after this time")
	until := flags.String("until", "", "only events before this time")
	user := flags.String("user", "", "only events whose actor or subject has this email")
	resource := flags.String("resource", "", "only events about this resource id")
	format := flags.String("format", audit.FormatJSONL, "output format: jsonl or csv")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "accessbot: audit export takes no arguments, got %q\n\n%s", flags.Args(), auditUsage)
		return exitUsage
	}
	filter, err := exportFilter(*since, *until, *user, *resource, now())
	if err == nil && !slices.Contains(audit.Formats, *format) {
		err = fmt.Errorf("unknown --format %q: use %s", *format, strings.Join(audit.Formats, " or "))
	}
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitUsage
	}
	cfg, code := loadConfig(*path, stderr, getenv)
	if cfg == nil {
		return code
	}
	events, err := readAuditEvents(ctx, cfg, filter, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitFailed
	}
	if err := audit.Export(stdout, events, *format); err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "accessbot: exported %d event(s)\n", len(events))
	return exitOK
}

// exportFilter turns the flags into an event filter.
func exportFilter(since, until, user, resource string, now time.Time) (access.EventFilter, error) {
	var f access.EventFilter
	var err error
	if since != "" {
		if f.Since, err = audit.ParseTime(since, now); err != nil {
			return f, fmt.Errorf("--since: %s", access.ErrorMessage(err))
		}
	}
	if until != "" {
		if f.Until, err = audit.ParseTime(until, now); err != nil {
			return f, fmt.Errorf("--until: %s", access.ErrorMessage(err))
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, fmt.Errorf("--since (%s) must be before --until (%s)", f.Since.UTC().Format(time.RFC3339), f.Until.UTC().Format(time.RFC3339))
	}
	if user = strings.ToLower(strings.TrimSpace(user)); user != "" && !strings.Contains(user, "@") {
		return f, fmt.Errorf("--user %q is not an email", user)
	}
	f.Email, f.ResourceID = user, strings.TrimSpace(resource)
	return f, nil
}

// readAuditEvents reads the matching events from the store when it is free,
// else (the bot holds its lock) from the mirror file, and says which on stderr.
func readAuditEvents(ctx context.Context, cfg *config.Config, f access.EventFilter, stderr io.Writer) ([]access.Event, error) {
	if cfg.Store.URL != "" {
		return readSharedEvents(ctx, cfg.Store, f, stderr)
	}
	// Opening a missing store would create an empty one and export nothing.
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no store at %s (store.path): has accessbot run with this config?", cfg.Store.Path)
		}
		return nil, err
	}
	st, err := store.Open(cfg.Store.Path, store.Options{Timeout: storeLockWait})
	switch {
	case err == nil:
		defer st.Close()
		fmt.Fprintf(stderr, "accessbot: reading the audit trail from the store %s\n", cfg.Store.Path)
		return st.Events(ctx, f)
	case !errors.Is(err, bolterrors.ErrTimeout):
		return nil, err
	}
	events, sum, err := audit.ReadFile(cfg.Audit.Path, f)
	if err != nil {
		return nil, fmt.Errorf("the store %s is locked by a running accessbot, and its audit mirror cannot be read: %w", cfg.Store.Path, err)
	}
	fmt.Fprintf(stderr, "accessbot: the store %s is in use by a running accessbot; reading its audit mirror %s (events %d to %d)\n",
		cfg.Store.Path, cfg.Audit.Path, sum.FirstSeq, sum.LastSeq)
	return events, nil
}
