package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// View is a modal or Home tab as stored by the fake (one version of it).
type View struct {
	ID    string
	Type  string // "modal" or "home"
	User  string // the user who sees it
	Title string // modal title text
	Hash  string
	Seq   int // 1-based position in the view log
	Time  time.Time
	// Open is true while a modal is on the user's stack (false once it was
	// submitted, cleared or closed); always true for a Home tab.
	Open bool

	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	NotifyOnClose   bool
	RootViewID      string
	PreviousViewID  string
	// Version counts views.update / response_action updates: 0 when opened.
	Version int
	// JSON is the view object exactly as the bot sent it (nil for a version
	// that only changed state).
	JSON json.RawMessage
	// Blocks is the decoded blocks array, with block_ids/action_ids filled in.
	Blocks []map[string]any
	// State is state.values: {block_id: {action_id: {type, value | selected_option ...}}}.
	State map[string]map[string]any

	obj map[string]any // the stored view object (immutable once stored)
}

// Text returns every text in the view's title and blocks, joined by newlines.
func (v View) Text() string {
	m := Message{Blocks: v.Blocks, RawText: v.Title}
	return m.Text()
}

// Buttons returns the view's buttons in block order.
func (v View) Buttons() []Button { return findButtons(v.Blocks) }

// Element returns the interactive element with action_id in block blockID.
func (v View) Element(blockID, actionID string) (map[string]any, bool) {
	for _, b := range v.Blocks {
		if id, _ := b["block_id"].(string); id != blockID {
			continue
		}
		for _, el := range blockElements(b) {
			if a, _ := el["action_id"].(string); a == actionID {
				return el, true
			}
		}
	}
	return nil, false
}

type trigger struct {
	issued time.Time
	used   bool
	user   string
}

// viewStore is the part of Server holding views and triggers.
type viewStore struct {
	views    map[string]*View // current version by id
	viewLog  []View
	stacks   map[string][]string // user -> open modal ids, bottom first
	homes    map[string]string   // user -> home view id
	triggers map[string]*trigger
	// suggested holds the options an app last suggested for an external
	// select, by view/block/action, so they can be chosen (suggestions.go).
	suggested map[string][]map[string]any
}

func (vs *viewStore) init() {
	vs.views = map[string]*View{}
	vs.stacks = map[string][]string{}
	vs.homes = map[string]string{}
	vs.triggers = map[string]*trigger{}
	vs.suggested = map[string][]map[string]any{}
}

const maxModalStack = 3 // a modal plus two pushed views

// IssueTrigger returns a fresh trigger_id for user, valid for TriggerTTL,
// as if the user had just interacted with the app.
func (s *Server) IssueTrigger(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTriggerLocked(user)
}

func (s *Server) issueTriggerLocked(user string) string {
	n := s.nextIDLocked()
	id := fmt.Sprintf("%d.%06d.%08x", 1700000000+n, n, uint32(n)*2654435761)
	s.triggers[id] = &trigger{issued: time.Now(), user: user}
	return id
}

// triggerErrorLocked returns the Slack error for using trigger_id id, or ""
// if it is valid: issued by the fake, unused and younger than TriggerTTL.
func (s *Server) triggerErrorLocked(id string) string {
	t, found := s.triggers[id]
	switch {
	case !found:
		return "invalid_trigger_id"
	case t.used:
		return "exchanged_trigger_id"
	case time.Since(t.issued) > s.opts.TriggerTTL:
		return "expired_trigger_id"
	}
	return ""
}

// View returns the current version of the view with the given id.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, found := s.views[id]
	if !found {
		return View{}, false
	}
	return *v, true
}

// OpenViews returns the modals open for user, bottom of the stack first.
func (s *Server) OpenViews(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.stacks[user] {
		out = append(out, *s.views[id])
	}
	return out
}

// HomeView returns the Home tab last published for user.
func (s *Server) HomeView(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, found := s.homes[user]
	if !found {
		return View{}, false
	}
	return *s.views[id], true
}

// ViewLog returns every version of every view, in order.
func (s *Server) ViewLog() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]View(nil), s.viewLog...)
}

// WaitView returns the first entry of the view log (any version of any
// modal or Home tab) matching pred, waiting until one appears or ctx ends.
func (s *Server) WaitView(ctx context.Context, pred func(View) bool) (View, error) {
	var found View
	err := s.waitFor(ctx, func() bool {
		for _, v := range s.viewLog {
			if pred(v) {
				found = v
				return true
			}
		}
		return false
	})
	return found, err
}

// WaitHome waits until user's current Home tab matches pred.
func (s *Server) WaitHome(ctx context.Context, user string, pred func(View) bool) (View, error) {
	var found View
	err := s.waitFor(ctx, func() bool {
		id, published := s.homes[user]
		if published && pred(*s.views[id]) {
			found = *s.views[id]
			return true
		}
		return false
	})
	return found, err
}

// storeViewLocked records v as the current version of its view.
func (s *Server) storeViewLocked(v View) View {
	v.Seq = len(s.viewLog) + 1
	v.Time = time.Now()
	s.viewLog = append(s.viewLog, v)
	cp := v
	s.views[v.ID] = &cp
	s.notifyLocked()
	return v
}

func (s *Server) newHashLocked() string {
	n := s.nextIDLocked()
	return fmt.Sprintf("%d.%08x", time.Now().Unix(), uint32(n)*2246822519)
}

// viewObject extracts and validates the "view" argument (an object, or a
// JSON string as Slack also accepts).
func (s *Server) viewObjectLocked(method string, r *apiRequest, wantType string) (map[string]any, json.RawMessage, *apiResult) {
	var obj map[string]any
	var raw json.RawMessage
	switch x := r.json["view"].(type) {
	case map[string]any:
		obj = x
		var err error
		if raw, err = json.Marshal(x); err != nil {
			raw = nil
		}
	case string:
		raw = json.RawMessage(x)
		var err error
		if err = json.Unmarshal([]byte(x), &obj); err != nil {
			res := fail("invalid_arguments")
			return nil, nil, &res
		}
	default:
		if v := r.form.Get("view"); v != "" {
			raw = json.RawMessage(v)
			_ = json.Unmarshal([]byte(v), &obj)
		}
	}
	if obj == nil {
		res := failWithMessages("invalid_arguments", []string{"[ERROR] missing required field: view [json-pointer:/view]"})
		return nil, nil, &res
	}
	if errs := validateView(obj, wantType); len(errs) > 0 {
		res := s.rejectLocked(method, "invalid_arguments", errs)
		return nil, nil, &res
	}
	blocks, _ := obj["blocks"].([]any)
	assignIDs(blocks)
	return obj, raw, nil
}

// newViewVersion builds a view from a validated view object.
func newViewVersion(obj map[string]any, raw json.RawMessage) View {
	str := func(k string) string { s, _ := obj[k].(string); return s }
	v := View{
		Type:            str("type"),
		CallbackID:      str("callback_id"),
		ExternalID:      str("external_id"),
		PrivateMetadata: str("private_metadata"),
		JSON:            raw,
		obj:             obj,
		State:           map[string]map[string]any{},
	}
	v.NotifyOnClose, _ = obj["notify_on_close"].(bool)
	if t, _ := obj["title"].(map[string]any); t != nil {
		v.Title, _ = t["text"].(string)
	}
	blocks, _ := obj["blocks"].([]any)
	v.Blocks = toMaps(blocks)
	return v
}

// viewJSON renders a view the way Slack returns it in API answers and
// interaction payloads.
func viewJSON(v View) map[string]any {
	j := map[string]any{}
	for k, x := range v.obj {
		j[k] = x
	}
	var prev any
	if v.PreviousViewID != "" {
		prev = v.PreviousViewID
	}
	root := v.RootViewID
	if root == "" {
		root = v.ID
	}
	for k, x := range map[string]any{
		"id": v.ID, "team_id": TeamID, "type": v.Type, "hash": v.Hash,
		"state":            map[string]any{"values": v.State},
		"private_metadata": v.PrivateMetadata, "callback_id": v.CallbackID,
		"external_id": v.ExternalID, "root_view_id": root, "previous_view_id": prev,
		"app_id": AppID, "app_installed_team_id": TeamID, "bot_id": BotID,
		"clear_on_close": j["clear_on_close"] == true, "notify_on_close": v.NotifyOnClose,
	} {
		j[k] = x
	}
	return j
}

func (s *Server) viewsOpen(r *apiRequest) apiResult {
	return s.openOrPushLocked(r, false)
}

func (s *Server) viewsPush(r *apiRequest) apiResult {
	return s.openOrPushLocked(r, true)
}

func (s *Server) openOrPushLocked(r *apiRequest, push bool) apiResult {
	triggerID := r.str("trigger_id")
	if code := s.triggerErrorLocked(triggerID); code != "" {
		return fail(code)
	}
	trig := s.triggers[triggerID]
	user := trig.user
	stack := s.stacks[user]
	if push && len(stack) == 0 {
		return fail("not_found")
	}
	if push && len(stack) >= maxModalStack {
		return fail("push_limit_reached")
	}
	obj, raw, rej := s.viewObjectLocked(r.method, r, "modal")
	if rej != nil {
		return *rej
	}
	trig.used = true
	v := newViewVersion(obj, raw)
	v.ID = fmt.Sprintf("V0FAKE%04d", s.nextIDLocked())
	v.User = user
	v.Hash = s.newHashLocked()
	v.Open = true
	if push {
		v.RootViewID = stack[0]
		v.PreviousViewID = stack[len(stack)-1]
		s.stacks[user] = append(stack, v.ID)
	} else {
		s.closeStackLocked(user, 0)
		s.stacks[user] = []string{v.ID}
	}
	v = s.storeViewLocked(v)
	return ok(map[string]any{"view": viewJSON(v)})
}

// closeStackLocked closes the user's modals from position from upward.
func (s *Server) closeStackLocked(user string, from int) {
	stack := s.stacks[user]
	if from >= len(stack) {
		return
	}
	for _, id := range stack[from:] {
		v := *s.views[id]
		v.Open, v.JSON = false, nil
		s.storeViewLocked(v)
	}
	s.stacks[user] = append([]string(nil), stack[:from]...)
}

func (s *Server) viewsUpdate(r *apiRequest) apiResult {
	var cur *View
	if id := r.str("view_id"); id != "" {
		cur = s.views[id]
	} else if ext := r.str("external_id"); ext != "" {
		for _, v := range s.views {
			if v.ExternalID == ext && v.Open {
				cur = v
			}
		}
	}
	if cur == nil || !cur.Open {
		return fail("not_found")
	}
	if h := r.str("hash"); h != "" && h != cur.Hash {
		return fail("hash_conflict")
	}
	obj, raw, rej := s.viewObjectLocked(r.method, r, cur.Type)
	if rej != nil {
		return *rej
	}
	v := s.replaceViewLocked(*cur, obj, raw)
	return ok(map[string]any{"view": viewJSON(v)})
}

// replaceViewLocked stores a new version of cur with new content, keeping
// its id, stack position and the state of blocks that still exist.
func (s *Server) replaceViewLocked(cur View, obj map[string]any, raw json.RawMessage) View {
	v := newViewVersion(obj, raw)
	v.ID, v.User, v.Open = cur.ID, cur.User, cur.Open
	v.RootViewID, v.PreviousViewID = cur.RootViewID, cur.PreviousViewID
	v.Version = cur.Version + 1
	v.Hash = s.newHashLocked()
	for _, b := range v.Blocks {
		id, _ := b["block_id"].(string)
		if st, kept := cur.State[id]; kept {
			v.State[id] = st
		}
	}
	return s.storeViewLocked(v)
}

func (s *Server) viewsPublish(r *apiRequest) apiResult {
	user := r.str("user_id")
	if _, known := s.users[user]; !known {
		return fail("user_not_found")
	}
	homeID, published := s.homes[user]
	if h := r.str("hash"); h != "" && published && h != s.views[homeID].Hash {
		return fail("hash_conflict")
	}
	obj, raw, rej := s.viewObjectLocked(r.method, r, "home")
	if rej != nil {
		return *rej
	}
	var v View
	if published {
		v = s.replaceViewLocked(*s.views[homeID], obj, raw)
	} else {
		v = newViewVersion(obj, raw)
		v.ID = fmt.Sprintf("V0HOME%04d", s.nextIDLocked())
		v.User, v.Open = user, true
		v.Hash = s.newHashLocked()
		v = s.storeViewLocked(v)
		s.homes[user] = v.ID
	}
	return ok(map[string]any{"view": viewJSON(v)})
}
