package fakeokta

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// User is an Okta user.
type User struct {
	ID        string
	Login     string
	Email     string
	FirstName string
	LastName  string
	Status    string // default "ACTIVE"
	// Profile holds further profile attributes (department, title...), as
	// an org's custom profile attributes.
	Profile map[string]string
}

type appUser struct {
	userName string
	scope    string
}

type pair struct{ a, b string }

// directory is the org's data, guarded by Server.mu.
type directory struct {
	users  map[string]*User
	groups map[string]*group
	apps   map[string]*app
	rules  map[string]*GroupRule
	logs   []*logEntry // in the order Okta stored them

	groupAdds, groupRemovals     map[pair]int
	appAssigns, appUnassignments map[pair]int
}

func (d *directory) init() {
	d.users = map[string]*User{}
	d.groups = map[string]*group{}
	d.apps = map[string]*app{}
	d.rules = map[string]*GroupRule{}
	d.groupAdds, d.groupRemovals = map[pair]int{}, map[pair]int{}
	d.appAssigns, d.appUnassignments = map[pair]int{}, map[pair]int{}
}

// The admin user answered by GET /api/v1/users/me.
var adminUser = User{ID: "00uADMIN", Login: "admin@example.com", Email: "admin@example.com",
	FirstName: "Org", LastName: "Admin", Status: "ACTIVE"}

// AddUser adds (or replaces) a user. Status defaults to "ACTIVE".
func (s *Server) AddUser(u User) {
	if u.Status == "" {
		u.Status = "ACTIVE"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &u
	s.notifyLocked()
}

// AddMember makes userID a member of groupID (standing membership set up by
// a test; not counted by GroupAdds). It panics if either is unknown.
func (s *Server) AddMember(groupID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGroupLocked(groupID)
	s.mustUserLocked(userID)
	g.members[userID] = true
	s.notifyLocked()
}

// RemoveMember removes userID from groupID without counting a removal.
func (s *Server) RemoveMember(groupID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGroupLocked(groupID)
	delete(g.members, userID)
	delete(g.ruleMembers, userID)
	s.notifyLocked()
}

// AssignApp assigns userID to appID (standing assignment; not counted by
// AppAssignments). It panics if either is unknown.
func (s *Server) AssignApp(appID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.mustAppLocked(appID)
	u := s.mustUserLocked(userID)
	a.users[userID] = appUser{userName: u.Login, scope: "USER"}
	s.notifyLocked()
}

func (s *Server) mustGroupLocked(id string) *group {
	g, found := s.groups[id]
	if !found {
		panic("fakeokta: unknown group " + id)
	}
	return g
}

func (s *Server) mustAppLocked(id string) *app {
	a, found := s.apps[id]
	if !found {
		panic("fakeokta: unknown app " + id)
	}
	return a
}

func (s *Server) mustUserLocked(id string) *User {
	u, found := s.users[id]
	if !found {
		panic("fakeokta: unknown user " + id)
	}
	return u
}

// Members returns the ids of groupID's members, sorted.
func (s *Server) Members(groupID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, found := s.groups[groupID]
	if !found {
		return nil
	}
	return sortedKeys(g.members)
}

// IsMember reports whether userID is in groupID.
func (s *Server) IsMember(groupID, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, found := s.groups[groupID]
	return found && g.members[userID]
}

// AppAssigned reports whether userID is assigned to appID.
func (s *Server) AppAssigned(appID, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, found := s.apps[appID]
	if !found {
		return false
	}
	_, assigned := a.users[userID]
	return assigned
}

// AppUsers returns the ids of the users assigned to appID, sorted.
func (s *Server) AppUsers(appID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, found := s.apps[appID]
	if !found {
		return nil
	}
	var ids []string
	for id := range a.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// AppUserName returns the app username of userID's assignment to appID, and
// whether there is one.
func (s *Server) AppUserName(appID, userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, found := s.apps[appID]
	if !found {
		return "", false
	}
	au, assigned := a.users[userID]
	return au.userName, assigned
}

// GroupAdds counts successful PUT /api/v1/groups/{groupID}/users/{userID}
// calls (idempotent repeats included), so a test can assert "added once".
func (s *Server) GroupAdds(groupID, userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groupAdds[pair{groupID, userID}]
}

// GroupRemovals counts successful DELETE /api/v1/groups/{groupID}/users/{userID} calls.
func (s *Server) GroupRemovals(groupID, userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groupRemovals[pair{groupID, userID}]
}

// AppAssignments counts successful POST /api/v1/apps/{appID}/users calls for userID.
func (s *Server) AppAssignments(appID, userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appAssigns[pair{appID, userID}]
}

// AppUnassignments counts successful DELETE /api/v1/apps/{appID}/users/{userID} calls.
func (s *Server) AppUnassignments(appID, userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appUnassignments[pair{appID, userID}]
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const timestamp = "2024-01-01T00:00:00.000Z"

func (s *Server) userJSON(host string, u *User) map[string]any {
	profile := map[string]any{
		"login":     u.Login,
		"email":     u.Email,
		"firstName": u.FirstName,
		"lastName":  u.LastName,
	}
	for k, v := range u.Profile {
		profile[k] = v
	}
	return map[string]any{
		"id":            u.ID,
		"status":        u.Status,
		"created":       timestamp,
		"activated":     timestamp,
		"statusChanged": timestamp,
		"lastUpdated":   timestamp,
		"type":          map[string]any{"id": "otyfake0000000000001"},
		"profile":       profile,
		"credentials":   map[string]any{"provider": map[string]any{"type": "OKTA", "name": "OKTA"}},
		"_links":        map[string]any{"self": map[string]any{"href": "http://" + host + "/api/v1/users/" + u.ID}},
	}
}

// findUserLocked looks a user up by id, or by login ignoring case.
func (s *Server) findUserLocked(idOrLogin string) *User {
	if idOrLogin == "me" {
		return &adminUser
	}
	if u, found := s.users[idOrLogin]; found {
		return u
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Login, idOrLogin) {
			return u
		}
	}
	return nil
}

// route dispatches an authenticated request. It runs without s.mu held.
func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v1/"), "/"), "/")
	if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
		parts = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := r.Method
	switch {
	case len(parts) == 1 && parts[0] == "users" && m == http.MethodGet:
		s.listUsers(w, r, reqID)
	case len(parts) == 2 && parts[0] == "users" && m == http.MethodGet:
		s.getUser(w, r, parts[1], reqID)
	case len(parts) == 3 && parts[0] == "users" && parts[2] == "groups" && m == http.MethodGet:
		s.listUserGroups(w, r, parts[1], reqID)
	case len(parts) == 1 && parts[0] == "groups" && m == http.MethodGet:
		s.listGroups(w, r, reqID)
	case len(parts) == 2 && parts[0] == "groups" && parts[1] == "rules" && m == http.MethodGet:
		s.listGroupRules(w, r, reqID)
	case len(parts) == 3 && parts[0] == "groups" && parts[2] == "apps" && m == http.MethodGet:
		s.listGroupApps(w, r, parts[1], reqID)
	case len(parts) == 1 && parts[0] == "apps" && m == http.MethodGet:
		s.listApps(w, r, reqID)
	case len(parts) == 1 && parts[0] == "logs" && m == http.MethodGet:
		s.listLogs(w, r, reqID)
	case len(parts) == 2 && parts[0] == "groups" && m == http.MethodGet:
		s.getGroup(w, r, parts[1], reqID)
	case len(parts) == 3 && parts[0] == "groups" && parts[2] == "users" && m == http.MethodGet:
		s.listGroupUsers(w, r, parts[1], reqID)
	case len(parts) == 4 && parts[0] == "groups" && parts[2] == "users" && (m == http.MethodPut || m == http.MethodDelete):
		s.changeMembership(w, m, parts[1], parts[3], reqID)
	case len(parts) == 2 && parts[0] == "apps" && m == http.MethodGet:
		s.getApp(w, r, parts[1], reqID)
	case len(parts) == 3 && parts[0] == "apps" && parts[2] == "users" && m == http.MethodGet:
		s.listAppUsers(w, r, parts[1], reqID)
	case len(parts) == 3 && parts[0] == "apps" && parts[2] == "users" && m == http.MethodPost:
		s.assignAppUser(w, r, parts[1], body, reqID)
	case len(parts) == 4 && parts[0] == "apps" && parts[2] == "users" && m == http.MethodGet:
		s.getAppUser(w, r, parts[1], parts[3], reqID)
	case len(parts) == 4 && parts[0] == "apps" && parts[2] == "users" && m == http.MethodDelete:
		s.unassignAppUser(w, parts[1], parts[3], reqID)
	default:
		writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path+" (Endpoint)", reqID)
	}
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, idOrLogin, reqID string) {
	u := s.findUserLocked(idOrLogin)
	if u == nil {
		writeNotFound(w, "User", idOrLogin, reqID)
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(r.Host, u))
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, reqID string) {
	q := r.URL.Query()
	var match func(*User) bool
	switch {
	case q.Get("search") != "":
		expr, err := parseExpr(q.Get("search"), userFields)
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.", reqID)
			return
		}
		match = func(u *User) bool { return expr.match(userRecord(u)) }
	case q.Get("filter") != "":
		expr, err := parseExpr(q.Get("filter"), userFields)
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid filter criteria.", reqID)
			return
		}
		match = func(u *User) bool { return expr.match(userRecord(u)) }
	case q.Get("q") != "":
		prefix := strings.ToLower(q.Get("q"))
		match = func(u *User) bool {
			for _, f := range []string{u.FirstName, u.LastName, u.Email, u.Login} {
				if strings.HasPrefix(strings.ToLower(f), prefix) {
					return true
				}
			}
			return false
		}
	default: // like Okta, a plain listing leaves out deprovisioned users
		match = func(u *User) bool { return u.Status != "DEPROVISIONED" }
	}
	var ids []string
	for id, u := range s.users {
		if match(u) {
			ids = append(ids, id)
		}
	}
	s.writeUserPage(w, r, ids, 200, 200, reqID)
}

// writeUserPage answers one page of users, ordered by id, with Okta's
// cursor pagination: ?limit=N&after=<last id>, and a Link rel="next".
func (s *Server) writeUserPage(w http.ResponseWriter, r *http.Request, ids []string, defLimit, maxLimit int, reqID string) {
	page, ok := s.pageLocked(w, r, ids, defLimit, maxLimit, reqID)
	if !ok {
		return
	}
	out := []any{}
	for _, id := range page {
		out = append(out, s.userJSON(r.Host, s.users[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listUserGroups(w http.ResponseWriter, r *http.Request, idOrLogin, reqID string) {
	u := s.findUserLocked(idOrLogin)
	if u == nil {
		writeNotFound(w, "User", idOrLogin, reqID)
		return
	}
	s.writeGroupPage(w, r, func(g *group) bool { return g.members[u.ID] }, reqID)
}

func (s *Server) listGroupUsers(w http.ResponseWriter, r *http.Request, id, reqID string) {
	g, found := s.groups[id]
	if !found {
		writeNotFound(w, "UserGroup", id, reqID)
		return
	}
	s.writeUserPage(w, r, sortedKeys(g.members), 1000, 10000, reqID)
}

// changeMembership serves PUT (add) and DELETE (remove) of a group member.
// Both answer 204 and are idempotent, as in Okta.
func (s *Server) changeMembership(w http.ResponseWriter, method, groupID, userID, reqID string) {
	g, found := s.groups[groupID]
	if !found {
		writeNotFound(w, "UserGroup", groupID, reqID)
		return
	}
	if _, known := s.users[userID]; !known {
		writeNotFound(w, "User", userID, reqID)
		return
	}
	if method == http.MethodPut {
		g.members[userID] = true
		s.groupAdds[pair{groupID, userID}]++
	} else {
		delete(g.members, userID)
		delete(g.ruleMembers, userID)
		s.groupRemovals[pair{groupID, userID}]++
	}
	writeNoContent(w)
}

// decodeJSON is json.Unmarshal that tolerates an empty body.
func decodeJSON(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	return json.Unmarshal(body, v)
}
