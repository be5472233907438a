package workflow

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// UsageCursorKey is the store key of the System Log cursor the usage
// poller resumes from.
const UsageCursorKey = "usage.system_log_cursor"

// Defaults of UsageOptions.
const (
	DefaultUsagePoll    = 5 * time.Minute
	DefaultGroupAppsTTL = time.Hour
	// maxUsagePages bounds the pages one poll reads, so that a backlog is
	// worked through over several polls rather than one burst at Okta.
	maxUsagePages = 50
)

// GroupApps lists the apps assigned to an Okta group (access.Discoverer
// has it): a sign-on into one of them is a use of a group grant.
type GroupApps interface {
	GroupApps(ctx context.Context, groupID string) ([]access.OktaApp, error)
}

// UsageOptions configure the usage poller.
type UsageOptions struct {
	Log  access.UsageLog
	Apps GroupApps
	// Interval between polls (default DefaultUsagePoll).
	Interval time.Duration
	// AppsTTL is how long a group's app list is used before it is read
	// again (default DefaultGroupAppsTTL).
	AppsTTL time.Duration
}

// UsagePoller counts the sign-ons Okta's System Log records as uses of the
// grants they touch. Each poll reads the log from a cursor kept in the
// store, page by page, so its Okta requests follow the events, never the
// number of grants watched. Only the leader runs it.
type UsagePoller struct {
	s    *Service
	opts UsageOptions

	polls sync.Mutex // one poll at a time: each reads from the cursor the last one saved
	kick  chan struct{}
	mu    sync.Mutex // guards apps
	apps  map[string]groupApps
}

type groupApps struct {
	ids   []string
	read  time.Time // when ids were read
	tried time.Time // the last attempt, failed or not
}

// NewUsagePoller returns a poller working on s's store.
func NewUsagePoller(s *Service, opts UsageOptions) *UsagePoller {
	if opts.Interval <= 0 {
		opts.Interval = DefaultUsagePoll
	}
	if opts.AppsTTL <= 0 {
		opts.AppsTTL = DefaultGroupAppsTTL
	}
	return &UsagePoller{s: s, opts: opts, apps: map[string]groupApps{}, kick: make(chan struct{}, 1)}
}

// Run polls at once and then every interval until ctx ends. A failed poll
// is logged and leaves the cursor where it was: the next poll reads the
// same events again, none is lost.
func (p *UsagePoller) Run(ctx context.Context) error {
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.s.log.Warn().Err(err).Msg("usage poll: will read from the same place at the next poll")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.kick:
		}
	}
}

// Kick asks Run to poll now rather than at the next tick.
func (p *UsagePoller) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Poll reads the System Log from the stored cursor until a page brings
// nothing new (at most maxUsagePages pages), counts each sign-on on the
// grants it is a use of, and saves the cursor after each page. A page is
// counted in one store transaction; a stop before its cursor is saved
// reads it again, and the grants' record of the page's events keeps any
// from being counted twice.
func (p *UsagePoller) Poll(ctx context.Context) error {
	p.polls.Lock()
	defer p.polls.Unlock()
	ctx = access.WithPriority(ctx, access.PriorityBackground) // grants and removals go to Okta first
	cursor, err := p.s.store.Value(ctx, UsageCursorKey)
	if err != nil {
		return err
	}
	for range maxUsagePages {
		events, next, err := p.opts.Log.Read(ctx, cursor)
		if err != nil {
			return err
		}
		if len(events) > 0 {
			// Read for each page, so that a grant that became active
			// while the poll read earlier pages has its uses counted.
			watch, err := p.watched(ctx)
			if err != nil {
				return err
			}
			if err := p.count(ctx, watch, events, cursor); err != nil {
				return err
			}
		}
		if next != cursor {
			if err := p.s.store.SetValue(ctx, UsageCursorKey, next); err != nil {
				return err
			}
			cursor = next
		}
		if len(events) == 0 {
			return nil
		}
	}
	return nil
}

// watched returns the active grants that record an Okta account, by account.
func (p *UsagePoller) watched(ctx context.Context) (map[string][]*access.Request, error) {
	open, err := p.s.store.ListOpen(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]*access.Request{}
	for _, r := range open {
		if r.State == access.StateActive && r.Grant.Removal == nil && r.Grant.Prepared() {
			out[r.Grant.Account.ID] = append(out[r.Grant.Account.ID], r)
		}
	}
	return out, nil
}

// count records the events of one page on the grants they are uses of.
func (p *UsagePoller) count(ctx context.Context, watch map[string][]*access.Request, events []access.UseEvent, page string) error {
	uses := map[string][]access.UseEvent{}
	var ids []string
	for _, ev := range events {
		for _, r := range watch[ev.UserID] {
			if !p.isUseOf(ctx, r, ev.AppID) {
				continue
			}
			if _, ok := uses[r.ID]; !ok {
				ids = append(ids, r.ID)
			}
			uses[r.ID] = append(uses[r.ID], ev)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids) // one order for every writer: no deadlock between transactions
	now := p.s.now()
	_, err := p.s.store.Transact(ctx, ids, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		for _, r := range rs {
			changed := false
			for _, ev := range uses[r.ID] {
				changed = r.RecordUse(ev, page) || changed
			}
			if changed {
				r.UpdatedAt = now
				r.Due = r.NextDue(p.s.settings().Timing)
			}
		}
		return nil, nil, nil
	})
	return err
}

// isUseOf reports whether a sign-on into appID is a use of r's grant: the
// app itself, an app assigned to the group, or one of the resource's
// usage_apps.
func (p *UsagePoller) isUseOf(ctx context.Context, r *access.Request, appID string) bool {
	t := r.Grant.Target
	if t.Kind == access.TargetApp && t.ID == appID {
		return true
	}
	if res, err := p.s.settings().Catalog.Get(r.ResourceID); err == nil && slices.Contains(res.UsageApps, appID) {
		return true
	}
	return t.Kind == access.TargetGroup && slices.Contains(p.groupApps(ctx, t.ID), appID)
}

// groupApps returns the apps assigned to a group, read again once older
// than AppsTTL. When Okta cannot be asked, the last list read is used.
func (p *UsagePoller) groupApps(ctx context.Context, groupID string) []string {
	p.mu.Lock()
	cached, ok := p.apps[groupID]
	p.mu.Unlock()
	now := p.s.now()
	if ok && (now.Sub(cached.read) < p.opts.AppsTTL || now.Sub(cached.tried) < p.opts.Interval) || p.opts.Apps == nil {
		return cached.ids // a failed read is tried again a poll later, not for every event
	}
	apps, err := p.opts.Apps.GroupApps(ctx, groupID)
	if err != nil {
		p.s.log.Warn().Err(err).Str("group", groupID).Msg("usage: list the apps of a group; using the last list read")
		p.mu.Lock()
		p.apps[groupID] = groupApps{ids: cached.ids, read: cached.read, tried: now}
		p.mu.Unlock()
		return cached.ids
	}
	ids := make([]string, 0, len(apps))
	for _, a := range apps {
		ids = append(ids, a.ID)
	}
	p.mu.Lock()
	p.apps[groupID] = groupApps{ids: ids, read: now, tried: now}
	p.mu.Unlock()
	return ids
}

// usageDetails adds r's use (first_used and last_used only once used) and,
// once active, when it started and for how long it was asked.
func usageDetails(r *access.Request, details map[string]string) map[string]string {
	if r.Grant.GrantedAt.IsZero() || r.Kind == access.KindExtension {
		return details
	}
	u := r.Grant.Usage
	details[access.DetailUses] = strconv.Itoa(u.Uses)
	if u.Used() {
		details[access.DetailFirstUsed] = u.First.UTC().Format(time.RFC3339)
		details[access.DetailLastUsed] = u.Last.UTC().Format(time.RFC3339)
	}
	details[access.DetailGrantedAt] = r.Grant.GrantedAt.UTC().Format(time.RFC3339)
	switch {
	case r.Activity != nil:
		details[access.DetailDuration] = access.DurationActivity
	case r.Duration > 0:
		details[access.DetailDuration] = access.FormatDuration(r.Duration)
	}
	return details
}
