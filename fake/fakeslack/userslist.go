package fakeslack

import (
	"slices"
	"strconv"
)

// usersListMaxPage is the most members one users.list page holds here; Slack
// documents no more than 1000 and recommends 200.
const usersListMaxPage = 200

// usersList answers users.list one page at a time, in user id order, with
// Slack's cursor paging: a next_cursor in response_metadata while more
// members follow, "" on the last page.
func (s *Server) usersList(r *apiRequest) apiResult {
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	limit := usersListMaxPage
	if n, err := strconv.Atoi(r.str("limit")); err == nil && n > 0 && n < limit {
		limit = n
	}
	start := 0
	if c := r.str("cursor"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > len(ids) {
			return fail("invalid_cursor")
		}
		start = n
	}
	end := min(start+limit, len(ids))
	members := make([]any, 0, end-start)
	for _, id := range ids[start:end] {
		members = append(members, s.userJSONLocked(s.users[id]))
	}
	next := ""
	if end < len(ids) {
		next = strconv.Itoa(end)
	}
	return ok(map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}})
}
