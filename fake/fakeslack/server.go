// Package fakeslack is an in-process fake of Slack's Web API and Socket Mode,
// faithful enough that slack-go's real client (slack.New + socketmode.New)
// runs against it unmodified.
//
// It is used by end-to-end tests and by the `accessbot demo` command, so it
// does not depend on the testing package: every wait helper takes a context.
//
// Wiring a slack-go client to the fake:
//
//	srv := fakeslack.New(fakeslack.Options{})
//	defer srv.Close()
//	api := slack.New(srv.BotToken(), slack.OptionAppLevelToken(srv.AppToken()),
//		slack.OptionAPIURL(srv.APIURL()))
//	sm := socketmode.New(api)
package fakeslack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fixed identities of the fake workspace.
const (
	TeamID     = "T0FAKE"
	TeamDomain = "fakeco"
	AppID      = "A0FAKEAPP"
	BotUserID  = "U0BOT"
	BotID      = "B0BOT"
	// VerificationToken is the legacy token put in every payload's "token".
	VerificationToken = "legacy-verification-token"
)

// Options configures a Server. Zero values pick the defaults.
type Options struct {
	// BotToken is the xoxb token every Web API method except
	// apps.connections.open requires. Default "xoxb-fake".
	BotToken string
	// AppToken is the xapp token apps.connections.open requires.
	// Default "xapp-fake".
	AppToken string
	// PingInterval is how often WebSocket PING frames are sent to each
	// Socket Mode connection (one is also sent right after hello).
	// Default 10s. It must stay below the client's
	// socketmode.OptionPingInterval (30s by default).
	PingInterval time.Duration
	// TriggerTTL is how long a trigger_id stays valid. Default 3s, like Slack.
	TriggerTTL time.Duration
	// Scopes, when set, are the bot token's scopes: auth.test lists them
	// in X-OAuth-Scopes and a method needing another answers missing_scope
	// (see methodScopes). Nil grants every scope and sends no header.
	Scopes []string
	// Logf, if set, receives a line for every request and frame.
	Logf func(format string, args ...any)
}

// User is a person users.info and users.lookupByEmail describe. The zero
// value of every field but ID is an ordinary, confirmed member of the fake
// workspace; the other fields make the people an identity check must turn
// away (API-NOTES, users.info).
type User struct {
	ID       string
	Name     string // the handle, e.g. "alice"
	RealName string
	Email    string
	IsBot    bool
	Deleted  bool // a deactivated account; Slack still answers users.info
	// TeamID is the user's home workspace; "" is the fake's own (TeamID).
	// Another value is a Slack Connect user from another organization or,
	// on Enterprise Grid, a member of another workspace of the enterprise.
	TeamID string
	// EnterpriseID and Teams make the user an Enterprise Grid member
	// (enterprise_user in users.info): their org and the workspaces they
	// belong to. When the server is on Grid (SetEnterprise) and the user
	// is in its workspace, both default to the server's.
	EnterpriseID string
	Teams        []string
	// IsRestricted is a multi-channel guest, IsUltraRestricted a
	// single-channel guest.
	IsRestricted      bool
	IsUltraRestricted bool
	// EmailUnconfirmed is an account whose email Slack has not confirmed
	// (is_email_confirmed: false).
	EmailUnconfirmed bool
}

// Server is a running fake Slack. All methods are safe for concurrent use.
type Server struct {
	opts Options
	hs   *httptest.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool

	enterprise enterprise // the Enterprise Grid org the workspace is in, if any

	counter  int64 // source of unique ids
	tsCount  int64 // source of message timestamps
	users    map[string]User
	channels map[string]string // id -> name

	usergroups     map[string]UserGroup
	usergroupOrder []string // ids in the order added, as usergroups.list answers

	calls      []Call
	faults     map[string][]*Fault
	rejections []Rejection

	messageStore
	viewStore
	socketState

	wg sync.WaitGroup // socket goroutines
}

// New starts a fake Slack on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	if opts.BotToken == "" {
		opts.BotToken = "xoxb-fake"
	}
	if opts.AppToken == "" {
		opts.AppToken = "xapp-fake"
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 10 * time.Second
	}
	if opts.TriggerTTL <= 0 {
		opts.TriggerTTL = 3 * time.Second
	}
	s := &Server{
		opts:       opts,
		changed:    make(chan struct{}),
		users:      map[string]User{},
		channels:   map[string]string{},
		usergroups: map[string]UserGroup{},
		faults:     map[string][]*Fault{},
	}
	s.messageStore.init()
	s.viewStore.init()
	s.socketState.init()
	s.users[BotUserID] = User{ID: BotUserID, Name: "accessbot", RealName: "AccessBot", IsBot: true}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/response/", s.handleResponseURL)
	mux.HandleFunc("/link/", s.handleSocket)
	s.hs = httptest.NewServer(mux)
	return s
}

// Close closes every Socket Mode connection and stops the server.
// It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := append([]*wsConn(nil), s.conns...)
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.hs.Close()
	s.wg.Wait()
}

// URL is the server's base URL, "http://127.0.0.1:PORT" (no trailing slash).
func (s *Server) URL() string { return s.hs.URL }

// APIURL is the Web API base for slack.OptionAPIURL:
// "http://127.0.0.1:PORT/api/" (with the trailing slash slack-go needs).
func (s *Server) APIURL() string { return s.hs.URL + "/api/" }

// BotToken returns the bot token the server accepts.
func (s *Server) BotToken() string { return s.opts.BotToken }

// AppToken returns the app-level token the server accepts.
func (s *Server) AppToken() string { return s.opts.AppToken }

// AddUser adds (or replaces) a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
	s.notifyLocked()
}

// enterprise is an Enterprise Grid organization.
type enterprise struct{ id, name string }

// SetEnterprise puts the fake workspace into the Enterprise Grid
// organization id (e.g. "E0FAKE"): auth.test then answers its
// enterprise_id, interaction payloads carry it, and members of the fake's
// own workspace are enterprise users of it. "" takes the workspace out.
func (s *Server) SetEnterprise(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enterprise = enterprise{id: id, name: name}
	s.notifyLocked()
}

// AddChannel names a channel; the name appears in slash command and
// block_actions payloads. Unnamed channels get a name derived from the id.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
}

func (s *Server) channelNameLocked(id string) string {
	if n, ok := s.channels[id]; ok {
		return n
	}
	switch {
	case strings.HasPrefix(id, "D"):
		return "directmessage"
	case strings.HasPrefix(id, "G"):
		return "privategroup"
	}
	return strings.ToLower(id)
}

func (s *Server) userNameLocked(id string) string {
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return strings.ToLower(id)
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("fakeslack: "+format, args...)
	}
}

// nextIDLocked returns a number unique within this server.
func (s *Server) nextIDLocked() int64 {
	s.counter++
	return s.counter
}

// nextTSLocked returns a fresh message timestamp, strictly increasing:
// "1700000000.000100", "1700000000.000200", ...
func (s *Server) nextTSLocked() string {
	s.tsCount++
	micros := s.tsCount * 100
	return fmt.Sprintf("%d.%06d", 1700000000+micros/1000000, micros%1000000)
}

// notifyLocked wakes every waiter. Call with s.mu held after a state change.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until check (called with s.mu held) returns true or ctx
// ends.
func (s *Server) waitFor(ctx context.Context, check func() bool) error {
	for {
		s.mu.Lock()
		if check() {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return fmt.Errorf("fakeslack: server closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
