package fakeslack

import (
	"slices"
	"strconv"
)

// usersList answers users.list: every user, as users.info describes them,
// in pages of limit (every user when 0) ordered by id, the next page named
// by response_metadata.next_cursor ("" after the last).
func (s *Server) usersList(r *apiRequest) apiResult {
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	start := 0
	if c := r.str("cursor"); c != "" {
		i, found := slices.BinarySearch(ids, c)
		if !found {
			return fail("invalid_cursor")
		}
		start = i
	}
	limit, _ := strconv.Atoi(r.str("limit"))
	end := len(ids)
	if limit > 0 && start+limit < end {
		end = start + limit
	}
	members := []any{}
	for _, id := range ids[start:end] {
		members = append(members, s.userJSONLocked(s.users[id]))
	}
	next := ""
	if end < len(ids) {
		next = ids[end]
	}
	return ok(map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}})
}
