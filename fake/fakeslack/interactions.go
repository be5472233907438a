package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SlashCommand sends a slash_commands envelope as if userID typed
// "command text" in channelID, and waits for the ack. Every payload value is
// a string, as in Slack. The payload carries a fresh trigger_id and a
// response_url on the fake.
func (s *Server) SlashCommand(ctx context.Context, userID, command, text, channelID string) (Ack, error) {
	s.mu.Lock()
	payload := map[string]any{
		"token":                 VerificationToken,
		"team_id":               TeamID,
		"team_domain":           TeamDomain,
		"channel_id":            channelID,
		"channel_name":          s.channelNameLocked(channelID),
		"user_id":               userID,
		"user_name":             s.userNameLocked(userID),
		"command":               command,
		"text":                  text,
		"api_app_id":            AppID,
		"is_enterprise_install": "false",
		"response_url":          s.newResponseURLLocked(responseOrigin{channel: channelID, user: userID}),
		"trigger_id":            s.issueTriggerLocked(userID),
	}
	if s.enterprise.id != "" {
		payload["enterprise_id"], payload["enterprise_name"] = s.enterprise.id, s.enterprise.name
	}
	s.mu.Unlock()
	ack, err := s.sendPayload(ctx, "slash_commands", true, payload)
	if err == nil {
		s.showCommandAck(channelID, userID, ack.Payload)
	}
	return ack, err
}

// showCommandAck shows a message carried by a slash command's ack the way
// Slack does: to the user only, or in the channel with
// "response_type":"in_channel". It is recorded as a KindCommandAck message
// (after the same checks as chat.postMessage).
func (s *Server) showCommandAck(channel, user string, payload json.RawMessage) {
	var body map[string]any
	if len(payload) == 0 || json.Unmarshal(payload, &body) != nil {
		return
	}
	if _, hasText := body["text"]; !hasText && body["blocks"] == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, rej := s.parseContentLocked("slash_command_ack", &apiRequest{method: "slash_command_ack", json: body})
	if rej != nil {
		return
	}
	m := Message{Kind: KindCommandAck, Channel: channel, User: user, TS: s.nextTSLocked(),
		RawText: c.text, BlocksJSON: c.blocksJSON, Blocks: c.blocks}
	m.ResponseType, _ = body["response_type"].(string)
	if m.ResponseType == "in_channel" {
		m = s.appendLogLocked(m)
		st := &storedMessage{versions: []Message{m}}
		s.msgs[msgKey(channel, m.TS)] = st
		s.msgOrder = append(s.msgOrder, st)
		return
	}
	m.Ephemeral = true
	s.appendLogLocked(m)
}

func (s *Server) sendPayload(ctx context.Context, typ string, acceptsResponse bool, payload map[string]any) (Ack, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return Ack{}, err
	}
	return s.Send(ctx, Envelope{Type: typ, AcceptsResponsePayload: acceptsResponse, Payload: raw})
}

// payloadUserLocked is the "user" of an interaction payload; team_id is
// the user's home workspace, which differs from the payload's "team" for
// Slack Connect users and for members of another Grid workspace.
func (s *Server) payloadUserLocked(userID string) map[string]any {
	name := s.userNameLocked(userID)
	return map[string]any{"id": userID, "username": name, "name": name, "team_id": s.userTeamLocked(s.users[userID])}
}

// enterpriseJSONLocked is an interaction payload's "enterprise": null
// outside Enterprise Grid.
func (s *Server) enterpriseJSONLocked() any {
	if s.enterprise.id == "" {
		return nil
	}
	return map[string]any{"id": s.enterprise.id, "name": s.enterprise.name}
}

// actionTS returns a fresh action_ts.
func (s *Server) actionTSLocked() string {
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), s.nextIDLocked()%1000000)
}

// blockActionsPayloadLocked builds the fields every block_actions payload has.
func (s *Server) blockActionsPayloadLocked(userID string, action map[string]any) map[string]any {
	action["action_ts"] = s.actionTSLocked()
	return map[string]any{
		"type":                  "block_actions",
		"user":                  s.payloadUserLocked(userID),
		"api_app_id":            AppID,
		"token":                 VerificationToken,
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise":            s.enterpriseJSONLocked(),
		"trigger_id":            s.issueTriggerLocked(userID),
		"actions":               []any{action},
		"is_enterprise_install": false,
	}
}

func buttonAction(b Button) map[string]any {
	a := map[string]any{
		"type":      "button",
		"action_id": b.ActionID,
		"block_id":  b.BlockID, // a string: slack-go needs it to see a block action
		"text":      map[string]any{"type": "plain_text", "text": b.Text, "emoji": true},
	}
	if b.Value != "" {
		a["value"] = b.Value
	}
	if b.Style != "" {
		a["style"] = b.Style
	}
	if b.URL != "" {
		a["url"] = b.URL
	}
	return a
}

// ClickButton clicks the first button with actionID in msg, as userID, and
// waits for the ack. The payload uses the message's current stored version
// (msg identifies it by channel and ts) and carries a fresh trigger_id and a
// response_url bound to the message.
func (s *Server) ClickButton(ctx context.Context, userID string, msg Message, actionID string) (Ack, error) {
	return s.clickMessageButton(ctx, userID, msg, func(b Button) bool { return b.ActionID == actionID }, actionID)
}

// ClickButtonValue is ClickButton for the button with both actionID and
// value, for messages with several buttons sharing an action_id.
func (s *Server) ClickButtonValue(ctx context.Context, userID string, msg Message, actionID, value string) (Ack, error) {
	return s.clickMessageButton(ctx, userID, msg, func(b Button) bool { return b.ActionID == actionID && b.Value == value },
		actionID+"="+value)
}

func (s *Server) clickMessageButton(ctx context.Context, userID string, msg Message, match func(Button) bool, what string) (Ack, error) {
	s.mu.Lock()
	if st, stored := s.msgs[msgKey(msg.Channel, msg.TS)]; stored && !msg.Ephemeral {
		msg = st.current()
	}
	if msg.Deleted {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: message %s/%s was deleted", msg.Channel, msg.TS)
	}
	var btn *Button
	for _, b := range msg.Buttons() {
		if match(b) {
			btn = &b
			break
		}
	}
	if btn == nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: no button %s in message %s/%s", what, msg.Channel, msg.TS)
	}
	p := s.blockActionsPayloadLocked(userID, buttonAction(*btn))
	p["container"] = map[string]any{
		"type": "message", "message_ts": msg.TS, "channel_id": msg.Channel, "is_ephemeral": msg.Ephemeral,
	}
	p["channel"] = map[string]any{"id": msg.Channel, "name": s.channelNameLocked(msg.Channel)}
	if !msg.Ephemeral {
		p["message"] = messageJSON(msg)
	}
	p["state"] = map[string]any{"values": map[string]any{}}
	p["response_url"] = s.newResponseURLLocked(responseOrigin{
		channel: msg.Channel, ts: msg.TS, user: userID, ephemeral: msg.Ephemeral,
	})
	s.mu.Unlock()
	return s.sendPayload(ctx, "interactive", false, p)
}

// ClickHomeButton clicks a button in userID's Home tab: the first with
// actionID and, when value is not "", that value.
func (s *Server) ClickHomeButton(ctx context.Context, userID, actionID, value string) (Ack, error) {
	s.mu.Lock()
	id, published := s.homes[userID]
	if !published {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: no home tab published for %s", userID)
	}
	v := *s.views[id]
	var btn *Button
	for _, b := range v.Buttons() {
		if b.ActionID == actionID && (value == "" || b.Value == value) {
			btn = &b
			break
		}
	}
	if btn == nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: no button %s (value %q) in %s's home tab", actionID, value, userID)
	}
	p := s.blockActionsPayloadLocked(userID, buttonAction(*btn))
	p["container"] = map[string]any{"type": "view", "view_id": v.ID}
	p["view"] = viewJSON(v)
	s.mu.Unlock()
	return s.sendPayload(ctx, "interactive", false, p)
}

// ViewAction sends block_actions for a user changing an element of an open
// modal (or Home tab): selectedValue is the chosen option value for selects
// (for external selects, one of the options last suggested, see Suggest)
// and radio buttons, the text for plain_text_input, the user id for
// users_select and the date for datepicker. The view's state is updated and
// sent along, as Slack does.
func (s *Server) ViewAction(ctx context.Context, userID, viewID, blockID, actionID, selectedValue string) (Ack, error) {
	s.mu.Lock()
	cur, found := s.views[viewID]
	if !found || !cur.Open {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: view %s is not open", viewID)
	}
	el, found := cur.Element(blockID, actionID)
	if !found {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: no element %s/%s in view %s", blockID, actionID, viewID)
	}
	el = s.withSuggestionsLocked(viewID, blockID, el)
	typ, _ := el["type"].(string)
	var entry map[string]any
	switch typ {
	case "static_select", "radio_buttons", "overflow", "external_select":
		entry = SelectValue(selectedValue)
	case "multi_static_select", "checkboxes", "multi_external_select":
		entry = MultiSelectValues(selectedValue)
	case "users_select":
		entry = UserValue(selectedValue)
	case "multi_users_select":
		entry = UsersValue(selectedValue)
	case "datepicker":
		entry = DateValue(selectedValue)
	case "plain_text_input":
		entry = TextValue(selectedValue)
	default:
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: ViewAction does not support %s elements", typ)
	}
	entry, err := completeValue(el, entry)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, err
	}
	v := *cur
	v.State = copyState(cur.State)
	v.State[blockID] = map[string]any{actionID: entry}
	v.JSON = nil
	v = s.storeViewLocked(v)

	action := map[string]any{"action_id": actionID, "block_id": blockID}
	for k, x := range entry {
		action[k] = x
	}
	p := s.blockActionsPayloadLocked(userID, action)
	p["container"] = map[string]any{"type": "view", "view_id": v.ID}
	p["view"] = viewJSON(v)
	p["state"] = map[string]any{"values": v.State}
	s.mu.Unlock()
	return s.sendPayload(ctx, "interactive", false, p)
}

func copyState(st map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(st))
	for k, v := range st {
		out[k] = v
	}
	return out
}

// TextValue is a plain_text_input state value.
func TextValue(s string) map[string]any {
	return map[string]any{"type": "plain_text_input", "value": s}
}

// SelectValue is a static_select state value. The option's text is filled
// in from the view when the value is submitted.
func SelectValue(value string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": optionValue(value)}
}

// MultiSelectValues is a multi_static_select state value.
func MultiSelectValues(values ...string) map[string]any {
	opts := []any{}
	for _, v := range values {
		opts = append(opts, optionValue(v))
	}
	return map[string]any{"type": "multi_static_select", "selected_options": opts}
}

// UserValue is a users_select state value.
func UserValue(userID string) map[string]any {
	return map[string]any{"type": "users_select", "selected_user": userID}
}

// UsersValue is a multi_users_select state value.
func UsersValue(userIDs ...string) map[string]any {
	return map[string]any{"type": "multi_users_select", "selected_users": append([]string{}, userIDs...)}
}

// DateValue is a datepicker state value ("2006-01-02").
func DateValue(date string) map[string]any {
	return map[string]any{"type": "datepicker", "selected_date": date}
}

func optionValue(v string) map[string]any {
	return map[string]any{"value": v}
}

// elementOptions lists an element's options, including those in groups.
func elementOptions(el map[string]any) []map[string]any {
	var out []map[string]any
	add := func(list any) {
		items, _ := list.([]any)
		for _, o := range items {
			if m, _ := o.(map[string]any); m != nil {
				out = append(out, m)
			}
		}
	}
	add(el["options"])
	groups, _ := el["option_groups"].([]any)
	for _, g := range groups {
		if gm, _ := g.(map[string]any); gm != nil {
			add(gm["options"])
		}
	}
	return out
}

// completeValue returns a copy of entry shaped like Slack's state value for
// element el: the element's type, and full option objects (text included)
// for selected options. It fails if a value is not one of the options.
func completeValue(el map[string]any, entry map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range entry {
		out[k] = v
	}
	if t, _ := el["type"].(string); t != "" {
		out["type"] = t
	}
	find := func(o any) (any, error) {
		m, _ := o.(map[string]any)
		want, _ := m["value"].(string)
		for _, opt := range elementOptions(el) {
			if opt["value"] == want {
				return opt, nil
			}
		}
		return nil, fmt.Errorf("fakeslack: %q is not an option of %v", want, el["action_id"])
	}
	if o, present := out["selected_option"]; present && o != nil {
		full, err := find(o)
		if err != nil {
			return nil, err
		}
		out["selected_option"] = full
	}
	if list, present := out["selected_options"].([]any); present {
		full := []any{}
		for _, o := range list {
			f, err := find(o)
			if err != nil {
				return nil, err
			}
			full = append(full, f)
		}
		out["selected_options"] = full
	}
	return out, nil
}

// initialValue is the state Slack reports for an untouched input element.
func initialValue(el map[string]any) map[string]any {
	typ, _ := el["type"].(string)
	v := map[string]any{"type": typ}
	switch typ {
	case "plain_text_input":
		v["value"] = el["initial_value"]
	case "static_select", "radio_buttons", "external_select":
		v["selected_option"] = el["initial_option"]
	case "multi_static_select", "checkboxes", "multi_external_select":
		if init, present := el["initial_options"]; present {
			v["selected_options"] = init
		} else {
			v["selected_options"] = []any{}
		}
	case "users_select":
		v["selected_user"] = el["initial_user"]
	case "multi_users_select":
		if init, present := el["initial_users"]; present {
			v["selected_users"] = init
		} else {
			v["selected_users"] = []any{}
		}
	case "datepicker":
		v["selected_date"] = el["initial_date"]
	}
	return v
}

// isEmptyValue reports whether a state value holds nothing.
func isEmptyValue(v map[string]any) bool {
	for _, k := range []string{"value", "selected_option", "selected_user", "selected_date"} {
		if x, present := v[k]; present {
			s, isString := x.(string)
			return x == nil || isString && s == ""
		}
	}
	for _, k := range []string{"selected_options", "selected_users"} {
		if x, present := v[k]; present {
			switch l := x.(type) {
			case []any:
				return len(l) == 0
			case []string:
				return len(l) == 0
			}
			return x == nil
		}
	}
	return true
}

// SubmitView submits the modal viewID as userID, with values in
// view.state.values shape ({block_id: {action_id: value}}, see TextValue,
// SelectValue...). Input blocks left out keep their initial value. Like
// Slack's client, it refuses (without sending anything) when a required
// input is empty or a text is outside min_length/max_length.
//
// After the ack it applies the response like Slack: no response_action
// closes the view, "clear" closes the whole stack, "update" replaces the
// view, "push" pushes a new one (both validated; a bad view is recorded in
// Rejections), "errors" keeps it open (keys that are not input block_ids
// are recorded in Rejections, since Slack cannot show them).
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]map[string]any) (Ack, error) {
	s.mu.Lock()
	cur, found := s.views[viewID]
	stack := s.stacks[userID]
	if !found || cur.Type != "modal" || len(stack) == 0 || stack[len(stack)-1] != viewID {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: view %s is not the top open modal of %s", viewID, userID)
	}
	state := map[string]map[string]any{}
	for _, b := range cur.Blocks {
		if b["type"] != "input" {
			continue
		}
		blockID, _ := b["block_id"].(string)
		el, _ := b["element"].(map[string]any)
		el = s.withSuggestionsLocked(viewID, blockID, el)
		actionID, _ := el["action_id"].(string)
		entry := initialValue(el)
		if prev, touched := cur.State[blockID][actionID].(map[string]any); touched {
			entry = prev
		}
		if given, present := values[blockID][actionID]; present {
			m, _ := given.(map[string]any)
			full, err := completeValue(el, m)
			if err != nil {
				s.mu.Unlock()
				return Ack{}, err
			}
			entry = full
		}
		if optional, _ := b["optional"].(bool); !optional && isEmptyValue(entry) {
			s.mu.Unlock()
			return Ack{}, fmt.Errorf("fakeslack: required input %s/%s is empty", blockID, actionID)
		}
		if text, isString := entry["value"].(string); isString && el["type"] == "plain_text_input" {
			n := float64(len([]rune(text)))
			if lo, set := el["min_length"].(float64); set && n < lo && text != "" {
				s.mu.Unlock()
				return Ack{}, fmt.Errorf("fakeslack: input %s/%s is shorter than min_length", blockID, actionID)
			}
			if hi, set := el["max_length"].(float64); set && n > hi {
				s.mu.Unlock()
				return Ack{}, fmt.Errorf("fakeslack: input %s/%s is longer than max_length", blockID, actionID)
			}
		}
		state[blockID] = map[string]any{actionID: entry}
	}
	for blockID, byAction := range values {
		if inputState, isInput := state[blockID]; isInput {
			for actionID := range byAction {
				if _, known := inputState[actionID]; !known {
					s.mu.Unlock()
					return Ack{}, fmt.Errorf("fakeslack: input block %s has no action_id %s", blockID, actionID)
				}
			}
		} else {
			if _, inView := findBlock(cur.Blocks, blockID); !inView {
				s.mu.Unlock()
				return Ack{}, fmt.Errorf("fakeslack: view %s has no block %s", viewID, blockID)
			}
			state[blockID] = byAction
		}
	}
	v := *cur
	v.State, v.JSON = state, nil
	v = s.storeViewLocked(v)
	p := map[string]any{
		"type":                  "view_submission",
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":                  s.payloadUserLocked(userID),
		"api_app_id":            AppID,
		"token":                 VerificationToken,
		"trigger_id":            s.issueTriggerLocked(userID),
		"view":                  viewJSON(v),
		"response_urls":         []any{},
		"is_enterprise_install": false,
		"enterprise":            s.enterpriseJSONLocked(),
	}
	s.mu.Unlock()

	ack, err := s.sendPayload(ctx, "interactive", true, p)
	if err != nil {
		return ack, err
	}
	s.applySubmissionResponse(userID, viewID, ack)
	return ack, nil
}

func findBlock(blocks []map[string]any, blockID string) (map[string]any, bool) {
	for _, b := range blocks {
		if b["block_id"] == blockID {
			return b, true
		}
	}
	return nil, false
}

func (s *Server) applySubmissionResponse(userID, viewID string, ack Ack) {
	var resp struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if len(ack.Payload) > 0 {
		_ = json.Unmarshal(ack.Payload, &resp)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pos := -1
	for i, id := range s.stacks[userID] {
		if id == viewID {
			pos = i
		}
	}
	if pos < 0 {
		return // closed meanwhile
	}
	const method = "view_submission"
	switch resp.ResponseAction {
	case "", "clear":
		if resp.ResponseAction == "clear" {
			pos = 0
		}
		s.closeStackLocked(userID, pos)
	case "errors":
		cur := s.views[viewID]
		var bad []string
		for blockID := range resp.Errors {
			if b, found := findBlock(cur.Blocks, blockID); !found || b["type"] != "input" {
				bad = append(bad, fmt.Sprintf("[ERROR] %q is not the block_id of an input block [json-pointer:/errors/%s]", blockID, blockID))
			}
		}
		if len(bad) > 0 {
			s.rejectLocked(method, "invalid_errors", bad)
		}
	case "update", "push":
		r := &apiRequest{method: method, json: map[string]any{}}
		var view any
		_ = json.Unmarshal(resp.View, &view)
		r.json["view"] = view
		before := len(s.rejections)
		obj, raw, rej := s.viewObjectLocked(method, r, "modal")
		if rej != nil {
			if len(s.rejections) == before { // not recorded yet (e.g. no view at all)
				e, _ := rej.body["error"].(string)
				s.rejectLocked(method, e, []string{"[ERROR] missing required field: view [json-pointer:/view]"})
			}
			return
		}
		if resp.ResponseAction == "update" {
			s.replaceViewLocked(*s.views[viewID], obj, raw)
			return
		}
		if len(s.stacks[userID]) >= maxModalStack {
			s.rejectLocked(method, "push_limit_reached", nil)
			return
		}
		nv := newViewVersion(obj, raw)
		nv.ID = fmt.Sprintf("V0FAKE%04d", s.nextIDLocked())
		nv.User, nv.Open = userID, true
		nv.Hash = s.newHashLocked()
		nv.RootViewID = s.stacks[userID][0]
		nv.PreviousViewID = viewID
		s.stacks[userID] = append(s.stacks[userID], nv.ID)
		s.storeViewLocked(nv)
	default:
		s.rejectLocked(method, "invalid_response_action", []string{"[ERROR] unknown response_action " + resp.ResponseAction})
	}
}

// CloseView closes userID's modal viewID (and any pushed above it) as if the
// user pressed Cancel. If the view asked for notify_on_close, a view_closed
// envelope is sent and its ack returned; otherwise the Ack is empty.
func (s *Server) CloseView(ctx context.Context, userID, viewID string) (Ack, error) {
	s.mu.Lock()
	pos := -1
	for i, id := range s.stacks[userID] {
		if id == viewID {
			pos = i
		}
	}
	if pos < 0 {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("fakeslack: view %s is not open for %s", viewID, userID)
	}
	v := *s.views[viewID]
	s.closeStackLocked(userID, pos)
	if !v.NotifyOnClose {
		s.mu.Unlock()
		return Ack{}, nil
	}
	p := map[string]any{
		"type":       "view_closed",
		"team":       map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":       s.payloadUserLocked(userID),
		"api_app_id": AppID,
		"token":      VerificationToken,
		"view":       viewJSON(v),
		"is_cleared": pos == 0,
	}
	s.mu.Unlock()
	return s.sendPayload(ctx, "interactive", false, p)
}

// SendEvent delivers an Events API event (the inner "event" object, e.g.
// {"type":"app_home_opened","user":"U1","tab":"home"}) wrapped in an
// event_callback, and waits for the ack.
func (s *Server) SendEvent(ctx context.Context, event map[string]any) (Ack, error) {
	s.mu.Lock()
	n := s.nextIDLocked()
	s.mu.Unlock()
	p := map[string]any{
		"token":      VerificationToken,
		"team_id":    TeamID,
		"api_app_id": AppID,
		"type":       "event_callback",
		"event":      event,
		"event_id":   fmt.Sprintf("Ev0FAKE%06d", n),
		"event_time": time.Now().Unix(),
	}
	return s.sendPayload(ctx, "events_api", false, p)
}
