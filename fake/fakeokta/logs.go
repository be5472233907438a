package fakeokta

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LogEvent is one System Log event, as GET /api/v1/logs returns it.
type LogEvent struct {
	UUID      string    // default: generated
	Published time.Time // default: when it is added
	EventType string    // e.g. user.authentication.sso
	Result    string    // outcome.result: SUCCESS (the default), FAILURE, DENY...
	Actor     LogEntity
	Targets   []LogEntity
	// DisplayMessage defaults to the event type.
	DisplayMessage string
}

// LogEntity is the actor or a target of a LogEvent.
type LogEntity struct {
	ID, Type, AlternateID, DisplayName string
}

// logEntry is a stored event: seq is its place in the order Okta persisted
// events, which is what polling follows.
type logEntry struct {
	LogEvent
	seq       int64
	persisted time.Time
}

// AddLogEvent stores e in the System Log and returns its uuid. Events are
// persisted in the order they are added, whatever their Published time;
// polling requests (no until) return them in that order.
func (s *Server) AddLogEvent(e LogEvent) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLogLocked(e)
}

func (s *Server) addLogLocked(e LogEvent) string {
	n := s.nextIDLocked()
	if e.UUID == "" {
		e.UUID = fmt.Sprintf("fake-%08d-0000-11ee-8000-000000000000", n)
	}
	now := time.Now()
	if e.Published.IsZero() {
		e.Published = now
	}
	if e.Result == "" {
		e.Result = "SUCCESS"
	}
	if e.DisplayMessage == "" {
		e.DisplayMessage = e.EventType
	}
	e.Targets = append([]LogEntity(nil), e.Targets...)
	s.logs = append(s.logs, &logEntry{LogEvent: e, seq: int64(len(s.logs) + 1), persisted: now})
	s.notifyLocked()
	return e.UUID
}

// SSO records a successful single sign-on of userID to appID at the given
// time, shaped like Okta's user.authentication.sso event: the user is the
// actor, the app (AppInstance) and the assignment (AppUser) are targets.
// It returns the event's uuid, and panics if the user or app is unknown.
func (s *Server) SSO(userID, appID string, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUserLocked(userID)
	a := s.mustAppLocked(appID)
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	return s.addLogLocked(LogEvent{
		Published:      at,
		EventType:      "user.authentication.sso",
		DisplayMessage: "User single sign on to app",
		Actor:          LogEntity{ID: u.ID, Type: "User", AlternateID: u.Login, DisplayName: name},
		Targets: []LogEntity{
			{ID: a.ID, Type: "AppInstance", AlternateID: a.Label, DisplayName: a.Label},
			{ID: u.ID, Type: "AppUser", AlternateID: u.Login, DisplayName: name},
		},
	})
}

// logFields are the attributes a System Log filter may name.
var logFields = map[string]bool{"uuid": true, "eventType": true, "severity": true, "published": true,
	"outcome.result": true, "actor.id": true, "actor.type": true, "actor.alternateId": true, "actor.displayName": true,
	"target.id": true, "target.type": true, "target.alternateId": true, "target.displayName": true}

func logRecord(e *logEntry) record {
	return func(field string) []string {
		switch field {
		case "uuid":
			return []string{e.UUID}
		case "eventType":
			return []string{e.EventType}
		case "severity":
			return []string{"INFO"}
		case "published":
			return []string{e.Published.UTC().Format(logTime)}
		case "outcome.result":
			return []string{e.Result}
		}
		entities := []LogEntity{e.Actor}
		if strings.HasPrefix(field, "target.") {
			entities = e.Targets
		}
		var out []string
		for _, t := range entities {
			switch field[strings.IndexByte(field, '.')+1:] {
			case "id":
				out = append(out, t.ID)
			case "type":
				out = append(out, t.Type)
			case "alternateId":
				out = append(out, t.AlternateID)
			case "displayName":
				out = append(out, t.DisplayName)
			}
		}
		return out
	}
}

const logTime = "2006-01-02T15:04:05.000Z"

func entityJSON(e LogEntity) map[string]any {
	return map[string]any{"id": e.ID, "type": e.Type, "alternateId": e.AlternateID, "displayName": e.DisplayName, "detailEntry": nil}
}

func logJSON(e *logEntry) map[string]any {
	targets := []any{}
	for _, t := range e.Targets {
		targets = append(targets, entityJSON(t))
	}
	return map[string]any{
		"uuid":           e.UUID,
		"published":      e.Published.UTC().Format(logTime),
		"eventType":      e.EventType,
		"version":        "0",
		"severity":       "INFO",
		"displayMessage": e.DisplayMessage,
		"outcome":        map[string]any{"result": e.Result, "reason": nil},
		"actor":          entityJSON(e.Actor),
		"target":         targets,
		"transaction":    map[string]any{"type": "WEB", "id": "fake-" + strconv.FormatInt(e.seq, 10), "detail": map[string]any{}},
	}
}

// listLogs serves GET /api/v1/logs the way Okta documents it:
//
//   - A bounded request (with until) lists the events published in
//     [since, until) — since defaults to 7 days before until — sorted by
//     published (sortOrder ASCENDING, the default, or DESCENDING), with a
//     next link while more remain.
//   - A polling request (no until) lists the events persisted since then
//     in the order they were persisted, and always has a next link: an
//     empty page means nothing new yet, and the same link is to be polled
//     again later.
//
// filter is an expression over logFields; q keeps events whose event type,
// message, actor or targets contain every keyword; limit is 100 by default
// and at most 1000; after is the opaque cursor of the next link.
func (s *Server) listLogs(w http.ResponseWriter, r *http.Request, reqID string) {
	q := r.URL.Query()
	bad := func(what string) {
		writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: "+what, reqID)
	}
	now := time.Now()
	until, bounded := now, q.Get("until") != ""
	if bounded {
		t, err := time.Parse(time.RFC3339, q.Get("until"))
		if err != nil {
			bad("until")
			return
		}
		until = t
	}
	since := until.Add(-7 * 24 * time.Hour)
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil || t.After(until) {
			bad("since")
			return
		}
		since = t
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("limit")
			return
		}
		limit = min(max(n, 1), 1000)
	}
	if s.maxPage > 0 {
		limit = min(limit, s.maxPage)
	}
	descending := false
	switch q.Get("sortOrder") {
	case "", "ASCENDING":
	case "DESCENDING":
		descending, bounded = true, true // Okta polls in ascending order only
	default:
		bad("sortOrder")
		return
	}
	match := func(*logEntry) bool { return true }
	if f := q.Get("filter"); f != "" {
		e, err := parseExpr(f, logFields)
		if err != nil {
			writeError(w, http.StatusBadRequest, "E0000031", "Invalid filter criteria.", reqID)
			return
		}
		match = func(l *logEntry) bool { return e.match(logRecord(l)) }
	}
	keywords := strings.Fields(strings.ToLower(q.Get("q")))
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := parseCursor(v)
		if err != nil {
			bad("after")
			return
		}
		after = n
	}

	// Both kinds walk the events in one order and resume after the event
	// whose place in that order the cursor holds.
	order := make([]*logEntry, 0, len(s.logs))
	for _, e := range s.logs {
		if bounded && (e.Published.Before(since) || !e.Published.Before(until)) ||
			!bounded && e.persisted.Before(since) {
			continue
		}
		order = append(order, e)
	}
	if bounded {
		sortByPublished(order, descending)
	}
	start := 0
	if after > 0 {
		start = len(order)
		for i, e := range order {
			if e.seq == after {
				start = i + 1
				break
			}
		}
		if !bounded { // polling: whatever was persisted after the cursor
			start = len(order)
			for i, e := range order {
				if e.seq > after {
					start = i
					break
				}
			}
		}
	}
	var page []*logEntry
	last := after // the last event looked at, matching or not
	more := false
	for _, e := range order[start:] {
		if len(page) == limit {
			more = true
			break
		}
		last = e.seq
		if match(e) && containsAll(e, keywords) {
			page = append(page, e)
		}
	}
	out := []any{}
	for _, e := range page {
		out = append(out, logJSON(e))
	}
	next := ""
	switch {
	case !bounded && last == 0 && len(s.logs) > 0:
		// Nothing persisted since `since` yet: resume after everything stored.
		next = formatCursor(s.logs[len(s.logs)-1].seq)
	case !bounded:
		next = formatCursor(last)
	case more:
		next = formatCursor(last)
	}
	setLinks(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

// Cursors look opaque, as Okta's do; inside is the persisted place of the
// last event the page looked at.
func formatCursor(seq int64) string { return "1" + strconv.FormatInt(seq, 36) + "_fake" }

func parseCursor(v string) (int64, error) {
	if !strings.HasPrefix(v, "1") || !strings.HasSuffix(v, "_fake") {
		return 0, fmt.Errorf("bad cursor %q", v)
	}
	return strconv.ParseInt(strings.TrimSuffix(v[1:], "_fake"), 36, 64)
}

func sortByPublished(events []*logEntry, descending bool) {
	slices.SortStableFunc(events, func(a, b *logEntry) int {
		c := a.Published.Compare(b.Published)
		if c == 0 {
			c = cmp.Compare(a.seq, b.seq)
		}
		if descending {
			return -c
		}
		return c
	})
}

func containsAll(e *logEntry, keywords []string) bool {
	if len(keywords) == 0 {
		return true
	}
	hay := []string{e.EventType, e.DisplayMessage, e.Actor.ID, e.Actor.AlternateID, e.Actor.DisplayName}
	for _, t := range e.Targets {
		hay = append(hay, t.ID, t.AlternateID, t.DisplayName)
	}
	text := strings.ToLower(strings.Join(hay, " "))
	for _, k := range keywords {
		if !strings.Contains(text, k) {
			return false
		}
	}
	return true
}
