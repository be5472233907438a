package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/audit"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/metrics"
	"github.com/accessbot/accessbot/oncall"
	"github.com/accessbot/accessbot/provisioner"
	"github.com/accessbot/accessbot/store/postgres"
	"github.com/accessbot/accessbot/workflow"
)

// runCommand is `accessbot run`: it runs the bot until a signal.
// gcPercent is the collector's target (GOGC) while the bot runs, unless the
// environment sets one. What it buys: the bot's live heap is 4-8 MiB, so at
// Go's default of 100 it collected every ~20 ms under a burst of Slack
// events, each mark taking a CPU for 4-8 ms, a quarter of the time on two
// cores; the acks waited behind it (bench/'s ack p99 7.3-7.5 ms at 100
// against 5.5-6.4 ms at 400, the same runs). At 400 the heap stays under
// 50 MiB with a million stored requests.
const gcPercent = 400

func runCommand(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) int {
	fs := flagSet("run", stderr)
	path := fs.String("config", "", "config file")
	format := fs.String("log-format", "json", "log format: json or console")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	skipChecks := fs.Bool("skip-checks", false, "start even when the start-up checks find fatal problems")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	logger, err := newLogger(stderr, *format, *level)
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitUsage
	}
	cfg, code := loadConfig(*path, stderr, getenv)
	if cfg == nil {
		return code
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	m := NewMain(cfg, logger)
	m.SkipChecks = *skipChecks
	m.ConfigPath, _ = configPath(*path, getenv)
	m.Getenv = getenv
	stopHangups := m.reloadOnHangup(ctx)
	err = m.Run(ctx)
	stopHangups()
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		logger.Error().Err(err).Msg("accessbot stopped")
		return exitFailed
	}
	logger.Info().Msg("accessbot stopped")
	return exitOK
}

// newLogger builds the one logger passed down to every part.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		return zerolog.Logger{}, fmt.Errorf("unknown --log-level %q: use debug, info, warn or error", level)
	}
	switch format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	default:
		return zerolog.Logger{}, fmt.Errorf("unknown --log-format %q: use json or console", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// Main is the running program: the adapters, wired. The end-to-end tests
// run the same Main as the binary, against fake servers.
type Main struct {
	Config *config.Config
	Logger zerolog.Logger
	// Now replaces the clock (tests); nil is time.Now.
	Now func() time.Time
	// SkipChecks starts without the start-up checks (check.go) of tokens,
	// approvers, groups and apps; with them, a fatal problem stops Run.
	SkipChecks bool
	// ConfigPath is the file Reload re-reads; "" when Config came from elsewhere.
	ConfigPath string
	// Getenv expands ${VAR} when reloading; nil is os.Getenv.
	Getenv func(string) string

	store    Store
	metrics  *metrics.Metrics
	bot      *bot.Bot
	workflow *workflow.Service
	usage    *workflow.UsagePoller
	drift    *workflow.Reconciler
	started  chan struct{} // closed once everything is wired
	httpAddr string        // where the health and metrics endpoints listen
	leading  atomic.Bool   // runs the background work now

	live       liveConfig        // the config a reload replaces (reload.go)
	discoverer access.Discoverer // Okta, for resource_sources (discover.go)
	refreshNow chan struct{}     // asks the refresh loop to run at once
}

// NewMain returns a Main for cfg; Run starts it.
func NewMain(cfg *config.Config, logger zerolog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger, started: make(chan struct{}), refreshNow: make(chan struct{}, 1)}
}

// Started is closed once Run has wired everything and started the loops.
func (m *Main) Started() <-chan struct{} { return m.started }

// Run opens the store, connects the adapters and runs the Socket Mode client,
// the expiry loop, the audit mirror and (if configured) the health and
// metrics endpoints until ctx ends or one of them fails. It returns nil on a
// clean stop.
func (m *Main) Run(ctx context.Context) error {
	cfg, log := m.Config, m.Logger
	if !m.SkipChecks {
		if err := m.startupChecks(ctx); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, cfg.Store, 0)
	if err != nil {
		return err
	}
	m.store = st
	m.metrics = metrics.New()
	mirror := audit.NewMirror(cfg.Audit.Path, st, log.With().Str("component", "audit").Logger())
	var b *bot.Bot // set below, before anything is committed
	observed := observedStore{Store: st, committed: mirror.Notify,
		changed: func(r access.Request) { b.RequestChanged(r) }, observe: m.metrics.ObserveEvent}

	// One budget for every Okta call, per rate-limit bucket, outside the
	// metrics transport so call-time metrics measure Okta, not the queue.
	pacer := provisioner.NewPacer(provisioner.PacerOptions{Share: cfg.Okta.RateLimitShare,
		AttemptTimeout: cfg.Okta.RequestTimeout, Logger: log.With().Str("component", "okta").Logger()})
	m.metrics.RegisterOktaBudget(pacer)
	prov, err := provisioner.New(ctx, provisioner.Options{
		Pacer:  pacer,
		OrgURL: cfg.Okta.OrgURL, Token: cfg.Okta.APIToken, AllowHTTP: cfg.Okta.AllowHTTP,
		RequestTimeout: cfg.Okta.RequestTimeout, Logger: log.With().Str("component", "okta").Logger(),
		Transport:        m.metrics.Transport(metrics.ServiceOkta, apiTransport()),
		SlackIDAttribute: cfg.Identity.OktaSlackIDAttribute,
	})
	if err != nil {
		return err
	}
	var onCall access.OnCallSource
	if pd := cfg.PagerDuty; pd != nil {
		onCall = oncall.New(oncall.Options{Token: pd.APIToken, APIURL: pd.APIURL, CacheTTL: pd.CacheTTL, Now: m.Now,
			Logger: log.With().Str("component", "pagerduty").Logger(), Transport: m.metrics.Transport(metrics.ServicePagerDuty, apiTransport())})
	}
	sl := bot.NewSlack(bot.Options{
		BotToken: cfg.Slack.BotToken, AppToken: cfg.Slack.AppToken, APIURL: cfg.Slack.APIURL,
		AuditChannel: cfg.Slack.AuditChannel, Now: m.Now, Transport: m.metrics.Transport(metrics.ServiceSlack, apiTransport()),
		AllowGuests: cfg.Identity.AllowGuests, DryRun: cfg.Okta.DryRun, ClaimEnvelope: envelopeClaim(st),
	}, log.With().Str("component", "slack").Logger())
	m.workflow = workflow.New(workflow.Options{
		Catalog: configuredCatalog(cfg), Timing: cfg.Timing(), Admins: cfg.Admins,
		DryRun: cfg.Okta.DryRun, RemovalAlertAfter: cfg.Timings.RemovalAlertAfter, Now: m.Now, Logger: log,
		Members: prov, UserGroups: sl, Delegations: observed, Delegation: cfg.Delegation,
	}, observed, prov, sl, sl, onCall)
	b = bot.New(sl, m.workflow)
	m.bot = b
	m.discoverer = prov
	m.live.mu.Lock()
	m.live.cfg, m.live.found = cfg, map[string][]access.SourceItem{}
	m.live.mu.Unlock()
	if len(cfg.Sources()) > 0 {
		// Discovered resources are requestable from the first minute; an
		// Okta that does not answer now is asked again at the next refresh.
		if err := m.RefreshSources(ctx); err != nil {
			log.Warn().Err(err).Msg("resource sources at start-up")
		}
	}
	m.usage = workflow.NewUsagePoller(m.workflow, workflow.UsageOptions{
		// A store without a cursor (the first start, or a cursor lost)
		// reads from about now, Okta's clock: sign-ons from before could be
		// counted a second time on grants that counted them already.
		Log: prov.UsageLog(provisioner.UsageOptions{Since: time.Now().Add(-time.Minute)}), Apps: prov, Interval: cfg.Okta.UsagePoll,
	})
	m.drift = workflow.NewReconciler(m.workflow, workflow.ReconcileOptions{Members: prov, Interval: cfg.Okta.ReconcileInterval})
	m.metrics.WatchSocket(b.Connected)
	m.metrics.RegisterState(func(ctx context.Context) (metrics.StateCounts, error) {
		open, err := st.ListOpen(ctx)
		return metrics.CountState(open), err
	})

	log.Info().Str("version", Version()).Str("store", storeName(cfg.Store)).Bool("dry_run", cfg.Okta.DryRun).
		Bool("oncall", onCall != nil).Int("resources", len(cfg.Resources())).Msg("accessbot starting")
	var httpLn net.Listener
	if cfg.HTTP.Listen != "" {
		// Bound before anything starts, so a taken address fails at once and
		// HTTPAddr knows the port chosen for ":0".
		if httpLn, err = metrics.Listen(cfg.HTTP.Listen); err != nil {
			return err
		}
		m.httpAddr = httpLn.Addr().String()
	}
	rescheduled, recorded, err := m.workflow.Recover(ctx)
	if err != nil {
		return fmt.Errorf("recover stored requests: %w", err)
	}
	log.Info().Int("rescheduled", rescheduled).Int("grants_recorded", recorded).Msg("stored requests brought in line with this run")
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error { return m.lead(gctx, st, cfg.Timings.CheckInterval) })
	g.Go(func() error { return mirror.Run(gctx) })
	g.Go(func() error { return m.refreshLoop(gctx) })
	if httpLn != nil {
		h := m.metrics.Handler(m.ready)
		g.Go(func() error {
			return metrics.ServeListener(gctx, httpLn, h, log.With().Str("component", "http").Logger())
		})
	}
	close(m.started)
	err = g.Wait()
	m.workflow.Wait()
	// Work let finish after the stop recorded events the mirror, stopped
	// with the rest, has not written: write them before the store closes.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	if serr := mirror.Sync(sctx); serr != nil {
		log.Error().Err(serr).Msg("final audit mirror sync")
	}
	cancel()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// apiTransport is a transport for one external service's API: Go's
// default, except that it keeps enough idle connections for the calls the
// bot makes at once (Go's default keeps 2 per host), so that a burst reuses
// connections instead of opening (and leaving in TIME_WAIT) new ones.
func apiTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// ready says whether the bot can serve people: Slack connected, and the
// database answering (a bbolt file is open for as long as Run runs).
func (m *Main) ready(ctx context.Context) error {
	if !m.bot.Connected() {
		return errors.New("not connected to Slack (Socket Mode)")
	}
	if p, ok := m.store.(interface{ Ping(context.Context) error }); ok {
		if err := p.Ping(ctx); err != nil {
			return fmt.Errorf("database not answering: %w", err)
		}
	}
	return nil
}

// lead runs the background work (the expiry sweep, reminders, retries,
// time-outs) while this replica is the leader. On a bbolt file the one
// process always is; on PostgreSQL one replica at a time holds the leader
// lock, and a replica that loses it (its connection died) stops at once.
func (m *Main) lead(ctx context.Context, st Store, interval time.Duration) error {
	pg, ok := st.(pgStore)
	if !ok {
		m.leading.Store(true)
		m.metrics.SetLeader(true)
		return m.background(ctx, interval)
	}
	log := m.Logger
	leader := pg.Leader(postgres.LeaderOptions{
		// Candidates try no less often than the sweep runs, so that a
		// takeover (one try) and the new leader's first sweep fit in the
		// promised 2 × check_interval even when that is below the default.
		Interval: min(postgres.DefaultLeaderInterval, interval),
		OnChange: func(on bool) {
			m.leading.Store(on)
			m.metrics.SetLeader(on)
			log.Info().Bool("leader", on).Msg("leadership changed")
		},
		OnError: func(err error) { log.Warn().Err(err).Msg("leader election") },
	})
	return leader.Lead(ctx, func(lctx context.Context) {
		if err := m.background(lctx, interval); err != nil && lctx.Err() == nil {
			log.Error().Err(err).Msg("background work stopped")
		}
	})
}

// Leading reports whether this replica runs the background work now: always
// on a bbolt file, and while it holds the leader lock on PostgreSQL.
func (m *Main) Leading() bool { return m.leading.Load() }

// background runs the loops only the leader runs: the expiry sweep, the
// usage poller and the reconcile with Okta, until ctx ends.
func (m *Main) background(ctx context.Context, interval time.Duration) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return m.workflow.Run(gctx, interval) })
	g.Go(func() error { return m.usage.Run(gctx) })
	g.Go(func() error { return m.drift.Run(gctx) })
	return g.Wait()
}

// Reconciler returns the reconcile with Okta (tests); nil before Started.
func (m *Main) Reconciler() *workflow.Reconciler { return m.drift }

// Usage returns the usage poller (tests); nil before Started.
func (m *Main) Usage() *workflow.UsagePoller { return m.usage }

// Workflow returns the running workflow (tests); nil before Started.
func (m *Main) Workflow() *workflow.Service { return m.workflow }

// Store returns the open store (tests); nil before Started.
func (m *Main) Store() Store { return m.store }

// HTTPAddr returns the address the health and metrics endpoints listen on,
// with the port bound for ":0"; "" when http.listen is off or before Started.
func (m *Main) HTTPAddr() string { return m.httpAddr }

// Close releases what Run opened. Safe to call more than once.
func (m *Main) Close() error {
	if m.store == nil {
		return nil
	}
	err := m.store.Close()
	m.store = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
