package fakeokta

import (
	"net/http"
)

func appJSON(host string, a *app) map[string]any {
	return map[string]any{
		"id":          a.id,
		"name":        "bookmark",
		"label":       a.label,
		"status":      "ACTIVE",
		"signOnMode":  "BOOKMARK",
		"created":     timestamp,
		"lastUpdated": timestamp,
		"features":    []string{},
		"_links":      map[string]any{"self": map[string]any{"href": "http://" + host + "/api/v1/apps/" + a.id}},
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
	out := []any{}
	for _, id := range page {
		out = append(out, appUserJSON(r.Host, appID, id, a.users[id]))
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
