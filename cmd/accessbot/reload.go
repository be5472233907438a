package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/workflow"
)

// liveConfig is what a reload or a refresh replaces while the bot runs.
type liveConfig struct {
	// mu serialises reloads and refreshes (each reads, rebuilds and swaps
	// the catalog); it is never held across a call to Okta or Slack.
	mu    sync.Mutex
	cfg   *config.Config
	found map[string][]access.SourceItem // Okta's last answer per source query (sourceQuery)
}

// errNoConfigFile: the config was given in memory, so there is nothing to re-read.
var errNoConfigFile = errors.New("reload: the bot was started without a config file to re-read")

// Reload re-reads the config file and, if it is valid, makes it the
// running config at once: the resources (configured and discovered),
// approvers, policies, timing and admins. The Socket Mode connection,
// requests in flight and the sweep carry on; a grant of a resource that
// was removed or re-pointed still ends on its recorded target. An invalid
// file is refused: every problem is logged and audited, and the running
// config stays. Tokens, URLs, the store, the audit file, the HTTP
// listener, identity settings and timing.check_interval change only on a
// restart; a reload that changes them says so in the log.
// SIGHUP calls Reload.
func (m *Main) Reload(ctx context.Context) error {
	if m.ConfigPath == "" {
		return errNoConfigFile
	}
	select {
	case <-m.started:
	default:
		return errors.New("reload: the bot has not started yet")
	}
	getenv := m.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg, err := config.Load(m.ConfigPath, getenv)
	if err != nil {
		var problems *config.Problems
		details := map[string]string{"file": m.ConfigPath}
		if errors.As(err, &problems) {
			details["problems"] = strconv.Itoa(len(*problems))
			for i, p := range *problems {
				m.Logger.Error().Str("file", m.ConfigPath).Str("key", p.Path).Str("problem", p.Message).Msg("reload refused: config problem")
				details["problem_"+strconv.Itoa(i+1)] = p.String()
			}
		} else {
			m.Logger.Error().Err(err).Str("file", m.ConfigPath).Msg("reload refused: config not read")
			details["problems"], details["problem_1"] = "1", err.Error()
		}
		m.Logger.Error().Str("file", m.ConfigPath).Msg("reload refused; the running config is kept")
		m.audit(ctx, access.EventConfigRefused, details)
		return fmt.Errorf("reload %s: %w", m.ConfigPath, err)
	}

	m.live.mu.Lock()
	old := m.live.cfg
	m.live.cfg = cfg
	queries := map[string]bool{}
	for _, r := range cfg.Sources() {
		queries[sourceQuery(r)] = true
	}
	newQuery := false
	for q := range queries {
		if _, ok := m.live.found[q]; !ok {
			newQuery = true
		}
	}
	for q := range m.live.found {
		if !queries[q] {
			delete(m.live.found, q)
		}
	}
	prev := m.workflow.Settings()
	change, yields := m.applyLocked(ctx)
	m.live.mu.Unlock()
	m.logSkipped(cfg, yields)

	details := changeDetails(change, map[string]string{"file": m.ConfigPath})
	if !slices.Equal(prev.Admins, cfg.Admins) {
		details["admins_changed"] = "true"
	}
	if !reflect.DeepEqual(prev.Timing, cfg.Timing()) {
		details["timing_changed"] = "true"
	}
	restart := restartOnly(old, cfg)
	if len(restart) > 0 {
		details["restart_needed"] = strings.Join(restart, ",")
		m.Logger.Warn().Strs("sections", restart).Msg("reload: these settings changed but take effect only at the next restart")
	}
	m.Logger.Info().Strs("added", change.Added).Strs("removed", change.Removed).Strs("repointed", change.Repointed).
		Strs("approvers_changed", change.ApproversChanged).Msg("config reloaded")
	m.audit(ctx, access.EventConfigReloaded, details)
	if newQuery {
		select { // a new rule is asked of Okta now, not at the next refresh
		case m.refreshNow <- struct{}{}:
		default:
		}
	}
	return nil
}

// applyLocked rebuilds the catalog from the live config and Okta's last
// answers and swaps it, with the config's timing and admins, into the
// workflow. The caller holds m.live.mu.
func (m *Main) applyLocked(ctx context.Context) (access.CatalogChange, [][]access.Discovered) {
	cfg := m.live.cfg
	cat, yields := buildCatalog(cfg, m.live.found)
	prev, err := m.workflow.Reconfigure(ctx, workflow.Settings{Catalog: cat, Timing: cfg.Timing(), Admins: cfg.Admins})
	if err != nil {
		// The new settings are in place; only the rescheduling of open
		// requests failed, and the next sweep finds them anyway.
		m.Logger.Error().Err(err).Msg("reschedule open requests after a config change")
	}
	return access.CompareCatalogs(prev.Catalog, cat), yields
}

// changeDetails are the audit details summarising a catalog change.
func changeDetails(c access.CatalogChange, details map[string]string) map[string]string {
	if details == nil {
		details = map[string]string{}
	}
	for key, ids := range map[string][]string{
		"added": c.Added, "removed": c.Removed, "repointed": c.Repointed,
		"approvers_changed": c.ApproversChanged, "settings_changed": c.SettingsChanged,
	} {
		if len(ids) > 0 {
			details[key] = strings.Join(ids, ",")
		}
	}
	return details
}

// restartOnly names the sections that differ between old and cfg but are
// read only at start-up.
func restartOnly(old, cfg *config.Config) []string {
	var out []string
	for _, s := range []struct {
		name     string
		old, new any
	}{
		{"slack", old.Slack, cfg.Slack}, {"okta", old.Okta, cfg.Okta}, {"pagerduty", old.PagerDuty, cfg.PagerDuty},
		{"store", old.Store, cfg.Store}, {"audit", old.Audit, cfg.Audit}, {"http", old.HTTP, cfg.HTTP},
		{"identity", old.Identity, cfg.Identity},
		{"timing.check_interval", old.Timings.CheckInterval, cfg.Timings.CheckInterval},
		{"timing.removal_alert_after", old.Timings.RemovalAlertAfter, cfg.Timings.RemovalAlertAfter},
	} {
		if !reflect.DeepEqual(s.old, s.new) {
			out = append(out, s.name)
		}
	}
	return out
}

// audit appends an event the bot causes itself (a reload, a refresh); a
// failure is logged, since the change it records has been made.
func (m *Main) audit(ctx context.Context, t access.EventType, details map[string]string) {
	ev := access.Event{Time: m.now(), Type: t, Actor: access.System, Details: details}
	if err := m.store.Append(ctx, ev); err != nil {
		m.Logger.Error().Err(err).Str("event", string(t)).Msg("audit")
	}
}

func (m *Main) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// reloadOnHangup calls Reload on every SIGHUP until the returned stop is
// called. A hangup before Run has wired everything waits for it.
func (m *Main) reloadOnHangup(ctx context.Context) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-done:
				return
			case <-hup:
			}
			select {
			case <-done:
				return
			case <-m.started:
			}
			m.Logger.Info().Str("file", m.ConfigPath).Msg("SIGHUP: reloading the config")
			if err := m.Reload(ctx); err != nil {
				m.Logger.Error().Err(err).Msg("reload")
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-exited // a reload under way finishes before the store closes
	}
}
