package fakeokta

import (
	"net/http"
	"strings"
)

// App is an Okta application instance.
type App struct {
	ID, Label string
	Name      string // the app's integration name; default "bookmark"
	Status    string // ACTIVE (the default) or INACTIVE
}

type app struct {
	App
	users map[string]appUser
}

// AddApp adds an ACTIVE app, or relabels the app id.
func (s *Server) AddApp(id, label string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, found := s.apps[id]; found {
		a.Label = label
		return
	}
	s.putAppLocked(App{ID: id, Label: label})
}

// PutApp adds a, or replaces the label, name and status of the app with its
// id (assignments stay).
func (s *Server) PutApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Name == "" {
		a.Name = "bookmark"
	}
	if a.Status == "" {
		a.Status = "ACTIVE"
	}
	if old, found := s.apps[a.ID]; found {
		old.App = a
		s.notifyLocked()
		return
	}
	s.putAppLocked(a)
}

func (s *Server) putAppLocked(a App) {
	if a.Name == "" {
		a.Name = "bookmark"
	}
	if a.Status == "" {
		a.Status = "ACTIVE"
	}
	s.apps[a.ID] = &app{App: a, users: map[string]appUser{}}
	s.notifyLocked()
}

func appJSON(host string, a *app) map[string]any {
	return map[string]any{
		"id":          a.ID,
		"name":        a.Name,
		"label":       a.Label,
		"status":      a.Status,
		"signOnMode":  "BOOKMARK",
		"created":     timestamp,
		"lastUpdated": timestamp,
		"features":    []string{},
		"_links":      map[string]any{"self": map[string]any{"href": "http://" + host + "/api/v1/apps/" + a.ID}},
	}
}

func appUserJSON(host, appID, userID string, au appUser) map[string]any {
	return map[string]any{
		"id":            userID,
		"scope":         au.scope,
		"status":        "ACTIVE",
		"syncState":     "DISABLED",
		"created":       timestamp,
		"lastUpdated":   timestamp,
		"statusChanged": timestamp,
		"credentials":   map[string]any{"userName": au.userName},
		"profile":       map[string]any{},
		"_links": map[string]any{
			"app":  map[string]any{"href": "http://" + host + "/api/v1/apps/" + appID},
			"user": map[string]any{"href": "http://" + host + "/api/v1/users/" + userID},
		},
	}
}

// appFields are the attributes an app filter may name.
var appFields = map[string]bool{"id": true, "status": true, "name": true, "user.id": true, "group.id": true}

func (s *Server) appRecord(a *app) record {
	return func(field string) []string {
		switch field {
		case "id":
			return []string{a.ID}
		case "status":
			return []string{a.Status}
		case "name":
			return []string{a.Name}
		case "user.id":
			var ids []string
			for id := range a.users {
				ids = append(ids, id)
			}
			return ids
		case "group.id":
			var ids []string
			for id, g := range s.groups {
				if g.apps[a.ID] {
					ids = append(ids, id)
				}
			}
			return ids
		}
		return nil
	}
}

// listApps serves GET /api/v1/apps: filter (status, name, user.id,
// group.id), q (a prefix of the name or label), limit (default 20, at most
// 200) and after, ordered by id.
func (s *Server) listApps(w http.ResponseWriter, r *http.Request, reqID string) {
	q := r.URL.Query()
	match := func(*app) bool { return true }
	if f := q.Get("filter"); f != "" {
		e, err := parseExpr(f, appFields)
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid filter criteria.", reqID)
			return
		}
		match = func(a *app) bool { return e.match(s.appRecord(a)) }
	}
	prefix := strings.ToLower(q.Get("q"))
	var ids []string
	for id, a := range s.apps {
		if match(a) && (strings.HasPrefix(strings.ToLower(a.Label), prefix) || strings.HasPrefix(strings.ToLower(a.Name), prefix)) {
			ids = append(ids, id)
		}
	}
	page, ok := s.pageLocked(w, r, ids, 20, 200, reqID)
	if !ok {
		return
	}
	out := []any{}
	for _, id := range page {
		out = append(out, appJSON(r.Host, s.apps[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request, id, reqID string) {
	a, found := s.apps[id]
	if !found {
		writeNotFound(w, "App", id, reqID)
		return
	}
	writeJSON(w, http.StatusOK, appJSON(r.Host, a))
}

func (s *Server) listAppUsers(w http.ResponseWriter, r *http.Request, appID, reqID string) {
	a, found := s.apps[appID]
	if !found {
		writeNotFound(w, "App", appID, reqID)
		return
	}
	var ids []string
	for id := range a.users {
		ids = append(ids, id)
	}
	page, ok := s.pageLocked(w, r, ids, 50, 500, reqID)
	if !ok {
		return
	}
	// expand=user embeds each user, as Okta does, so that a caller needs no
	// request per user for their login and email.
	expand := r.URL.Query().Get("expand") == "user"
	out := []any{}
	for _, id := range page {
		au := appUserJSON(r.Host, appID, id, a.users[id])
		if u, known := s.users[id]; known && expand {
			au["_embedded"] = map[string]any{"user": s.userJSON(r.Host, u)}
		}
		out = append(out, au)
	}
	writeJSON(w, http.StatusOK, out)
}

// assignAppUser serves POST /api/v1/apps/{appID}/users with a body like
// {"id":"00u1","scope":"USER","credentials":{"userName":"alice@example.com"}}.
// Assigning an already assigned user succeeds again (Okta updates it).
func (s *Server) assignAppUser(w http.ResponseWriter, r *http.Request, appID string, body []byte, reqID string) {
	a, found := s.apps[appID]
	if !found {
		writeNotFound(w, "App", appID, reqID)
		return
	}
	var req struct {
		ID          string `json:"id"`
		Scope       string `json:"scope"`
		Credentials *struct {
			UserName string `json:"userName"`
		} `json:"credentials"`
	}
	if err := decodeJSON(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.", reqID)
		return
	}
	if req.ID == "" {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: id", reqID)
		return
	}
	u, known := s.users[req.ID]
	if !known {
		writeNotFound(w, "User", req.ID, reqID)
		return
	}
	au := appUser{userName: u.Login, scope: req.Scope}
	if req.Credentials != nil && req.Credentials.UserName != "" {
		au.userName = req.Credentials.UserName
	}
	if au.scope == "" {
		au.scope = "USER"
	}
	a.users[u.ID] = au
	s.appAssigns[pair{appID, u.ID}]++
	writeJSON(w, http.StatusOK, appUserJSON(r.Host, appID, u.ID, au))
}

func (s *Server) getAppUser(w http.ResponseWriter, r *http.Request, appID, userID, reqID string) {
	a, found := s.apps[appID]
	if !found {
		writeNotFound(w, "App", appID, reqID)
		return
	}
	au, assigned := a.users[userID]
	if !assigned {
		writeNotFound(w, "AppUser", userID, reqID)
		return
	}
	writeJSON(w, http.StatusOK, appUserJSON(r.Host, appID, userID, au))
}

// unassignAppUser serves DELETE /api/v1/apps/{appID}/users/{userID}: 204, or
// 404 when the user is not assigned.
func (s *Server) unassignAppUser(w http.ResponseWriter, appID, userID, reqID string) {
	a, found := s.apps[appID]
	if !found {
		writeNotFound(w, "App", appID, reqID)
		return
	}
	if _, assigned := a.users[userID]; !assigned {
		writeNotFound(w, "AppUser", userID, reqID)
		return
	}
	delete(a.users, userID)
	s.appUnassignments[pair{appID, userID}]++
	writeNoContent(w)
}
