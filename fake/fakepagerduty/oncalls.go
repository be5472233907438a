package fakepagerduty

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// OnCall is one on-call entry: UserID is on call for EscalationPolicyID at
// Level, through ScheduleID ("" when the policy targets the user directly),
// from Start to End. A nil Start or End is unbounded (a permanent on-call,
// encoded as null like PagerDuty does).
type OnCall struct {
	UserID             string
	ScheduleID         string
	EscalationPolicyID string
	Level              int
	Start, End         *time.Time
}

// AddSchedule names a schedule (used as its summary). Optional.
func (s *Server) AddSchedule(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schedules[id] = name
}

// AddEscalationPolicy names an escalation policy. Optional.
func (s *Server) AddEscalationPolicy(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[id] = name
}

// SetOnCalls replaces all on-call entries. GET /oncalls lists them in this
// order.
func (s *Server) SetOnCalls(oncalls []OnCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oncalls = append([]OnCall(nil), oncalls...)
}

func (s *Server) objectRef(kind, id, name string, full bool) any {
	if id == "" {
		return nil
	}
	if name == "" {
		name = id
	}
	ref := map[string]any{
		"id":       id,
		"type":     kind + "_reference",
		"summary":  name,
		"self":     s.hs.URL + "/" + kind + "s/" + id,
		"html_url": "https://fakeco.pagerduty.com/" + kind + "s/" + id,
	}
	if full {
		ref["type"] = kind
		ref["name"] = name
	}
	return ref
}

func timeOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// listIDs reads a repeated "name[]" parameter (also accepting "name").
func listIDs(q url.Values, name string) map[string]bool {
	vals := append(q[name+"[]"], q[name]...)
	if len(vals) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, v := range vals {
		for _, id := range strings.Split(v, ",") {
			set[id] = true
		}
	}
	return set
}

// page reads limit (default 25, at most maxLimit) and offset.
func page(q url.Values, maxLimit int) (limit, offset int, ok bool) {
	limit, offset = 25, 0
	var err error
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 0 {
			return 0, 0, false
		}
		if limit == 0 {
			limit = 25
		}
	}
	limit = min(limit, maxLimit)
	if o := q.Get("offset"); o != "" {
		if offset, err = strconv.Atoi(o); err != nil || offset < 0 {
			return 0, 0, false
		}
	}
	return limit, offset, true
}

// listOnCalls serves GET /oncalls. The window defaults to now; an entry is
// listed if it overlaps [since, until]: start <= until and (end is null or
// end > since).
func (s *Server) listOnCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := time.Now()
	since, until := now, now
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &since}, {"until", &until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, "Invalid Input Provided", 2001, p.name+" is not a valid ISO 8601 date")
				return
			}
			*p.dst = t
		}
	}
	if q.Get("since") != "" && q.Get("until") == "" {
		until = since
	}
	if until.Before(since) {
		writeError(w, http.StatusBadRequest, "Invalid Input Provided", 2001, "until must be after since")
		return
	}
	s.mu.Lock()
	maxLimit := s.maxLimit
	s.mu.Unlock()
	limit, offset, valid := page(q, maxLimit)
	if !valid {
		writeError(w, http.StatusBadRequest, "Invalid Input Provided", 2001, "invalid limit or offset")
		return
	}
	schedules := listIDs(q, "schedule_ids")
	policies := listIDs(q, "escalation_policy_ids")
	users := listIDs(q, "user_ids")
	include := listIDs(q, "include")
	earliest := q.Get("earliest") == "true"

	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []OnCall
	seen := map[string]int{} // earliest: (policy, level, user) -> index in matched
	for _, oc := range s.oncalls {
		if schedules != nil && !schedules[oc.ScheduleID] ||
			policies != nil && !policies[oc.EscalationPolicyID] ||
			users != nil && !users[oc.UserID] {
			continue
		}
		if oc.Start != nil && oc.Start.After(until) || oc.End != nil && !oc.End.After(since) {
			continue
		}
		if earliest {
			key := oc.EscalationPolicyID + "|" + strconv.Itoa(oc.Level) + "|" + oc.UserID
			if i, dup := seen[key]; dup {
				if startsBefore(oc, matched[i]) {
					matched[i] = oc
				}
				continue
			}
			seen[key] = len(matched)
		}
		matched = append(matched, oc)
	}

	out := []any{}
	for i := offset; i < len(matched) && i < offset+limit; i++ {
		oc := matched[i]
		out = append(out, map[string]any{
			"user":              s.userRef(oc.UserID, include["users"] && !s.users[oc.UserID].ReferenceOnly),
			"schedule":          s.objectRef("schedule", oc.ScheduleID, s.schedules[oc.ScheduleID], include["schedules"]),
			"escalation_policy": s.objectRef("escalation_policy", oc.EscalationPolicyID, s.policies[oc.EscalationPolicyID], include["escalation_policies"]),
			"escalation_level":  oc.Level,
			"start":             timeOrNull(oc.Start),
			"end":               timeOrNull(oc.End),
		})
	}
	var total any
	if q.Get("total") == "true" {
		total = len(matched)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"oncalls": out,
		"limit":   limit,
		"offset":  offset,
		"more":    offset+limit < len(matched),
		"total":   total,
	})
}

// startsBefore reports whether a starts before b (a null start is earliest).
func startsBefore(a, b OnCall) bool {
	switch {
	case b.Start == nil:
		return false
	case a.Start == nil:
		return true
	}
	return a.Start.Before(*b.Start)
}
