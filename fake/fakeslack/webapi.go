package fakeslack

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Call is one recorded Web API request.
type Call struct {
	Method      string // Web API method, e.g. "chat.postMessage", or "response_url"
	Time        time.Time
	ContentType string
	// Authorization is the Authorization header as sent (may hold a token).
	Authorization string
	// Body is the request body exactly as sent (form fields include token).
	Body []byte
	// Form holds the parsed fields of a form-encoded body.
	Form url.Values
	// JSON holds the decoded body of a JSON request (nil otherwise).
	JSON map[string]any
	// Status is the HTTP status answered; Error the "error" of an ok:false
	// answer ("" when ok).
	Status int
	Error  string
}

// Calls returns the recorded requests to method ("" for all), oldest first.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// apiRequest is a parsed Web API request handed to method handlers.
type apiRequest struct {
	method string
	form   url.Values     // form fields (form-encoded bodies and query)
	json   map[string]any // decoded JSON body
	raw    []byte
}

// str returns a parameter from the form or the JSON body.
func (r *apiRequest) str(name string) string {
	if v := r.form.Get(name); v != "" {
		return v
	}
	if s, ok := r.json[name].(string); ok {
		return s
	}
	return ""
}

// apiResult is what a method handler answers.
type apiResult struct {
	status int
	body   map[string]any
	header http.Header
}

func ok(fields map[string]any) apiResult {
	body := map[string]any{"ok": true}
	for k, v := range fields {
		body[k] = v
	}
	return apiResult{status: http.StatusOK, body: body}
}

func fail(code string) apiResult {
	return apiResult{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

func failWithMessages(code string, messages []string) apiResult {
	r := fail(code)
	r.body["response_metadata"] = map[string]any{"messages": messages}
	return r
}

type methodHandler func(s *Server, r *apiRequest) apiResult

// methods maps Web API method names to handlers. Handlers run with s.mu held.
var methods = map[string]methodHandler{
	"auth.test":             (*Server).authTest,
	"chat.postMessage":      (*Server).chatPostMessage,
	"chat.update":           (*Server).chatUpdate,
	"chat.postEphemeral":    (*Server).chatPostEphemeral,
	"chat.delete":           (*Server).chatDelete,
	"conversations.open":    (*Server).conversationsOpen,
	"users.info":            (*Server).usersInfo,
	"users.list":            (*Server).usersList,
	"users.lookupByEmail":   (*Server).usersLookupByEmail,
	"views.open":            (*Server).viewsOpen,
	"views.push":            (*Server).viewsPush,
	"views.update":          (*Server).viewsUpdate,
	"views.publish":         (*Server).viewsPublish,
	"apps.connections.open": (*Server).appsConnectionsOpen,
	"usergroups.list":       (*Server).usergroupsList,
	"usergroups.users.list": (*Server).usergroupsUsersList,
}

// methodScopes are the bot scopes Slack requires of each method, checked
// only when Options.Scopes is set; methods not listed need none.
var methodScopes = map[string]string{
	"chat.postMessage":      "chat:write",
	"chat.update":           "chat:write",
	"chat.postEphemeral":    "chat:write",
	"chat.delete":           "chat:write",
	"conversations.open":    "im:write",
	"users.info":            "users:read",
	"users.list":            "users:read",
	"users.lookupByEmail":   "users:read.email",
	"usergroups.list":       "usergroups:read",
	"usergroups.users.list": "usergroups:read",
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	raw, _ := io.ReadAll(r.Body)
	call := Call{
		Method:        method,
		Time:          time.Now(),
		ContentType:   r.Header.Get("Content-Type"),
		Authorization: r.Header.Get("Authorization"),
		Body:          raw,
	}
	req := &apiRequest{method: method, raw: raw, form: r.URL.Query()}
	if strings.HasPrefix(call.ContentType, "application/json") {
		if len(bytes.TrimSpace(raw)) > 0 {
			_ = json.Unmarshal(raw, &req.json) // a body that is not an object leaves json nil, as Slack ignores it
		}
		call.JSON = req.json
	} else if len(raw) > 0 {
		if f, err := url.ParseQuery(string(raw)); err == nil {
			if len(req.form) == 0 {
				req.form = f // shared with call.Form: handlers only read it
			} else {
				for k, v := range f {
					req.form[k] = v
				}
			}
			call.Form = f
		}
	}

	res := s.serveAPI(r, req, &call)
	if s.opts.Logf != nil {
		s.logf("%s -> %d %v", method, res.status, res.body["error"])
	}
	writeJSON(w, res)
}

// serveAPI answers a request and records it in s.calls, in the same
// critical section as the method's change of state, so a waiter that sees
// the change also sees the call.
func (s *Server) serveAPI(r *http.Request, req *apiRequest, call *Call) apiResult {
	res, handler := s.checkAPI(r, req)
	s.mu.Lock()
	if handler != nil {
		res = handler(s, req)
	}
	call.Status = res.status
	if e, _ := res.body["error"].(string); e != "" {
		call.Error = e
	}
	s.calls = append(s.calls, *call)
	s.notifyLocked()
	s.mu.Unlock()
	return res
}

// checkAPI applies faults, the method name, the token and its scopes. It returns the
// method's handler, or the answer if the request goes no further.
func (s *Server) checkAPI(r *http.Request, req *apiRequest) (apiResult, methodHandler) {
	if res, faulted := s.applyFault(r.Context(), req.method); faulted {
		return res, nil
	}
	h, known := methods[req.method]
	if !known {
		return fail("unknown_method"), nil
	}
	want := s.opts.BotToken
	if req.method == "apps.connections.open" {
		want = s.opts.AppToken
	}
	// Slack accepts the token as a Bearer header or as the "token" field;
	// slack-go uses the field for form methods and the header for JSON ones.
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if got == "" {
		got = req.form.Get("token")
	}
	if got == "" {
		return fail("not_authed"), nil
	}
	if got != want {
		return fail("invalid_auth"), nil
	}
	if need := methodScopes[req.method]; need != "" && s.opts.Scopes != nil && !slices.Contains(s.opts.Scopes, need) {
		res := fail("missing_scope")
		res.body["needed"], res.body["provided"] = need, strings.Join(s.opts.Scopes, ",")
		return res, nil
	}
	return apiResult{}, h
}

func writeJSON(w http.ResponseWriter, res apiResult) {
	for k, vs := range res.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(res.status)
	_ = json.NewEncoder(w).Encode(res.body) // the client is gone if this fails
}

// authTest answers who the token belongs to; on Enterprise Grid Slack adds
// the enterprise_id of the workspace's organization.
func (s *Server) authTest(r *apiRequest) apiResult {
	res := map[string]any{
		"url":                   "https://" + TeamDomain + ".slack.com/",
		"team":                  "Fake Co",
		"user":                  s.userNameLocked(BotUserID),
		"team_id":               TeamID,
		"user_id":               BotUserID,
		"bot_id":                BotID,
		"is_enterprise_install": false,
	}
	if s.enterprise.id != "" {
		res["enterprise_id"] = s.enterprise.id
	}
	answer := ok(res)
	if s.opts.Scopes != nil {
		answer.header = http.Header{"X-Oauth-Scopes": {strings.Join(s.opts.Scopes, ",")}}
	}
	return answer
}

func (s *Server) conversationsOpen(r *apiRequest) apiResult {
	ids := strings.Split(r.str("users"), ",")
	if r.str("users") == "" {
		if ch := r.str("channel"); ch != "" {
			return ok(map[string]any{"channel": map[string]any{"id": ch}})
		}
		return fail("users_list_not_supplied")
	}
	for _, id := range ids {
		if _, known := s.users[strings.TrimSpace(id)]; !known {
			return fail("user_not_found")
		}
	}
	id := "D" + strings.TrimSpace(ids[0])
	if len(ids) > 1 {
		id = "G" + strings.Join(ids, "")
	}
	return ok(map[string]any{"channel": map[string]any{"id": id}})
}

func (s *Server) usersInfo(r *apiRequest) apiResult {
	u, found := s.users[r.str("user")]
	if !found {
		return fail("user_not_found")
	}
	return ok(map[string]any{"user": s.userJSONLocked(u)})
}

func (s *Server) usersLookupByEmail(r *apiRequest) apiResult {
	email := r.str("email")
	for _, u := range s.users {
		if email != "" && strings.EqualFold(u.Email, email) {
			return ok(map[string]any{"user": s.userJSONLocked(u)})
		}
	}
	return fail("users_not_found")
}

// userJSONLocked is u as users.info describes a user, with the fields an
// identity check reads: team_id, enterprise_user (Enterprise Grid only),
// is_restricted and is_ultra_restricted (guests), is_email_confirmed,
// deleted and is_bot.
func (s *Server) userJSONLocked(u User) map[string]any {
	profile := map[string]any{
		"real_name":               u.RealName,
		"real_name_normalized":    u.RealName,
		"display_name":            u.Name,
		"display_name_normalized": u.Name,
	}
	if u.Email != "" {
		profile["email"] = u.Email
	}
	team := s.userTeamLocked(u)
	j := map[string]any{
		"id":                  u.ID,
		"team_id":             team,
		"name":                u.Name,
		"real_name":           u.RealName,
		"deleted":             u.Deleted,
		"is_bot":              u.IsBot,
		"is_app_user":         false,
		"is_admin":            false,
		"is_owner":            false,
		"is_restricted":       u.IsRestricted || u.IsUltraRestricted,
		"is_ultra_restricted": u.IsUltraRestricted,
		"is_email_confirmed":  !u.EmailUnconfirmed && !u.IsBot,
		"tz":                  "UTC",
		"tz_label":            "Coordinated Universal Time",
		"tz_offset":           0,
		"updated":             1700000000,
		"profile":             profile,
	}
	if ent, teams := s.userEnterpriseLocked(u); ent != "" {
		j["enterprise_user"] = map[string]any{
			"id":            u.ID,
			"enterprise_id": ent,
			"is_admin":      false,
			"is_owner":      false,
			"teams":         teams,
		}
	}
	return j
}

// userTeamLocked is u's home workspace.
func (s *Server) userTeamLocked(u User) string {
	if u.TeamID != "" {
		return u.TeamID
	}
	return TeamID
}

// userEnterpriseLocked is u's Enterprise Grid org and workspaces, or "" for
// someone outside any: members of the fake's workspace belong to the
// server's enterprise, if it has one.
func (s *Server) userEnterpriseLocked(u User) (string, []string) {
	if u.EnterpriseID != "" {
		teams := u.Teams
		if teams == nil {
			teams = []string{s.userTeamLocked(u)}
		}
		return u.EnterpriseID, teams
	}
	if s.enterprise.id != "" && s.userTeamLocked(u) == TeamID {
		teams := u.Teams
		if teams == nil {
			teams = []string{TeamID}
		}
		return s.enterprise.id, teams
	}
	return "", nil
}
