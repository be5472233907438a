package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultLeaderInterval is LeaderOptions.Interval when it is zero.
const DefaultLeaderInterval = 2 * time.Second

// LeaderOptions configures a Leader. The zero value is what production wants.
type LeaderOptions struct {
	// Interval is how often a candidate tries to take the lock and how often
	// the leader checks that its connection still answers. Zero means
	// DefaultLeaderInterval.
	Interval time.Duration
	// OnChange, if set, is called with true when this replica becomes the
	// leader and with false when it stops being one (for logs and metrics).
	// It is called from Lead's goroutine and must return quickly.
	OnChange func(leader bool)
	// OnError, if set, is called with each failure to connect, to take the
	// lock or to keep the connection (for logs); Lead itself tries again.
	OnError func(err error)
}

// Leader elects one replica among those sharing the database: the one
// holding a session-level advisory lock on a connection of its own, apart
// from the pool. The lock lasts as long as that session, so a leader that
// dies or is cut off loses it when the server ends the session (at once for
// a crash or a terminated backend; within Options.DeadAfter for a host or
// network gone quiet, thanks to the keepalives), and another takes it.
type Leader struct {
	s      *Store
	opts   LeaderOptions
	leader atomic.Bool
}

// Leader returns a candidate for leadership on s's database.
func (s *Store) Leader(opts LeaderOptions) *Leader {
	if opts.Interval <= 0 {
		opts.Interval = DefaultLeaderInterval
	}
	return &Leader{s: s, opts: opts}
}

// IsLeader reports whether this replica holds the leadership now.
func (l *Leader) IsLeader() bool { return l.leader.Load() }

// Lead campaigns until ctx ends. Whenever it holds the lock it runs fn with
// a context that is cancelled as soon as the leadership may be lost: the
// connection failed, the server stopped answering a check within Interval,
// or ctx ended. It waits for fn to return before campaigning again, so fn
// never runs twice at once in one process; across processes, the old
// leader's fn is told to stop before the server can free the lock (see
// the package doc), and every write it makes is a conditional transition,
// so one that still lands on newer state is refused. If fn returns on its
// own, the lock is released and Lead campaigns again after Interval, so
// another replica may take over. Lead returns nil when ctx ends.
func (l *Leader) Lead(ctx context.Context, fn func(ctx context.Context)) error {
	for ctx.Err() == nil {
		conn, err := l.connect(ctx)
		if err == nil {
			err = l.hold(ctx, conn, fn)
			_ = conn.Close(context.WithoutCancel(ctx)) // ends the session: the lock goes with it
		}
		if ctx.Err() != nil {
			break
		}
		if err != nil && l.opts.OnError != nil {
			l.opts.OnError(err)
		}
		sleep(ctx, l.opts.Interval)
	}
	return nil
}

// connect opens the dedicated connection, with the pool's settings
// (keepalives included).
func (l *Leader) connect(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, l.s.cfg.ConnConfig.ConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, l.s.cfg.ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("leader: connect: %w", err)
	}
	return conn, nil
}

// hold tries for the lock on conn every Interval and, once it holds it,
// runs fn until the connection fails or ctx ends. It returns when conn
// must be given up.
func (l *Leader) hold(ctx context.Context, conn *pgx.Conn, fn func(context.Context)) error {
	for {
		var got bool
		qctx, cancel := context.WithTimeout(ctx, l.opts.Interval)
		err := conn.QueryRow(qctx, "SELECT pg_try_advisory_lock($1)", lockLeader).Scan(&got)
		cancel()
		if err != nil {
			return fmt.Errorf("leader: try the lock: %w", err)
		}
		if got {
			break
		}
		if !sleep(ctx, l.opts.Interval) {
			return ctx.Err()
		}
	}

	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	l.set(true)
	go func() {
		defer close(done)
		fn(lctx)
	}()
	err := l.watch(ctx, conn, done)
	stop() // at once: the lock may be gone
	<-done
	l.set(false)
	if err == nil && ctx.Err() == nil {
		// fn returned on its own: hand the lock back so another may lead.
		uctx, cancel := context.WithTimeout(ctx, l.opts.Interval)
		defer cancel()
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", lockLeader); err != nil {
			return fmt.Errorf("leader: release the lock: %w", err)
		}
		sleep(ctx, l.opts.Interval)
	}
	return err
}

// watch returns nil when ctx ends or fn returns, and an error as soon as
// the connection fails. It blocks reading the connection, so a server that
// ends the session (shutdown, a terminated backend) is noticed at once;
// every Interval it also checks that the server answers within Interval,
// which catches a server that went quiet without closing anything.
func (l *Leader) watch(ctx context.Context, conn *pgx.Conn, done <-chan struct{}) error {
	for {
		select {
		case <-done:
			return nil
		default:
		}
		wctx, cancel := context.WithTimeout(ctx, l.opts.Interval)
		err := conn.PgConn().WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil: // a notification: nothing is listening for one
			continue
		case !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("leader: connection lost: %w", err)
		}
		pctx, cancel := context.WithTimeout(ctx, l.opts.Interval)
		err = conn.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("leader: connection does not answer: %w", err)
		}
	}
}

func (l *Leader) set(leader bool) {
	l.leader.Store(leader)
	if l.opts.OnChange != nil {
		l.opts.OnChange(leader)
	}
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
