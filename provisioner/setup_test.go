package provisioner

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

const testToken = "00-s3cr3t-test-token-XYZ"

// oktaFake is the shared fake Okta with the org these tests use, and a cursor
// into its recorded calls.
type oktaFake struct {
	*fakeokta.Server
	URL string

	mu   sync.Mutex
	seen int // calls already returned by takeRequests
}

func newOktaServer(t *testing.T) *oktaFake {
	t.Helper()
	srv := fakeokta.New(fakeokta.Options{Token: testToken, Logf: t.Logf})
	t.Cleanup(srv.Close)
	for _, u := range []fakeokta.User{
		{ID: "00u1", Login: "alice@example.com", Email: "alice@example.com"},
		{ID: "00u2", Login: "bob", Email: "Bob@Example.com"}, // login is not the email
		{ID: "00u3", Login: "carol1", Email: "carol@example.com"},
		{ID: "00u4", Login: "carol2", Email: "carol@example.com"}, // shares carol's email
	} {
		u.FirstName, u.LastName = "T", "U"
		srv.AddUser(u)
	}
	for _, g := range []string{"00g1", "00g2", "00g3"} {
		srv.AddGroup(g, g)
	}
	srv.AddApp("0oa1", "Grafana")
	// The SDK asks for JSON on every request; Okta answers nothing else.
	t.Cleanup(func() {
		for _, c := range srv.Calls() {
			if c.Header.Get("Accept") != "application/json" {
				t.Errorf("%s %s: Accept = %q", c.Method, c.Path, c.Header.Get("Accept"))
			}
		}
	})
	return &oktaFake{Server: srv, URL: srv.URL()}
}

// takeRequests returns the calls since the last take as "METHOD /path?query".
func (s *oktaFake) takeRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := s.Calls()
	var out []string
	for _, c := range calls[s.seen:] {
		r := c.Method + " " + c.Path
		if c.Query != "" {
			r += "?" + c.Query
		}
		out = append(out, r)
	}
	s.seen = len(calls)
	return out
}

func (s *oktaFake) members(gid string) []string { return s.Members(gid) }

func newTestOkta(t *testing.T, srv *oktaFake, mod ...func(*Options)) byEmail {
	t.Helper()
	opts := Options{OrgURL: srv.URL, Token: testToken, AllowHTTP: true, RequestTimeout: 5 * time.Second, MaxBackoff: time.Second}
	for _, m := range mod {
		m(&opts)
	}
	o, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return byEmail{o}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails unless err carries the domain code (nil for "").
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := access.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Fatalf("error contains the token: %v", err)
	}
}

var (
	group1 = access.Target{Kind: access.TargetGroup, ID: "00g1"}
	app1   = access.Target{Kind: access.TargetApp, ID: "0oa1"}
)
