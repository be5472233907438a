package fakeslack

import (
	"slices"
	"strconv"
)

// UserGroup is a Slack user group (a "subteam", mentioned as @handle).
// Both methods that read them need the usergroups:read scope.
type UserGroup struct {
	ID          string // "S…"
	Handle      string // without the @
	Name        string
	Description string
	Users       []string // member user ids
	// Disabled groups keep their members but are left out unless the
	// caller asks for include_disabled.
	Disabled bool
}

// AddUserGroup adds (or replaces) a user group.
func (s *Server) AddUserGroup(g UserGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.Users = slices.Clone(g.Users)
	if _, known := s.usergroups[g.ID]; !known {
		s.usergroupOrder = append(s.usergroupOrder, g.ID)
	}
	s.usergroups[g.ID] = g
	s.notifyLocked()
}

// SetUserGroupMembers replaces a user group's members, as an admin editing
// it in Slack would. It reports whether the group exists.
func (s *Server) SetUserGroupMembers(id string, users ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, known := s.usergroups[id]
	if !known {
		return false
	}
	g.Users = slices.Clone(users)
	s.usergroups[id] = g
	s.notifyLocked()
	return true
}

// truthy reads a boolean argument the ways Slack accepts one.
func truthy(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b || v == "1"
}

// usergroupsList answers usergroups.list: every group (disabled ones only
// with include_disabled), with user_count and users when asked for.
func (s *Server) usergroupsList(r *apiRequest) apiResult {
	withDisabled, withCount, withUsers := truthy(r.str("include_disabled")), truthy(r.str("include_count")), truthy(r.str("include_users"))
	groups := []any{}
	for _, id := range s.usergroupOrder {
		g := s.usergroups[id]
		if g.Disabled && !withDisabled {
			continue
		}
		j := usergroupJSON(g)
		if withCount {
			j["user_count"] = len(g.Users)
		}
		if withUsers {
			j["users"] = slices.Clone(g.Users)
		}
		groups = append(groups, j)
	}
	return ok(map[string]any{"usergroups": groups})
}

// usergroupsUsersList answers usergroups.users.list with the member ids of
// usergroup. Slack documents no_such_subteam for an unknown id; a disabled
// group without include_disabled is answered the same way here, an
// assumption on the safe side for a caller that must not trust it.
func (s *Server) usergroupsUsersList(r *apiRequest) apiResult {
	id := r.str("usergroup")
	if id == "" {
		return fail("invalid_arguments")
	}
	g, known := s.usergroups[id]
	if !known || g.Disabled && !truthy(r.str("include_disabled")) {
		return fail("no_such_subteam")
	}
	users := slices.Clone(g.Users)
	if users == nil {
		users = []string{}
	}
	return ok(map[string]any{"users": users})
}

func usergroupJSON(g UserGroup) map[string]any {
	deleted := 0
	if g.Disabled {
		deleted = 1700000100
	}
	return map[string]any{
		"id":           g.ID,
		"team_id":      TeamID,
		"is_usergroup": true,
		"name":         g.Name,
		"description":  g.Description,
		"handle":       g.Handle,
		"is_external":  false,
		"date_create":  1700000000,
		"date_update":  1700000000,
		"date_delete":  deleted,
		"auto_type":    nil,
		"created_by":   "U0ADMIN",
		"updated_by":   "U0ADMIN",
		"deleted_by":   nil,
		"prefs":        map[string]any{"channels": []string{}, "groups": []string{}},
	}
}
