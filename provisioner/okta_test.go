package provisioner

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
)

func TestNewChecksOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		code string
	}{
		{"https", Options{OrgURL: "https://example.okta.com", Token: testToken}, ""},
		{"https with trailing slash", Options{OrgURL: "https://example.okta.com/", Token: testToken}, ""},
		{"http refused", Options{OrgURL: "http://127.0.0.1:1", Token: testToken}, access.EINVALID},
		{"http allowed", Options{OrgURL: "http://127.0.0.1:1", Token: testToken, AllowHTTP: true}, ""},
		{"no URL", Options{Token: testToken}, access.EINVALID},
		{"no scheme", Options{OrgURL: "example.okta.com", Token: testToken}, access.EINVALID},
		{"no token", Options{OrgURL: "https://example.okta.com"}, access.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), tt.opts)
			wantCode(t, err, tt.code)
		})
	}
}

// The SDK layers ~/.okta/okta.yaml and OKTA_* variables under the options;
// none of them may change where requests go, how they authenticate, or
// whether answers are cached.
func TestNewIgnoresSDKEnvironment(t *testing.T) {
	srv := newOktaServer(t)
	t.Setenv("OKTA_CLIENT_ORGURL", "http://127.0.0.1:1")
	t.Setenv("OKTA_CLIENT_TOKEN", "other-token")
	t.Setenv("OKTA_CLIENT_AUTHORIZATIONMODE", "Bearer")
	t.Setenv("OKTA_CLIENT_CACHE_ENABLED", "true")
	t.Setenv("OKTA_CLIENT_REQUEST_TIMEOUT", "1")
	o := newTestOkta(t, srv)
	ctx := testContext(t)

	// With the SDK cache on, the second GET would be answered from memory.
	for _, want := range []bool{false, true} {
		got, err := o.HasAccess(ctx, "alice@example.com", app1)
		wantCode(t, err, "")
		if got != want {
			t.Fatalf("HasAccess = %v, want %v", got, want)
		}
		if !want {
			wantCode(t, o.Grant(ctx, "alice@example.com", app1), "")
		}
	}
}

func TestCheckToken(t *testing.T) {
	srv := newOktaServer(t)
	ctx := testContext(t)
	wantCode(t, newTestOkta(t, srv).CheckToken(ctx), "")
	if got := srv.takeRequests(); len(got) != 1 || got[0] != "GET /api/v1/users/me" {
		t.Fatalf("requests = %q, want GET /api/v1/users/me", got)
	}
	bad := newTestOkta(t, srv, func(o *Options) { o.Token = "wrong" })
	wantCode(t, bad.CheckToken(ctx), access.EUNAUTHORIZED)
}

func TestRateLimitIsRetried(t *testing.T) {
	srv := newOktaServer(t)
	// A reset already past, so that the SDK retries at once.
	srv.FailNext("", "", fakeokta.Fault{Status: http.StatusTooManyRequests, Times: 2, RateLimitReset: -time.Second})
	o := newTestOkta(t, srv)
	wantCode(t, o.CheckUser(testContext(t), "alice@example.com"), "")
	var retryCounts []string
	for _, c := range srv.Calls() {
		if c.RetryCount != "" {
			retryCounts = append(retryCounts, c.RetryCount)
		}
	}
	if got := strings.Join(retryCounts, ","); got != "1,2" {
		t.Fatalf("X-Okta-Retry-Count on retries = %q, want 1,2", got)
	}
	if got := len(srv.takeRequests()); got != 3 {
		t.Fatalf("%d requests, want 3", got)
	}
}

func TestRateLimitExhausted(t *testing.T) {
	srv := newOktaServer(t)
	srv.FailNext("", "", fakeokta.Fault{Status: http.StatusTooManyRequests, Times: 100, RateLimitReset: -time.Second})
	o := newTestOkta(t, srv, func(o *Options) { o.RateLimitMaxRetries = 1 })
	err := o.Grant(testContext(t), "alice@example.com", group1)
	wantCode(t, err, access.EUNAVAILABLE)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
		t.Fatalf("cause = %v, want an APIError with status 429", err)
	}
	if got := len(srv.takeRequests()); got != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", got)
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status  int
		code    string
		errCode string
	}{
		{http.StatusInternalServerError, access.EUNAVAILABLE, "E0000009"},
		{http.StatusBadGateway, access.EUNAVAILABLE, "E0000009"},
		{http.StatusUnauthorized, access.EUNAUTHORIZED, "E0000011"},
		{http.StatusForbidden, access.EFORBIDDEN, "E0000006"},
		{http.StatusBadRequest, access.EINTERNAL, "E0000001"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := newOktaServer(t)
			// A server that echoes the credential must not get it into our errors.
			srv.FailNext(http.MethodPut, "", fakeokta.Fault{Status: tt.status, Times: 100,
				ErrorCode: tt.errCode, ErrorSummary: "refused SSWS " + testToken})
			err := newTestOkta(t, srv).Grant(testContext(t), "alice@example.com", group1)
			wantCode(t, err, tt.code)
			msg := err.Error()
			for _, want := range []string{"okta: add user alice@example.com to group 00g1", tt.errCode, "refused SSWS [token]"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status || ae.Code != tt.errCode {
				t.Errorf("cause = %#v, want status %d code %s", ae, tt.status, tt.errCode)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	srv := newOktaServer(t)
	o := newTestOkta(t, srv)
	srv.Close()
	wantCode(t, o.CheckToken(testContext(t)), access.EUNAVAILABLE)
}

func TestServerClosesConnection(t *testing.T) {
	srv := newOktaServer(t)
	srv.FailNext("", "", fakeokta.Fault{CloseConnection: true, Times: 100})
	wantCode(t, newTestOkta(t, srv).CheckToken(testContext(t)), access.EUNAVAILABLE)
	// net/http may retry an idempotent request once on a fresh connection;
	// the SDK must not loop on io.EOF.
	if got := len(srv.takeRequests()); got > 2 {
		t.Fatalf("%d attempts, want at most 2", got)
	}
}

func TestUnknownTargetKind(t *testing.T) {
	srv := newOktaServer(t)
	err := newTestOkta(t, srv).Grant(testContext(t), "alice@example.com", access.Target{Kind: "role", ID: "x"})
	wantCode(t, err, access.EINVALID)
}
