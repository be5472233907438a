package fakepagerduty

import (
	"net/http"
	"sort"
	"strings"
)

// User is a PagerDuty user.
type User struct {
	ID       string
	Name     string
	Email    string
	TimeZone string // default "UTC"
	// ReferenceOnly lists the user in on-calls as a user_reference (no
	// email) even when include[]=users asks for full users, so a test can
	// drive a client's fallback to GET /users/{id}.
	ReferenceOnly bool
}

// AddUser adds (or replaces) a user.
func (s *Server) AddUser(u User) {
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

func (s *Server) userRef(id string, full bool) map[string]any {
	u, known := s.users[id]
	name := u.Name
	if !known {
		name = id
	}
	ref := map[string]any{
		"id":       id,
		"type":     "user_reference",
		"summary":  name,
		"self":     s.hs.URL + "/users/" + id,
		"html_url": "https://fakeco.pagerduty.com/users/" + id,
	}
	if full {
		ref["type"] = "user"
		ref["name"] = name
		ref["email"] = u.Email
		ref["time_zone"] = u.TimeZone
		ref["role"] = "user"
		ref["contact_methods"] = []any{}
		ref["teams"] = []any{}
	}
	return ref
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.users[id]; !known {
		writeError(w, http.StatusNotFound, "Not Found", 2100)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.userRef(id, true)})
}

// listUsers serves GET /users?query=&limit=&offset= (query matches name or
// email, ignoring case), ordered by id.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	limit, offset, valid := page(q, s.maxLimit)
	if !valid {
		writeError(w, http.StatusBadRequest, "Invalid Input Provided", 2001, "invalid limit or offset")
		return
	}
	needle := strings.ToLower(q.Get("query"))
	var ids []string
	for id, u := range s.users {
		if strings.Contains(strings.ToLower(u.Name), needle) || strings.Contains(strings.ToLower(u.Email), needle) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := []any{}
	for i := offset; i < len(ids) && i < offset+limit; i++ {
		out = append(out, s.userRef(ids[i], true))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"users": out, "limit": limit, "offset": offset, "more": offset+limit < len(ids), "total": nil,
	})
}
