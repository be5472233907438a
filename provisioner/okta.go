// Package provisioner changes access in Okta through okta-sdk-golang/v2: it
// adds users to groups and assigns them to apps, and takes both away again.
// Okta implements access.Provisioner; no SDK type leaves the package, and
// every error it returns is an *access.Error whose cause says what Okta said.
package provisioner

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// Defaults for zero Options fields.
const (
	DefaultRequestTimeout      = 30 * time.Second
	DefaultRateLimitMaxRetries = 2
	DefaultMaxBackoff          = 30 * time.Second
)

// Log field names.
const (
	fieldUser   = "user"
	fieldGroup  = "group"
	fieldApp    = "app"
	fieldMethod = "method"
	fieldPath   = "path"
)

// Options configure an Okta provisioner. Only these settings apply: the SDK's
// own configuration (~/.okta/okta.yaml, OKTA_* environment variables) cannot
// change any of them.
type Options struct {
	OrgURL string // https://example.okta.com; a trailing slash is ignored
	Token  string // an SSWS API token; never logged or put in an error
	// AllowHTTP accepts an http:// OrgURL. For local test servers only.
	AllowHTTP bool
	// RequestTimeout bounds each HTTP attempt (waits between rate-limit
	// retries are not part of it). 0: DefaultRequestTimeout.
	RequestTimeout time.Duration
	// RateLimitMaxRetries is how often the SDK retries a request answered
	// with 429. 0: DefaultRateLimitMaxRetries; negative: never.
	RateLimitMaxRetries int
	// MaxBackoff caps the wait before a 429 retry (Okta's X-Rate-Limit-Reset
	// says how long); whole seconds, rounded up. 0: DefaultMaxBackoff.
	MaxBackoff time.Duration
	Logger     zerolog.Logger
	// Transport carries the HTTP calls (metrics wrap it); nil: a clone of Go's default.
	Transport http.RoundTripper
	// Pacer, when set, carries every call within the org's rate limits
	// (pacer.go) and bounds each attempt itself (PacerOptions.AttemptTimeout).
	Pacer *Pacer
	// SlackIDAttribute names an Okta profile attribute holding each person's
	// Slack user id; when set, people are matched by it instead of by email.
	SlackIDAttribute string
}

// Okta provisions access in one Okta org. It is safe for concurrent use.
type Okta struct {
	client *okta.Client
	token  string // only to scrub it from text an Okta server sends back
	log    zerolog.Logger
	// slackIDAttribute, when set, names the Okta profile attribute that
	// holds a person's Slack user id; people are matched by it, not by email.
	slackIDAttribute string
}

var _ access.Provisioner = (*Okta)(nil)

// New returns a provisioner for opts.OrgURL. It makes no request; use
// CheckToken to find out whether the token works. Errors are EINVALID.
func New(ctx context.Context, opts Options) (*Okta, error) {
	orgURL, err := checkOrgURL(opts.OrgURL, opts.AllowHTTP)
	if err != nil {
		return nil, err
	}
	if opts.Token == "" {
		return nil, access.Errorf(access.EINVALID, "okta: no API token")
	}
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	retries := opts.RateLimitMaxRetries
	switch {
	case retries == 0:
		retries = DefaultRateLimitMaxRetries
	case retries < 0:
		retries = 0
	}
	backoff := opts.MaxBackoff
	if backoff <= 0 {
		backoff = DefaultMaxBackoff
	}
	next := opts.Transport
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	clientTimeout := timeout
	if opts.Pacer != nil {
		next = opts.Pacer.Wrap(next)
		clientTimeout = 0 // it would count the time a call waits in the pacer's queue
	}
	httpClient := &http.Client{Timeout: clientTimeout, Transport: &transport{next: next, log: opts.Logger}}
	// Options are applied after the SDK has read its files and environment,
	// so setting every one that matters makes ours the only configuration.
	_, client, err := okta.NewClient(ctx,
		okta.WithOrgUrl(orgURL),
		okta.WithToken(opts.Token),
		okta.WithAuthorizationMode("SSWS"),
		okta.WithCache(false), // the SDK's cache goes stale after writes
		okta.WithTestingDisableHttpsCheck(opts.AllowHTTP),
		okta.WithHttpClientPtr(httpClient),
		okta.WithRequestTimeout(0), // httpClient.Timeout bounds each attempt
		okta.WithRateLimitMaxRetries(int32(retries)),
		okta.WithRateLimitMaxBackOff(int64((backoff+time.Second-1)/time.Second)),
		okta.WithUserAgentExtra("accessbot"),
	)
	if err != nil {
		return nil, access.Wrap(access.EINVALID, fmt.Errorf("okta: configure client: %w", err))
	}
	return &Okta{
		client:           client,
		token:            opts.Token,
		log:              opts.Logger,
		slackIDAttribute: opts.SlackIDAttribute,
	}, nil
}

// checkOrgURL returns raw without a trailing slash (the SDK appends
// "/api/v1/…"), or an EINVALID error.
func checkOrgURL(raw string, allowHTTP bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", access.Errorf(access.EINVALID, "okta: org URL %q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		return "", access.Errorf(access.EINVALID, "okta: org URL %q must start with https:// (http is allowed only for test servers)", raw)
	default:
		return "", access.Errorf(access.EINVALID, "okta: org URL %q must start with https://", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", access.Errorf(access.EINVALID, "okta: org URL %q must not have credentials, a query or a fragment", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// HasAccess reports whether the account already holds t.
func (o *Okta) HasAccess(ctx context.Context, a access.Account, t access.Target) (bool, error) {
	switch t.Kind {
	case access.TargetGroup:
		return o.inGroup(ctx, a, t.ID)
	case access.TargetApp:
		return o.assigned(ctx, a, t.ID)
	}
	return false, unknownKind(t)
}

// Grant gives the account t; granting what is held already succeeds.
func (o *Okta) Grant(ctx context.Context, a access.Account, t access.Target) error {
	switch t.Kind {
	case access.TargetGroup:
		return o.addToGroup(ctx, a, t.ID)
	case access.TargetApp:
		return o.assign(ctx, a, t.ID)
	}
	return unknownKind(t)
}

// Revoke takes t away from the account; what is not held (404) counts as done.
func (o *Okta) Revoke(ctx context.Context, a access.Account, t access.Target) error {
	switch t.Kind {
	case access.TargetGroup:
		return o.removeFromGroup(ctx, a, t.ID)
	case access.TargetApp:
		return o.unassign(ctx, a, t.ID)
	}
	return unknownKind(t)
}

// CheckToken asks Okta who the token belongs to (GET /api/v1/users/me).
// EUNAUTHORIZED when Okta refuses the token.
func (o *Okta) CheckToken(ctx context.Context) error {
	status, err := call(ctx, func(ctx context.Context) (*okta.Response, error) {
		_, resp, err := o.client.User.GetUser(ctx, "me")
		return resp, err
	})
	if err != nil {
		return o.fail(status, err, "check token")
	}
	return nil
}

func unknownKind(t access.Target) error {
	return access.Errorf(access.EINVALID, "okta: unknown target kind %q", t.Kind)
}

// seg escapes an id, login or email for use as one URL path segment; the SDK
// pastes arguments into paths as they are.
func seg(s string) string { return url.PathEscape(s) }
