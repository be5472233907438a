package postgres

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// configure makes a dead connection visible within opts.DeadAfter on both
// ends, so that a replica whose database went away fails fast, and the
// server ends the session of a replica that went away (releasing the
// leader's advisory lock) instead of waiting for the kernel's defaults
// (two hours of TCP keepalive idle, fifteen minutes of retransmissions).
//
// Client side, on each connection the pool dials: TCP keepalive probes after
// DeadAfter/2 idle, every DeadAfter/10 (at least 1 s), 5 of them; and on
// Linux TCP_USER_TIMEOUT = DeadAfter, which fails a connection whose sent
// data stays unacknowledged that long (keepalives alone do not cover a
// connection with a query in flight). pgx does not take libpq's
// keepalives_* URL parameters, so the dialer does it.
//
// Server side, the session settings tcp_keepalives_idle, _interval, _count
// and tcp_user_timeout (PostgreSQL 12+) with the same values, unless the URL
// sets them (pgx sends unknown URL parameters to the server as session
// settings).
func configure(cfg *pgxpool.Config, opts Options) {
	dead := opts.DeadAfter
	if dead <= 0 {
		dead = DefaultDeadAfter
	}
	idle := dead / 2
	interval := max(dead/10, time.Second)
	const count = 5
	d := &net.Dialer{
		Timeout: dead,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: idle, Interval: interval, Count: count,
		},
		Control: userTimeout(dead),
	}
	cfg.ConnConfig.DialFunc = d.DialContext
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = dead
	}
	params := cfg.ConnConfig.RuntimeParams
	setDefault := func(k, v string) {
		if _, ok := params[k]; !ok {
			params[k] = v
		}
	}
	secs := func(d time.Duration) string { return strconv.Itoa(max(int(d/time.Second), 1)) }
	setDefault("tcp_keepalives_idle", secs(idle))
	setDefault("tcp_keepalives_interval", secs(interval))
	setDefault("tcp_keepalives_count", strconv.Itoa(count))
	setDefault("tcp_user_timeout", fmt.Sprint(dead.Milliseconds()))
	setDefault("application_name", "accessbot")
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
}
