package provisioner

import (
	"context"
	"net/url"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/accessbot/accessbot/access"
)

// DefaultUsagePageSize is how many events a UsageLog asks for per Read:
// Okta's maximum.
const DefaultUsagePageSize = 1000

// ssoFilter selects successful sign-ons to apps.
const ssoFilter = `eventType eq "user.authentication.sso" and outcome.result eq "SUCCESS"`

const logsPath = "/api/v1/logs"

// UsageOptions configure a UsageLog.
type UsageOptions struct {
	// Since is where reading from an empty cursor starts. Zero: Okta's
	// default, seven days back.
	Since time.Time
	// PageSize is how many events one Read asks for (at most 1000).
	// 0: DefaultUsagePageSize.
	PageSize int
}

// UsageLog reads sign-ons from the System Log through the provisioner's
// client. It implements access.UsageLog with Okta's polling requests: the
// cursor is the next link Okta returned (a path and query, no host), which
// Okta documents as the way to continue, so resuming from it after a
// restart neither repeats nor skips events.
type UsageLog struct {
	o    *Okta
	opts UsageOptions
}

var _ access.UsageLog = (*UsageLog)(nil)

// UsageLog returns a reader of the org's System Log.
func (o *Okta) UsageLog(opts UsageOptions) *UsageLog {
	if opts.PageSize <= 0 || opts.PageSize > DefaultUsagePageSize {
		opts.PageSize = DefaultUsagePageSize
	}
	return &UsageLog{o: o, opts: opts}
}

// Read returns the sign-ons after cursor and the cursor to read next. See
// access.UsageLog.
func (l *UsageLog) Read(ctx context.Context, cursor string) ([]access.UseEvent, string, error) {
	path := cursor
	if cursor == "" {
		qp := query.NewQueryParams(query.WithFilter(ssoFilter), query.WithSortOrder("ASCENDING"),
			query.WithLimit(int64(l.opts.PageSize)))
		if !l.opts.Since.IsZero() {
			qp.Since = l.opts.Since.UTC().Format(time.RFC3339)
		}
		path = logsPath + qp.String()
	} else if err := checkCursor(cursor); err != nil {
		return nil, "", err
	}
	var events []*okta.LogEvent
	var next string
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		re := l.o.client.CloneRequestExecutor()
		req, err := re.WithAccept("application/json").WithContentType("application/json").NewRequest("GET", path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := re.Do(ctx, req, &events)
		if err == nil {
			next = resp.NextPage
		}
		return resp, err
	})
	if err != nil {
		return nil, "", l.o.fail(status, err, "read the system log")
	}
	if next == "" {
		// Okta gives every polling page a next link; without one there is
		// no safe place to continue from.
		return nil, "", access.Errorf(access.EINTERNAL, "okta: system log page without a next link")
	}
	out := make([]access.UseEvent, 0, len(events))
	for _, e := range events {
		if ev, ok := useEvent(e); ok {
			out = append(out, ev)
		}
	}
	return out, next, nil
}

// checkCursor accepts only what Read returns: a System Log path with a
// query and no host, so that a stored cursor cannot send the token
// elsewhere.
func checkCursor(cursor string) error {
	u, err := url.Parse(cursor)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != logsPath || u.RawQuery == "" {
		return access.Errorf(access.EINVALID, "okta: %q is not a system log cursor", cursor)
	}
	return nil
}

// useEvent maps a successful SSO event: the actor is the user, the target
// of type AppInstance the app.
func useEvent(e *okta.LogEvent) (access.UseEvent, bool) {
	if e == nil || e.Actor == nil || e.Actor.Type != "User" || e.Actor.Id == "" || e.Published == nil ||
		e.Outcome == nil || e.Outcome.Result != "SUCCESS" {
		return access.UseEvent{}, false
	}
	for _, t := range e.Target {
		if t != nil && t.Type == "AppInstance" && t.Id != "" {
			return access.UseEvent{ID: e.Uuid, UserID: e.Actor.Id, AppID: t.Id, At: *e.Published}, true
		}
	}
	return access.UseEvent{}, false
}

// CheckSystemLog reads one sign-on from the System Log, to learn whether
// the token may read it. EFORBIDDEN when the token's admin role may not;
// EUNAUTHORIZED; EUNAVAILABLE.
func (o *Okta) CheckSystemLog(ctx context.Context) error {
	qp := query.NewQueryParams(query.WithFilter(ssoFilter), query.WithLimit(1))
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		re := o.client.CloneRequestExecutor()
		req, err := re.WithAccept("application/json").WithContentType("application/json").NewRequest("GET", logsPath+qp.String(), nil)
		if err != nil {
			return nil, err
		}
		var events []*okta.LogEvent
		return re.Do(ctx, req, &events)
	})
	if err != nil {
		return o.fail(status, err, "read the system log")
	}
	return nil
}
