package fakeokta

import (
	"net/http"
	"strings"
)

// Group is an Okta group.
type Group struct {
	ID, Name, Description string
	// Type is OKTA_GROUP (the default), APP_GROUP (imported from an app) or
	// BUILT_IN (Everyone).
	Type string
}

type group struct {
	Group
	members     map[string]bool
	ruleMembers map[string]string // user id → id of the group rule that added them
	apps        map[string]bool   // ids of the apps assigned to the group
}

// GroupRule is an Okta group rule: users matching Expression (Okta
// Expression Language) are added to the groups GroupIDs.
type GroupRule struct {
	ID, Name   string
	Expression string // e.g. user.department=="Engineering"
	GroupIDs   []string
	Status     string // ACTIVE (the default) or INACTIVE
}

// AddGroup adds an OKTA_GROUP, or renames the group id.
func (s *Server) AddGroup(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, found := s.groups[id]; found {
		g.Name = name
		return
	}
	s.putGroupLocked(Group{ID: id, Name: name})
}

// PutGroup adds g, or replaces the name, description and type of the group
// with its id (members, apps and rules stay).
func (s *Server) PutGroup(g Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, found := s.groups[g.ID]; found {
		if g.Type == "" {
			g.Type = old.Type
		}
		old.Group = g
		return
	}
	s.putGroupLocked(g)
}

func (s *Server) putGroupLocked(g Group) {
	if g.Type == "" {
		g.Type = "OKTA_GROUP"
	}
	s.groups[g.ID] = &group{Group: g, members: map[string]bool{}, ruleMembers: map[string]string{}, apps: map[string]bool{}}
}

// RenameGroup renames a group, as an admin might in the Okta console. It
// panics if the group is unknown.
func (s *Server) RenameGroup(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustGroupLocked(id).Name = name
	s.notifyLocked()
}

// DeleteGroup deletes a group with its memberships and app assignments;
// Okta answers 404 for it from then on.
func (s *Server) DeleteGroup(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, id)
	s.notifyLocked()
}

// AssignGroupApp assigns appID to groupID (GET /api/v1/groups/{id}/apps
// lists it). It panics if either is unknown.
func (s *Server) AssignGroupApp(groupID, appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.mustGroupLocked(groupID)
	s.mustAppLocked(appID)
	g.apps[appID] = true
	s.notifyLocked()
}

// AddGroupRule adds (or replaces) a group rule. It adds no members: use
// AddRuleMember for the users the rule's expression matches.
func (s *Server) AddGroupRule(r GroupRule) {
	if r.Status == "" {
		r.Status = "ACTIVE"
	}
	r.GroupIDs = append([]string(nil), r.GroupIDs...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules[r.ID] = &r
	s.notifyLocked()
}

// AddRuleMember adds userID to every group of rule ruleID, as the rule
// would, and records that the rule manages those memberships (MemberRule).
// It panics if the rule, a group or the user is unknown.
func (s *Server) AddRuleMember(ruleID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.rules[ruleID]
	if !found {
		panic("fakeokta: unknown group rule " + ruleID)
	}
	s.mustUserLocked(userID)
	for _, gid := range r.GroupIDs {
		g := s.mustGroupLocked(gid)
		g.members[userID] = true
		g.ruleMembers[userID] = ruleID
	}
	s.notifyLocked()
}

// MemberRule returns the id of the group rule that added userID to groupID,
// or "" when the membership was made otherwise (or does not exist).
func (s *Server) MemberRule(groupID, userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, found := s.groups[groupID]; found {
		return g.ruleMembers[userID]
	}
	return ""
}

func groupJSON(host string, g *group) map[string]any {
	objectClass := "okta:user_group"
	if g.Type == "APP_GROUP" {
		objectClass = "okta:windows_security_principal"
	}
	return map[string]any{
		"id":                    g.ID,
		"created":               timestamp,
		"lastUpdated":           timestamp,
		"lastMembershipUpdated": timestamp,
		"objectClass":           []string{objectClass},
		"type":                  g.Type,
		"profile":               map[string]any{"name": g.Name, "description": g.Description},
		"_links": map[string]any{
			"self":  map[string]any{"href": "http://" + host + "/api/v1/groups/" + g.ID},
			"users": map[string]any{"href": "http://" + host + "/api/v1/groups/" + g.ID + "/users"},
			"apps":  map[string]any{"href": "http://" + host + "/api/v1/groups/" + g.ID + "/apps"},
		},
	}
}

// groupFields are the attributes a group search may name; a filter takes
// fewer (groupFilterFields), as in Okta.
var (
	groupFields = map[string]bool{"id": true, "type": true, "created": true, "lastUpdated": true,
		"lastMembershipUpdated": true, "profile.name": true, "profile.description": true}
	groupFilterFields = map[string]bool{"id": true, "type": true, "lastUpdated": true, "lastMembershipUpdated": true}
)

func groupRecord(g *group) record {
	return func(field string) []string {
		switch field {
		case "id":
			return []string{g.ID}
		case "type":
			return []string{g.Type}
		case "created", "lastUpdated", "lastMembershipUpdated":
			return []string{timestamp}
		case "profile.name":
			return []string{g.Name}
		case "profile.description":
			return []string{g.Description}
		}
		return nil
	}
}

// listGroups serves GET /api/v1/groups: q (a name prefix), filter or search
// (expressions), limit and after, ordered by id.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, reqID string) {
	q := r.URL.Query()
	match := func(*group) bool { return true }
	switch {
	case q.Get("search") != "":
		e, err := parseExpr(q.Get("search"), groupFields)
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.", reqID)
			return
		}
		match = func(g *group) bool { return e.match(groupRecord(g)) }
	case q.Get("filter") != "":
		e, err := parseExpr(q.Get("filter"), groupFilterFields)
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid filter criteria.", reqID)
			return
		}
		match = func(g *group) bool { return e.match(groupRecord(g)) }
	case q.Has("q"):
		prefix := strings.ToLower(q.Get("q"))
		match = func(g *group) bool { return strings.HasPrefix(strings.ToLower(g.Name), prefix) }
	}
	s.writeGroupPage(w, r, match, reqID)
}

// writeGroupPage answers with a page of the groups match accepts, paged the
// way Okta pages groups.
func (s *Server) writeGroupPage(w http.ResponseWriter, r *http.Request, match func(*group) bool, reqID string) {
	var ids []string
	for id, g := range s.groups {
		if match(g) {
			ids = append(ids, id)
		}
	}
	page, ok := s.pageLocked(w, r, ids, 10000, 10000, reqID)
	if !ok {
		return
	}
	out := []any{}
	for _, id := range page {
		out = append(out, groupJSON(r.Host, s.groups[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, id, reqID string) {
	g, found := s.groups[id]
	if !found {
		writeNotFound(w, "UserGroup", id, reqID)
		return
	}
	writeJSON(w, http.StatusOK, groupJSON(r.Host, g))
}

// listGroupApps serves GET /api/v1/groups/{id}/apps, paged (20 a page by
// default, at most 200).
func (s *Server) listGroupApps(w http.ResponseWriter, r *http.Request, id, reqID string) {
	g, found := s.groups[id]
	if !found {
		writeNotFound(w, "UserGroup", id, reqID)
		return
	}
	page, ok := s.pageLocked(w, r, sortedKeys(g.apps), 20, 200, reqID)
	if !ok {
		return
	}
	out := []any{}
	for _, appID := range page {
		if a, known := s.apps[appID]; known {
			out = append(out, appJSON(r.Host, a))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// listGroupRules serves GET /api/v1/groups/rules: search (a keyword in the
// rule's name), limit (default 50, at most 200) and after.
func (s *Server) listGroupRules(w http.ResponseWriter, r *http.Request, reqID string) {
	keyword := strings.ToLower(r.URL.Query().Get("search"))
	var ids []string
	for id, rule := range s.rules {
		if strings.Contains(strings.ToLower(rule.Name), keyword) {
			ids = append(ids, id)
		}
	}
	page, ok := s.pageLocked(w, r, ids, 50, 200, reqID)
	if !ok {
		return
	}
	out := []any{}
	for _, id := range page {
		rule := s.rules[id]
		out = append(out, map[string]any{
			"type":        "group_rule",
			"id":          rule.ID,
			"status":      rule.Status,
			"name":        rule.Name,
			"created":     timestamp,
			"lastUpdated": timestamp,
			"conditions": map[string]any{
				"people": map[string]any{
					"users":  map[string]any{"exclude": []string{}},
					"groups": map[string]any{"exclude": []string{}},
				},
				"expression": map[string]any{"value": rule.Expression, "type": "urn:okta:expression:1.0"},
			},
			"actions": map[string]any{"assignUserToGroups": map[string]any{"groupIds": rule.GroupIDs}},
		})
	}
	writeJSON(w, http.StatusOK, out)
}
