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
	// MaxHandlers bounds the Slack events worked on at once (default 8);
	// more wait for a free handler, up to MaxQueuedEvents (default 1000),
	// beyond which the person is told to try again. Envelopes are acked
	// before they wait, so a burst never delays an ack.
	MaxHandlers     int
	MaxQueuedEvents int
	// PingInterval is how long Socket Mode may go without a PING from Slack
	// before it reconnects (default 30s, slack-go's default).
	PingInterval time.Duration
	// ShutdownTimeout bounds how long Run waits for handlers still running when
	// its context ends (default EventTimeout).
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
}

// Workflow is what the bot needs of the workflow; *workflow.Service
// satisfies it. Tests may pass a hand-written fake.
type Workflow interface {
	// Catalog returns the configured resources.
	Catalog() *access.Catalog
	// DryRun reports whether Okta is left untouched.
	DryRun() bool
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
	// LetExpire checks that actorID holds the grant of requestID, which they
	// chose to let expire, and returns it.
	LetExpire(ctx context.Context, actorID, requestID string) (*access.Request, error)
	// Nudge reminds the approvers of actorID's pending request requestID.
	Nudge(ctx context.Context, actorID, requestID string) (*access.Request, error)
	// Delegate and EndDelegation set and end actorID's delegation.
	Delegate(ctx context.Context, actorID string, in workflow.DelegateInput) (access.Delegation, error)
	EndDelegation(ctx context.Context, actorID string) (access.Delegation, error)
}

var (
	_ Workflow         = (*workflow.Service)(nil)
	_ access.Directory = (*Bot)(nil)
	_ access.Messenger = (*Bot)(nil)
	_ access.Replier   = (*Bot)(nil)
)

// Bot is the Slack adapter. Build it with New, give it the workflow with
// Attach, then call Run. Its Directory and Messenger methods are safe for
// concurrent use and work before Run (they only use the Web API).
type Bot struct {
	opts Options
	log  zerolog.Logger
	api  *slack.Client
	sm   *socketmode.Client

	wf atomic.Pointer[workflowRef]

	users    *userCache
	dms      sync.Map // Slack user id -> DM channel id
	recent   *recentEnvelopes
	home     *homeState // Home tab viewers and redraws (home.go)
	choices  viewChoices
	handlers sync.WaitGroup
	slots    *handlerSlots // bounds handlers (handlers.go)

	connected atomic.Bool
	fatal     chan error // a Web API call found the bot token refused
}

type workflowRef struct{ w Workflow }

// New returns a Bot for opts. It makes no network call; Run connects.
func New(opts Options, logger zerolog.Logger) *Bot {
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
	sm := socketmode.New(api,
		socketmode.OptionPingInterval(opts.PingInterval),
		socketmode.OptionDebug(opts.Debug),
		socketmode.OptionLog(slackLogger{logger.With().Str("component", "socketmode").Logger()}),
	)
	return &Bot{
		opts:   opts,
		log:    logger,
		api:    api,
		sm:     sm,
		users:  newUserCache(opts.CacheTTL, 10000),
		recent: newRecentEnvelopes(1024),
		slots:  newHandlerSlots(opts.MaxHandlers, opts.MaxQueuedEvents),
		home:   newHomeState(maxHomeViewers),
		fatal:  make(chan error, 1),
	}
}

// Attach gives the bot the workflow it drives. Call it once, before Run;
// the workflow is built with the bot as its Directory and Messenger, so it
// cannot be passed to New.
func (b *Bot) Attach(w Workflow) { b.wf.Store(&workflowRef{w}) }

// workflow returns the attached workflow, or nil.
func (b *Bot) workflow() Workflow {
	if ref := b.wf.Load(); ref != nil {
		return ref.w
	}
	return nil
}

// dryRun reports whether messages must carry the dry-run banner.
func (b *Bot) dryRun() bool {
	w := b.workflow()
	return w != nil && w.DryRun()
}

// Connected reports whether the Socket Mode connection is up, for a
// readiness probe. It turns false while reconnecting.
func (b *Bot) Connected() bool { return b.connected.Load() }

// slackLogger routes slack-go's own log lines (debug mode only) to zerolog.
type slackLogger struct{ l zerolog.Logger }

func (s slackLogger) Output(_ int, msg string) error {
	s.l.Debug().Msg(strings.TrimSpace(msg))
	return nil
}
