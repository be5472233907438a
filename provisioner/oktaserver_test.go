package provisioner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

const testToken = "00-s3cr3t-test-token-XYZ"

// oktaServer speaks the Okta Management API the way okta-sdk-golang/v2
// expects it: SSWS auth, JSON bodies with Content-Type application/json,
// Link headers for pages, errors as {errorCode, errorSummary, …}.
type oktaServer struct {
	*httptest.Server
	t *testing.T

	mu        sync.Mutex
	users     []testUser
	groups    map[string][]string          // group id → member user ids
	apps      map[string]map[string]string // app id → user id → app username
	pageSize  int                          // of ListUserGroups
	requests  []string                     // "METHOD /path?query"
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

type testUser struct{ id, login, email string }

func newOktaServer(t *testing.T) *oktaServer {
	t.Helper()
	s := &oktaServer{
		t: t,
		users: []testUser{
			{"00u1", "alice@example.com", "alice@example.com"},
			{"00u2", "bob", "Bob@Example.com"}, // login is not the email
			{"00u3", "carol1", "carol@example.com"},
			{"00u4", "carol2", "carol@example.com"}, // shares carol's email
			{"00uA", "admin@example.com", "admin@example.com"},
		},
		groups:   map[string][]string{"00g1": nil, "00g2": nil, "00g3": nil},
		apps:     map[string]map[string]string{"0oa1": {}},
		pageSize: 200,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{id}", s.getUser)
	mux.HandleFunc("GET /api/v1/users", s.listUsers)
	mux.HandleFunc("GET /api/v1/users/{id}/groups", s.listUserGroups)
	mux.HandleFunc("GET /api/v1/groups/{gid}", s.getGroup)
	mux.HandleFunc("PUT /api/v1/groups/{gid}/users/{uid}", s.addGroupUser)
	mux.HandleFunc("DELETE /api/v1/groups/{gid}/users/{uid}", s.removeGroupUser)
	mux.HandleFunc("GET /api/v1/apps/{app}", s.getApp)
	mux.HandleFunc("POST /api/v1/apps/{app}/users", s.assignApp)
	mux.HandleFunc("GET /api/v1/apps/{app}/users/{uid}", s.getAppUser)
	mux.HandleFunc("DELETE /api/v1/apps/{app}/users/{uid}", s.unassignApp)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		intercept := s.intercept
		s.mu.Unlock()
		if intercept != nil && intercept(w, r) {
			return
		}
		if r.Header.Get("Authorization") != "SSWS "+testToken {
			oktaError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
			return
		}
		if r.Header.Get("Accept") != "application/json" {
			oktaError(w, http.StatusNotAcceptable, "E0000001", "Accept must be application/json")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// setIntercept makes f see every request first; f returns true when it
// answered the request itself.
func (s *oktaServer) setIntercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	s.intercept = f
	s.mu.Unlock()
}

func (s *oktaServer) takeRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

func (s *oktaServer) members(gid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.groups[gid])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oktaError(w http.ResponseWriter, status int, code, summary string) {
	writeJSON(w, status, map[string]any{
		"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae-test", "errorCauses": []any{},
	})
}

func notFound(w http.ResponseWriter, what string) {
	oktaError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+what)
}

func userJSON(u testUser) map[string]any {
	return map[string]any{
		"id": u.id, "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
		"profile": map[string]any{"login": u.login, "email": u.email, "firstName": "T", "lastName": "U"},
	}
}

// user finds a user by id or login; callers hold s.mu.
func (s *oktaServer) user(idOrLogin string) (testUser, bool) {
	for _, u := range s.users {
		if u.id == idOrLogin || strings.EqualFold(u.login, idOrLogin) {
			return u, true
		}
	}
	return testUser{}, false
}

func (s *oktaServer) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if id == "me" {
		id = "00uA"
	}
	u, ok := s.user(id)
	if !ok {
		notFound(w, id+" (User)")
		return
	}
	writeJSON(w, http.StatusOK, userJSON(u))
}

func (s *oktaServer) listUsers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	search := r.URL.Query().Get("search")
	const prefix = `profile.email eq "`
	if !strings.HasPrefix(search, prefix) || !strings.HasSuffix(search, `"`) {
		oktaError(w, http.StatusBadRequest, "E0000031", "Invalid search: "+search)
		return
	}
	email := strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(search[len(prefix) : len(search)-1])
	out := []any{}
	for _, u := range s.users {
		if strings.EqualFold(u.email, email) {
			out = append(out, userJSON(u))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *oktaServer) listUserGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uid := r.PathValue("id")
	if _, ok := s.user(uid); !ok {
		notFound(w, uid+" (User)")
		return
	}
	var ids []string
	for gid, members := range s.groups {
		if slices.Contains(members, uid) {
			ids = append(ids, gid)
		}
	}
	slices.Sort(ids)
	start := 0
	if after := r.URL.Query().Get("after"); after != "" {
		start = slices.Index(ids, after) + 1
	}
	end := min(start+s.pageSize, len(ids))
	if end < len(ids) {
		w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/users/%s/groups?after=%s&limit=%d>; rel="next"`,
			s.URL, uid, ids[end-1], s.pageSize))
	}
	out := []any{}
	for _, gid := range ids[start:end] {
		out = append(out, map[string]any{"id": gid, "type": "OKTA_GROUP", "profile": map[string]any{"name": gid}})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *oktaServer) getGroup(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gid := r.PathValue("gid")
	if _, ok := s.groups[gid]; !ok {
		notFound(w, gid+" (UserGroup)")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": gid, "type": "OKTA_GROUP", "profile": map[string]any{"name": gid}})
}

func (s *oktaServer) addGroupUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gid, uid := r.PathValue("gid"), r.PathValue("uid")
	members, ok := s.groups[gid]
	if _, uok := s.user(uid); !ok || !uok {
		notFound(w, gid+"/"+uid)
		return
	}
	if !slices.Contains(members, uid) {
		s.groups[gid] = append(members, uid)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *oktaServer) removeGroupUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gid, uid := r.PathValue("gid"), r.PathValue("uid")
	members, ok := s.groups[gid]
	if !ok {
		notFound(w, gid+" (UserGroup)")
		return
	}
	s.groups[gid] = slices.DeleteFunc(members, func(m string) bool { return m == uid })
	w.WriteHeader(http.StatusNoContent)
}

func (s *oktaServer) getApp(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app := r.PathValue("app")
	if _, ok := s.apps[app]; !ok {
		notFound(w, app+" (App)")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": app, "name": "grafana", "label": "Grafana", "status": "ACTIVE", "signOnMode": "SAML_2_0"})
}

func appUserJSON(uid, userName string) map[string]any {
	return map[string]any{"id": uid, "scope": "USER", "status": "ACTIVE",
		"credentials": map[string]any{"userName": userName}, "profile": map[string]any{}}
}

func (s *oktaServer) assignApp(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		oktaError(w, http.StatusUnsupportedMediaType, "E0000001", "Content-Type "+ct)
		return
	}
	var body struct {
		ID          string `json:"id"`
		Scope       string `json:"scope"`
		Credentials struct {
			UserName string `json:"userName"`
		} `json:"credentials"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Scope != "USER" || body.Credentials.UserName == "" {
		oktaError(w, http.StatusBadRequest, "E0000001", fmt.Sprintf("Api validation failed: %+v %v", body, err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	app := r.PathValue("app")
	users, ok := s.apps[app]
	if _, uok := s.user(body.ID); !ok || !uok {
		notFound(w, app+"/"+body.ID)
		return
	}
	users[body.ID] = body.Credentials.UserName
	writeJSON(w, http.StatusOK, appUserJSON(body.ID, body.Credentials.UserName))
}

func (s *oktaServer) getAppUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, uid := r.PathValue("app"), r.PathValue("uid")
	name, ok := s.apps[app][uid]
	if !ok {
		notFound(w, uid+" (AppUser)")
		return
	}
	writeJSON(w, http.StatusOK, appUserJSON(uid, name))
}

func (s *oktaServer) unassignApp(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app, uid := r.PathValue("app"), r.PathValue("uid")
	if _, ok := s.apps[app][uid]; !ok {
		notFound(w, uid+" (AppUser)")
		return
	}
	delete(s.apps[app], uid)
	w.WriteHeader(http.StatusNoContent)
}

// rateLimit answers 429 the way Okta does: Date and X-Rate-Limit-Reset, here
// a reset already past so that the SDK retries at once.
func rateLimit(w http.ResponseWriter) {
	now := time.Now().UTC()
	w.Header().Set("Date", now.Format(http.TimeFormat))
	w.Header().Set("X-Rate-Limit-Limit", "600")
	w.Header().Set("X-Rate-Limit-Remaining", "0")
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Unix()-1, 10))
	w.Header().Set("X-Okta-Request-Id", "req-429")
	oktaError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
}

func newTestOkta(t *testing.T, srv *oktaServer, mod ...func(*Options)) byEmail {
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
