package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrationFS holds the schema, one numbered file per step
// (0001_init.sql, 0002_….sql). Files are never edited once released; a
// change is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Advisory lock keys, fixed so that every accessbot on a database agrees.
const (
	// lockMigrate serializes schema migrations between replicas starting at once.
	lockMigrate int64 = 0x616363_6d696772 // "acc" "migr"
	// lockLeader is held by the leader replica (leader.go).
	lockLeader int64 = 0x616363_6c656164 // "acc" "lead"
)

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded steps in order, checking that they are
// numbered 1, 2, 3… without gaps.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", m.name, i+1)
		}
	}
	return out, nil
}

// schemaVersion is the newest schema this code knows.
func schemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // the embedded files are part of the build; tests catch this
	}
	return len(ms)
}

// migrate brings the database to schemaVersion under an advisory lock, so
// replicas starting together apply each step once, and refuses a database
// written by a newer accessbot.
func migrate(ctx context.Context, conn *pgx.Conn) (err error) {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockMigrate); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockMigrate); uerr != nil && err == nil {
			err = fmt.Errorf("release the migration lock: %w", uerr)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS accessbot_schema (
		one boolean PRIMARY KEY DEFAULT true CHECK (one),
		version integer NOT NULL)`); err != nil {
		return fmt.Errorf("create the schema version table: %w", err)
	}
	var version int
	err = conn.QueryRow(ctx, "SELECT version FROM accessbot_schema").Scan(&version)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if version > len(ms) {
		return fmt.Errorf("schema version %d is newer than this accessbot supports (%d); run a newer accessbot", version, len(ms))
	}
	for _, m := range ms[version:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO accessbot_schema (version) VALUES ($1)
				ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version`, m.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}
