// Package bot is accessbot's Slack adapter. It implements the domain's
// Directory (Slack users and their emails) and Messenger (DMs, approval
// messages, the audit channel), and turns Slack traffic — slash commands,
// button clicks, modals over Socket Mode — into calls of the workflow. It is
// the only place where errors become words for people. Slack SDK types never
// leave this package.
package bot

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// Options configures a Bot. Zero values take the defaults documented per field.
type Options struct {
	BotToken string // xoxb-…, for the Web API
	AppToken string // xapp-…, for Socket Mode
	// APIURL is the Web API base (GovSlack, or a local test server); default
	// DefaultAPIURL. A missing trailing "/" is added.
	APIURL string
	// AuditChannel receives announcements (decisions, break-glass, revocations,
	// failures); empty: none are posted.
	AuditChannel string
	// Debug turns on slack-go's own debug logging (at debug level), which
	// includes payloads with tokens redacted: for troubleshooting only.
	Debug bool
	// EventTimeout bounds the work done for one Slack event (default 30s),
	// and how long an event may wait for a free handler.
	EventTimeout time.Duration
	// MaxHandlers bounds the Slack events worked on at once (default 4);
	// more wait for a free handler, up to MaxQueuedEvents (default 1000),
	// beyond which the person is told to try again. Envelopes are acked
	// before they wait, so a burst never delays an ack.
	MaxHandlers     int
	MaxQueuedEvents int
	// PingInterval is how long Socket Mode may go without a PING from Slack
	// before it reconnects (default 30s, slack-go's default).
	PingInterval time.Duration
	// ShutdownTimeout bounds how long Run waits for handlers still running when
	// its context ends (default EventTimeout); events acked and still waiting
	// for a handler are worked on for half of it, then their people are told
	// to try again.
	ShutdownTimeout time.Duration
	// CacheTTL is how long users looked up in Slack are remembered (default 10m).
	CacheTTL time.Duration
	// AllowGuests lets multi- and single-channel guests request and approve;
	// by default they are refused like people of another team.
	AllowGuests bool
	// Now is the clock used in messages ("held for 3h"); default time.Now.
	Now func() time.Time
	// Transport carries the Web API calls (metrics wrap it); nil: Go's default.
	Transport http.RoundTripper
	// ClaimEnvelope, when set, is asked about each envelope this process
	// has not seen: it reports false when another replica took it already
	// (Slack delivered it again, to another connection), and the bot then
	// only acknowledges it. Nil: this process is the only one.
	ClaimEnvelope func(ctx context.Context, envelopeID string) (bool, error)
	// DryRun marks every message about a change with the dry-run banner
	// (okta.dry_run); a notice about a grant follows the grant's own record.
	DryRun bool
}

// Workflow is what the bot needs of the workflow; *workflow.Service
// satisfies it. Tests may pass a hand-written fake.
type Workflow interface {
	// Catalog returns the configured resources.
	Catalog() *access.Catalog
	// FormFor returns what the request modal offers actorID for a resource.
	FormFor(ctx context.Context, actorID, resourceID string) (workflow.Form, error)
	// Validate checks a request without filing it (store and cached directory only).
	Validate(ctx context.Context, actorID string, in workflow.RequestInput) error
	// Submit files a request (or auto-approves an on-call requester).
	Submit(ctx context.Context, actorID string, in workflow.RequestInput) (*access.Request, error)
	// Approve, Deny, CheckDecider, Cancel, Revoke and Extend act for actorID
	// on request requestID; each checks, from stored state, that actorID may.
	Approve(ctx context.Context, actorID, requestID string) (*access.Request, error)
	Deny(ctx context.Context, actorID, requestID, reason string) (*access.Request, error)
	CheckDecider(ctx context.Context, actorID, requestID string) error
	Cancel(ctx context.Context, actorID, requestID string) (*access.Request, error)
	Revoke(ctx context.Context, actorID, requestID string) (*access.Request, error)
	Extend(ctx context.Context, actorID, requestID string, d time.Duration) (*access.Request, error)
	// BreakGlass grants an on-call responder emergency access.
	BreakGlass(ctx context.Context, actorID, resourceID, reason string) (*access.Request, error)
	// List returns actorID's requests and those waiting for their approval.
	List(ctx context.Context, actorID string) (workflow.Overview, error)
	// Get returns a request, for redrawing a message.
	Get(ctx context.Context, id string) (*access.Request, error)
	// PlanRevokeAll counts what a revoke-all by actorID would end;
	// RevokeAll carries it out. Pause and Resume stop and restart new
	// grants of a resource; Pauses lists the pauses in force. All but
	// Pauses are for admins, checked from config every time.
	PlanRevokeAll(ctx context.Context, actorID string, t workflow.RevokeAllTarget) (workflow.RevokeAllPlan, error)
	RevokeAll(ctx context.Context, actorID string, t workflow.RevokeAllTarget, reason string) (workflow.RevokeAllPlan, error)
	Pause(ctx context.Context, actorID, resourceID, reason string) (access.Pause, error)
	Resume(ctx context.Context, actorID, resourceID string) (access.Pause, error)
	Pauses(ctx context.Context) ([]access.Pause, error)
	// Renew asks for an activity grant at its max_age again (a new request).
	Renew(ctx context.Context, actorID, grantID string) (*access.Request, error)
	// LetExpire checks that actorID holds the grant of requestID, which they
	// chose to let expire, and returns it.
	LetExpire(ctx context.Context, actorID, requestID string) (*access.Request, error)
	// Nudge reminds the approvers of actorID's pending request requestID.
	Nudge(ctx context.Context, actorID, requestID string) (*access.Request, error)
	// Delegate and EndDelegation set and end actorID's delegation.
	Delegate(ctx context.Context, actorID string, in workflow.DelegateInput) (access.Delegation, error)
	EndDelegation(ctx context.Context, actorID string) (access.Delegation, error)
	// Keep counts the holder's Keep it on an activity grant as a use.
	Keep(ctx context.Context, actorID, requestID string) (*access.Request, error)
	// Report returns, for an admin, the utilization of granted access.
	Report(ctx context.Context, actorID, resourceID string, window time.Duration) ([]access.Utilization, error)
}

var (
	_ Workflow         = (*workflow.Service)(nil)
	_ access.Directory = (*Slack)(nil)
	_ access.Messenger = (*Slack)(nil)
	_ access.Replier   = (*Slack)(nil)
)

// Slack is the bot's Web API side: the domain's Directory (Slack users and
// their emails) and Messenger (DMs, approval messages, the audit channel).
// It is built first and handed to the workflow; New then builds the Bot
// around it and the workflow, so neither needs the other later. Its methods
// are safe for concurrent use and work before Run.
type Slack struct {
	opts  Options
	log   zerolog.Logger
	api   *slack.Client
	users *userCache
	dms   sync.Map   // Slack user id -> DM channel id
	fatal chan error // a Web API call found the bot token refused
}

// Bot is the Slack adapter: Slack's Web API side, plus the Socket Mode
// connection that turns slash commands, clicks and modals into calls of
// the workflow. Build it with New, then call Run.
type Bot struct {
	*Slack
	sm *socketmode.Client
	wf Workflow

	recent   *recentEnvelopes
	home     *homeState // Home tab viewers and redraws (home.go)
	choices  viewChoices
	handlers sync.WaitGroup
	queue    *handlerQueue // bounds handlers (handlers.go)

	connected atomic.Bool
}

// NewSlack returns the Web API side for opts. It makes no network call.
func NewSlack(opts Options, logger zerolog.Logger) *Slack {
	if opts.APIURL == "" {
		opts.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(opts.APIURL, "/") {
		opts.APIURL += "/"
	}
	if opts.EventTimeout <= 0 {
		opts.EventTimeout = 30 * time.Second
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	if opts.MaxHandlers <= 0 {
		opts.MaxHandlers = defaultMaxHandlers
	}
	if opts.MaxQueuedEvents <= 0 {
		opts.MaxQueuedEvents = defaultMaxQueuedEvents
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = opts.EventTimeout
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 10 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	transport := opts.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	retry := slack.DefaultRetryConfig()
	retry.MaxRetries = 3
	retry.RetryAfterDuration = 5 * time.Second // when a 429 carries no Retry-After
	retry.RetryAfterJitter = 250 * time.Millisecond
	retry.Handlers = slack.AllBuiltinRetryHandlers(retry)
	api := slack.New(opts.BotToken,
		slack.OptionAppLevelToken(opts.AppToken),
		slack.OptionAPIURL(opts.APIURL),
		slack.OptionDebug(opts.Debug),
		slack.OptionLog(slackLogger{logger.With().Str("component", "slack-go").Logger()}),
		// The client first: OptionRetryConfig wraps whatever client is set before it.
		slack.OptionHTTPClient(&http.Client{Transport: transport}),
		slack.OptionRetryConfig(retry), // honours Retry-After on 429, within the caller's context
	)
	return &Slack{
		opts:  opts,
		log:   logger,
		api:   api,
		users: newUserCache(opts.CacheTTL, 10000),
		fatal: make(chan error, 1),
	}
}

// New returns the Bot that drives w over Socket Mode, with s as its Web API
// side. It makes no network call; Run connects.
func New(s *Slack, w Workflow) *Bot {
	sm := socketmode.New(s.api,
		socketmode.OptionPingInterval(s.opts.PingInterval),
		socketmode.OptionDebug(s.opts.Debug),
		socketmode.OptionLog(slackLogger{s.log.With().Str("component", "socketmode").Logger()}),
	)
	return &Bot{
		Slack:  s,
		sm:     sm,
		wf:     w,
		recent: newRecentEnvelopes(1024),
		queue:  newHandlerQueue(s.opts.MaxHandlers, s.opts.MaxQueuedEvents),
		home:   newHomeState(maxHomeViewers),
	}
}

// workflow returns the workflow the bot drives.
func (b *Bot) workflow() Workflow { return b.wf }

// dryRun reports whether messages must carry the dry-run banner.
func (b *Slack) dryRun() bool { return b.opts.DryRun }

// Connected reports whether the Socket Mode connection is up, for a
// readiness probe. It turns false while reconnecting.
func (b *Bot) Connected() bool { return b.connected.Load() }

// slackLogger routes slack-go's own log lines (debug mode only) to zerolog.
type slackLogger struct{ l zerolog.Logger }

func (s slackLogger) Output(_ int, msg string) error {
	s.l.Debug().Msg(strings.TrimSpace(msg))
	return nil
}
