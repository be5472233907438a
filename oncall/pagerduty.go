// Package oncall answers who is on call, from PagerDuty through
// go-pagerduty. PagerDuty implements access.OnCallSource; no SDK type leaves
// the package, and every error it returns is an *access.Error.
package oncall

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// Defaults for zero Options fields.
const (
	DefaultAPIURL      = "https://api.pagerduty.com"
	DefaultCacheTTL    = 30 * time.Second
	DefaultHTTPTimeout = 10 * time.Second
)

const (
	pageLimit = 100 // PagerDuty's maximum
	maxPages  = 100 // PagerDuty stops paging at offset 10,000
	// userTTL bounds how long a user's email, fetched by id, is trusted.
	userTTL = time.Hour
)

// Log field names.
const (
	fieldKey     = "oncall_key"
	fieldEntries = "entries"
	fieldStatus  = "status"
	fieldWait    = "wait"
	fieldUserID  = "pagerduty_user"
)

// Options configure a PagerDuty on-call source.
type Options struct {
	Token  string // a REST API token; never logged or put in an error
	APIURL string // DefaultAPIURL when empty; a trailing slash is ignored
	// CacheTTL is how long an on-call list is reused; never past the
	// earliest end of a shift in it. 0: DefaultCacheTTL; negative: no cache.
	CacheTTL time.Duration
	// HTTPTimeout bounds each HTTP request. 0: DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	Logger      zerolog.Logger
	Now         func() time.Time // the clock of the cache; time.Now when nil
	// Transport carries the HTTP calls (metrics wrap it); nil: a clone of Go's default.
	Transport http.RoundTripper
}

// PagerDuty answers on-call questions from one PagerDuty account. It is safe
// for concurrent use.
type PagerDuty struct {
	client      *pagerduty.Client
	token       string // only to scrub it from text a server sends back
	log         zerolog.Logger
	now         func() time.Time
	ttl         time.Duration
	httpTimeout time.Duration
	// retryWait is the pause before the one retry of a 429 or 5xx when the
	// answer has no Retry-After; maxRetryWait is the longest Retry-After
	// honoured (a longer one means no retry).
	retryWait, maxRetryWait time.Duration
	cache                   cache
}

var _ access.OnCallSource = (*PagerDuty)(nil)

// New returns an on-call source for the PagerDuty REST API. It makes no
// request; use CheckToken to find out whether the token works.
func New(opts Options) *PagerDuty {
	apiURL := strings.TrimRight(opts.APIURL, "/")
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	timeout := opts.HTTPTimeout
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	ttl := opts.CacheTTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	client := pagerduty.NewClient(opts.Token, pagerduty.WithAPIEndpoint(apiURL))
	// Our own client: go-pagerduty's default has no timeout, and transport
	// tells failures to connect apart from bad answers.
	next := opts.Transport
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	client.HTTPClient = &http.Client{Timeout: timeout, Transport: &transport{next: next}}
	return &PagerDuty{
		client:       client,
		token:        opts.Token,
		log:          opts.Logger,
		now:          now,
		ttl:          ttl,
		httpTimeout:  timeout,
		retryWait:    200 * time.Millisecond,
		maxRetryWait: 2 * time.Second,
		cache:        newCache(),
	}
}

// CurrentShifts returns the on-call entries, current at now, of the person
// with email (compared without regard to case) in p's schedules and
// escalation policies, at every level. It returns nothing, and asks nothing,
// when email is empty or p names no schedule and no escalation policy.
// EUNAVAILABLE when PagerDuty fails or cannot be reached, EUNAUTHORIZED when
// it refuses the token, EINTERNAL for anything else.
func (pd *PagerDuty) CurrentShifts(ctx context.Context, email string, p access.OnCallPolicy, now time.Time) ([]access.Shift, error) {
	email = strings.TrimSpace(email)
	if email == "" || len(p.Schedules)+len(p.EscalationPolicies) == 0 {
		return nil, nil
	}
	if now.IsZero() {
		now = pd.now()
	}
	entries, err := pd.onCalls(ctx, p.Schedules, p.EscalationPolicies, now)
	if err != nil {
		return nil, err
	}
	var shifts []access.Shift
	for _, e := range entries {
		if !e.current(now) {
			continue
		}
		addr := e.email
		if addr == "" {
			if addr, err = pd.userEmail(ctx, e.userID); err != nil {
				return nil, err
			}
		}
		if addr != "" && strings.EqualFold(addr, email) {
			shifts = append(shifts, e.shift)
		}
	}
	return shifts, nil
}

// CheckToken asks PagerDuty for the account's abilities (GET /abilities).
// EUNAUTHORIZED when PagerDuty refuses the token.
func (pd *PagerDuty) CheckToken(ctx context.Context) error {
	return pd.do(ctx, "list abilities", func(ctx context.Context) error {
		_, err := pd.client.ListAbilitiesWithContext(ctx)
		return err
	})
}

// fetchTimeout bounds a shared fetch, which no single caller's context does.
func (pd *PagerDuty) fetchTimeout() time.Duration {
	return 4*pd.httpTimeout + pd.maxRetryWait
}

// pathSegment escapes an id for one URL path segment; go-pagerduty pastes
// ids into paths as they are.
func pathSegment(s string) string { return url.PathEscape(s) }
