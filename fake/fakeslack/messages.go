package fakeslack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MessageKind tells how a Message came to be.
type MessageKind string

// Message kinds.
const (
	KindPosted      MessageKind = "posted"       // chat.postMessage
	KindUpdated     MessageKind = "updated"      // chat.update (a new version of a message)
	KindEphemeral   MessageKind = "ephemeral"    // chat.postEphemeral
	KindResponseURL MessageKind = "response_url" // a post to a response_url
	KindDeleted     MessageKind = "deleted"      // chat.delete or delete_original
	KindCommandAck  MessageKind = "command_ack"  // a message in a slash command's ack payload
)

// Message is one message, or one version of a message, as the bot sent it.
type Message struct {
	Kind MessageKind
	// Seq is the 1-based position in the server's message log.
	Seq     int
	Channel string
	// TS identifies the message (for ephemerals, the message_ts answered;
	// for a response_url post that replaced a message, that message's ts).
	TS       string
	ThreadTS string
	// User is the recipient of an ephemeral message, or the user whose
	// action produced the response_url.
	User string
	// Ephemeral is true for chat.postEphemeral and for response_url posts
	// that only the user sees.
	Ephemeral bool
	// RawText is the top-level "text" argument. See Text() for everything.
	RawText string
	// BlocksJSON is the blocks array exactly as sent (nil if none).
	BlocksJSON json.RawMessage
	// Blocks is the decoded blocks array, with the block_ids and action_ids
	// Slack fills in when the bot left them out.
	Blocks []map[string]any
	// Version counts updates: 0 for the original post.
	Version int
	// History holds the earlier versions, oldest first (set on values
	// returned by Messages and LastMessage).
	History []Message
	// Deleted is set on the current version of a deleted message.
	Deleted bool
	// Response URL details (Kind == KindResponseURL).
	ResponseURLID   string
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	Time            time.Time
}

// Text returns the message's text followed by every text found in its
// blocks (section text and fields, headers, context, button and option
// labels...), joined by newlines. Handy for asserting content.
func (m Message) Text() string {
	parts := []string{}
	if m.RawText != "" {
		parts = append(parts, m.RawText)
	}
	for _, b := range m.Blocks {
		collectText(b, &parts)
	}
	return strings.Join(parts, "\n")
}

// collectText appends every "text" string under v. Map keys are visited
// "text" first, then "fields", then alphabetically, so the result is stable
// and reads in display order for common blocks.
func collectText(v any, parts *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if t, isString := x["text"].(string); isString && t != "" {
			*parts = append(*parts, t)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		rank := func(k string) int {
			switch k {
			case "text":
				return 0
			case "fields":
				return 1
			}
			return 2
		}
		sort.Slice(keys, func(i, j int) bool {
			if rank(keys[i]) != rank(keys[j]) {
				return rank(keys[i]) < rank(keys[j])
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			collectText(x[k], parts)
		}
	case []any:
		for _, child := range x {
			collectText(child, parts)
		}
	}
}

// Button is an interactive button found in a message or view.
type Button struct {
	ActionID string
	BlockID  string
	Value    string
	Text     string
	Style    string
	URL      string
}

// Buttons returns the message's buttons in block order.
func (m Message) Buttons() []Button { return findButtons(m.Blocks) }

func findButtons(blocks []map[string]any) []Button {
	var out []Button
	for _, b := range blocks {
		blockID, _ := b["block_id"].(string)
		for _, el := range blockElements(b) {
			if el["type"] != "button" {
				continue
			}
			btn := Button{BlockID: blockID}
			btn.ActionID, _ = el["action_id"].(string)
			btn.Value, _ = el["value"].(string)
			btn.Style, _ = el["style"].(string)
			btn.URL, _ = el["url"].(string)
			if t, _ := el["text"].(map[string]any); t != nil {
				btn.Text, _ = t["text"].(string)
			}
			out = append(out, btn)
		}
	}
	return out
}

// Button returns the first button with the given action_id.
func (m Message) Button(actionID string) (Button, bool) {
	for _, b := range m.Buttons() {
		if b.ActionID == actionID {
			return b, true
		}
	}
	return Button{}, false
}

// messageStore is the part of Server holding messages.
type messageStore struct {
	msgLog       []Message                 // every post, update, ephemeral, response_url post
	msgs         map[string]*storedMessage // by channel+"|"+ts
	msgOrder     []*storedMessage
	responseURLs map[string]responseOrigin
}

type storedMessage struct {
	versions []Message
}

// latest is the current version, without the copy of History that
// current makes.
func (st *storedMessage) latest() *Message { return &st.versions[len(st.versions)-1] }

func (st *storedMessage) current() Message {
	m := st.versions[len(st.versions)-1]
	m.History = append([]Message(nil), st.versions[:len(st.versions)-1]...)
	return m
}

// responseOrigin is what a response_url refers to.
type responseOrigin struct {
	channel   string
	ts        string // message the action came from ("" for slash commands)
	user      string
	ephemeral bool // the action came from an ephemeral message
}

func (ms *messageStore) init() {
	ms.msgs = map[string]*storedMessage{}
	ms.responseURLs = map[string]responseOrigin{}
}

func msgKey(channel, ts string) string { return channel + "|" + ts }

func (s *Server) appendLogLocked(m Message) Message {
	m.Seq = len(s.msgLog) + 1
	m.Time = time.Now()
	s.msgLog = append(s.msgLog, m)
	s.notifyLocked()
	return m
}

// Messages returns the current version of every non-deleted message posted
// to channel, oldest first, each with its History.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, st := range s.msgOrder {
		if m := st.latest(); m.Channel == channel && !m.Deleted {
			out = append(out, st.current())
		}
	}
	return out
}

// LastMessage returns the current version of the most recently posted,
// non-deleted message in channel.
func (s *Server) LastMessage(channel string) (Message, bool) {
	msgs := s.Messages(channel)
	if len(msgs) == 0 {
		return Message{}, false
	}
	return msgs[len(msgs)-1], true
}

// MessageAt returns the current version of the message channel/ts.
func (s *Server) MessageAt(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, found := s.msgs[msgKey(channel, ts)]
	if !found {
		return Message{}, false
	}
	return st.current(), true
}

// WaitMessageAt waits until the message at channel and ts, as it stands
// (its latest update), matches pred, or ctx ends; it returns it as it last
// stood either way.
func (s *Server) WaitMessageAt(ctx context.Context, channel, ts string, pred func(Message) bool) (Message, error) {
	var cur Message
	err := s.waitFor(ctx, func() bool {
		st, found := s.msgs[msgKey(channel, ts)]
		if !found {
			return false
		}
		cur = st.current()
		return pred(cur)
	})
	if err != nil {
		s.mu.Lock()
		if st, found := s.msgs[msgKey(channel, ts)]; found {
			cur = st.current()
		}
		s.mu.Unlock()
	}
	return cur, err
}

// Ephemerals returns the ephemeral messages shown to user ("" for all),
// including ephemeral response_url posts, oldest first.
func (s *Server) Ephemerals(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgLog {
		if m.Ephemeral && (user == "" || m.User == user) {
			out = append(out, m)
		}
	}
	return out
}

// MessageLog returns every post, update, ephemeral, response_url post and
// deletion in order.
func (s *Server) MessageLog() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgLog...)
}

// Mark returns the current length of the message log, for WaitMessageAfter.
func (s *Server) Mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgLog)
}

// WaitMessage returns the first entry of the message log (a post, an update
// version, an ephemeral or a response_url post, see Message.Kind) that
// matches pred, waiting until one appears or ctx ends.
func (s *Server) WaitMessage(ctx context.Context, pred func(Message) bool) (Message, error) {
	return s.WaitMessageAfter(ctx, 0, pred)
}

// WaitMessageAfter is WaitMessage ignoring the first mark entries of the
// log (see Mark): it only sees what was sent after the mark was taken.
func (s *Server) WaitMessageAfter(ctx context.Context, mark int, pred func(Message) bool) (Message, error) {
	var found Message
	err := s.waitFor(ctx, func() bool {
		for _, m := range s.msgLog[min(mark, len(s.msgLog)):] {
			if pred(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found, err
}

// WaitEphemeral is WaitMessage restricted to ephemeral messages.
func (s *Server) WaitEphemeral(ctx context.Context, pred func(Message) bool) (Message, error) {
	return s.WaitMessage(ctx, func(m Message) bool { return m.Ephemeral && pred(m) })
}

// ResponseURL registers a response URL with the given id and returns it
// ("http://127.0.0.1:PORT/response/<id>"). Posts to it are recorded as
// KindResponseURL messages. Payloads sent by the fake get their own.
func (s *Server) ResponseURL(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responseURLs[id] = responseOrigin{}
	return s.hs.URL + "/response/" + id
}

func (s *Server) newResponseURLLocked(o responseOrigin) string {
	id := "r" + strconv.FormatInt(s.nextIDLocked(), 10)
	s.responseURLs[id] = o
	return s.hs.URL + "/response/" + id
}

// messageContent is the text and blocks of a post, after validation.
type messageContent struct {
	text       string
	blocksJSON json.RawMessage
	blocks     []map[string]any
	hasBlocks  bool
}

// parseContentLocked reads text and blocks (a JSON string in forms, an
// array in JSON bodies) and applies Slack's checks. A non-nil *apiResult is
// the rejection to answer; it is recorded in s.rejections.
func (s *Server) parseContentLocked(method string, r *apiRequest) (messageContent, *apiResult) {
	var c messageContent
	c.text = r.str("text")
	if utf8.RuneCountInString(c.text) > maxMessageText {
		res := s.rejectLocked(method, "msg_too_long", nil)
		return c, &res
	}
	var raw json.RawMessage
	if b := r.form.Get("blocks"); b != "" {
		raw = json.RawMessage(b)
	} else if b, present := r.json["blocks"]; present && b != nil {
		// Re-encoded and decoded afresh, so that assigning ids leaves the
		// recorded request as it was.
		var err error
		if raw, err = json.Marshal(b); err != nil {
			raw = nil
		}
	}
	if raw != nil {
		var blocks []any
		if err := json.Unmarshal(raw, &blocks); err != nil {
			res := s.rejectLocked(method, "invalid_blocks_format", []string{"[ERROR] blocks must be a JSON array [json-pointer:/blocks]"})
			return c, &res
		}
		if errs := validateMessageBlocks(blocks); len(errs) > 0 {
			res := s.rejectLocked(method, "invalid_blocks", errs)
			return c, &res
		}
		assignIDs(blocks)
		c.blocksJSON = raw
		c.blocks = toMaps(blocks)
		c.hasBlocks = true
	}
	return c, nil
}

func toMaps(blocks []any) []map[string]any {
	out := make([]map[string]any, 0, len(blocks))
	for _, b := range blocks {
		if m, _ := b.(map[string]any); m != nil {
			out = append(out, m)
		}
	}
	return out
}

func messageJSON(m Message) map[string]any {
	j := map[string]any{
		"type":   "message",
		"user":   BotUserID,
		"bot_id": BotID,
		"app_id": AppID,
		"team":   TeamID,
		"text":   m.RawText,
		"ts":     m.TS,
	}
	if m.Blocks != nil {
		j["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		j["thread_ts"] = m.ThreadTS
	}
	return j
}

// resolveChannel maps a user id given as channel to its DM channel, as
// Slack does.
func resolveChannel(ch string) string {
	if strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W") {
		return "D" + ch
	}
	return ch
}

func (s *Server) chatPostMessage(r *apiRequest) apiResult {
	channel := resolveChannel(r.str("channel"))
	if channel == "" {
		return fail("channel_not_found")
	}
	c, rej := s.parseContentLocked(r.method, r)
	if rej != nil {
		return *rej
	}
	if c.text == "" && !c.hasBlocks && r.str("attachments") == "" {
		return s.rejectLocked(r.method, "no_text", nil)
	}
	m := Message{
		Kind:       KindPosted,
		Channel:    channel,
		TS:         s.nextTSLocked(),
		ThreadTS:   r.str("thread_ts"),
		RawText:    c.text,
		BlocksJSON: c.blocksJSON,
		Blocks:     c.blocks,
	}
	m = s.appendLogLocked(m)
	st := &storedMessage{versions: []Message{m}}
	s.msgs[msgKey(channel, m.TS)] = st
	s.msgOrder = append(s.msgOrder, st)
	return ok(map[string]any{"channel": channel, "ts": m.TS, "message": messageJSON(m)})
}

func (s *Server) chatUpdate(r *apiRequest) apiResult {
	channel := resolveChannel(r.str("channel"))
	st, found := s.msgs[msgKey(channel, r.str("ts"))]
	if !found || st.latest().Deleted {
		return fail("message_not_found")
	}
	c, rej := s.parseContentLocked(r.method, r)
	if rej != nil {
		return *rej
	}
	prev := st.versions[len(st.versions)-1]
	m := prev
	m.Kind = KindUpdated
	m.Version = prev.Version + 1
	m.RawText = c.text
	if c.hasBlocks { // omitted blocks are kept, as in Slack
		m.BlocksJSON, m.Blocks = c.blocksJSON, c.blocks
	}
	if m.RawText == "" && m.Blocks == nil && r.str("attachments") == "" {
		return s.rejectLocked(r.method, "no_text", nil)
	}
	m = s.appendLogLocked(m)
	st.versions = append(st.versions, m)
	return ok(map[string]any{"channel": channel, "ts": m.TS, "text": m.RawText, "message": messageJSON(m)})
}

func (s *Server) chatDelete(r *apiRequest) apiResult {
	channel := resolveChannel(r.str("channel"))
	st, found := s.msgs[msgKey(channel, r.str("ts"))]
	if !found || st.latest().Deleted {
		return fail("message_not_found")
	}
	s.deleteLocked(st, KindDeleted)
	return ok(map[string]any{"channel": channel, "ts": r.str("ts")})
}

func (s *Server) deleteLocked(st *storedMessage, kind MessageKind) {
	m := st.versions[len(st.versions)-1]
	m.Kind = kind
	m.Version++
	m.Deleted = true
	m = s.appendLogLocked(m)
	st.versions = append(st.versions, m)
}

func (s *Server) chatPostEphemeral(r *apiRequest) apiResult {
	channel := resolveChannel(r.str("channel"))
	if channel == "" {
		return fail("channel_not_found")
	}
	user := r.str("user")
	if _, known := s.users[user]; !known {
		return fail("user_not_in_channel")
	}
	c, rej := s.parseContentLocked(r.method, r)
	if rej != nil {
		return *rej
	}
	if c.text == "" && !c.hasBlocks && r.str("attachments") == "" {
		return s.rejectLocked(r.method, "no_text", nil)
	}
	m := s.appendLogLocked(Message{
		Kind:       KindEphemeral,
		Channel:    channel,
		TS:         s.nextTSLocked(),
		ThreadTS:   r.str("thread_ts"),
		User:       user,
		Ephemeral:  true,
		RawText:    c.text,
		BlocksJSON: c.blocksJSON,
		Blocks:     c.blocks,
	})
	return ok(map[string]any{"message_ts": m.TS})
}

// handleResponseURL serves POSTs to response URLs. Like Slack it applies
// replace_original / delete_original to the message the action came from,
// posts in_channel responses as new messages, and shows the rest
// ephemerally to the user.
func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	raw, _ := io.ReadAll(r.Body)
	req := &apiRequest{method: "response_url", raw: raw}
	_ = json.Unmarshal(raw, &req.json) // not an object: nil, and answered as no_text below
	call := Call{Method: "response_url", Time: time.Now(), ContentType: r.Header.Get("Content-Type"),
		Authorization: r.Header.Get("Authorization"), Body: raw, JSON: req.json}

	res, faulted := s.applyFault(r.Context(), "response_url")
	s.mu.Lock()
	if !faulted {
		res = s.serveResponseURLLocked(id, req)
	}
	call.Status = res.status
	call.Error, _ = res.body["error"].(string)
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, res)
}

func (s *Server) serveResponseURLLocked(id string, req *apiRequest) apiResult {
	origin, known := s.responseURLs[id]
	if !known {
		return apiResult{status: http.StatusNotFound, body: map[string]any{"ok": false, "error": "invalid_response_url"}}
	}
	if req.json == nil {
		return fail("invalid_payload")
	}
	flag := func(name string) bool {
		switch v := req.json[name].(type) {
		case bool:
			return v
		case string:
			return v == "true"
		}
		return false
	}
	m := Message{
		Kind:            KindResponseURL,
		Channel:         origin.channel,
		User:            origin.user,
		ResponseURLID:   id,
		ResponseType:    req.str("response_type"),
		ReplaceOriginal: flag("replace_original"),
		DeleteOriginal:  flag("delete_original"),
		ThreadTS:        req.str("thread_ts"),
	}
	original := s.msgs[msgKey(origin.channel, origin.ts)]
	if m.DeleteOriginal {
		if original != nil && !original.latest().Deleted {
			s.deleteLocked(original, KindResponseURL)
		}
		return ok(nil)
	}
	c, rej := s.parseContentLocked(req.method, req)
	if rej != nil {
		return *rej
	}
	m.RawText, m.BlocksJSON, m.Blocks = c.text, c.blocksJSON, c.blocks
	switch {
	case m.ReplaceOriginal && original != nil && !origin.ephemeral:
		prev := original.versions[len(original.versions)-1]
		m.TS, m.Version, m.ThreadTS = prev.TS, prev.Version+1, prev.ThreadTS
		m = s.appendLogLocked(m)
		original.versions = append(original.versions, m)
	case m.ResponseType == "in_channel" && !m.ReplaceOriginal:
		m.TS = s.nextTSLocked()
		m = s.appendLogLocked(m)
		st := &storedMessage{versions: []Message{m}}
		s.msgs[msgKey(m.Channel, m.TS)] = st
		s.msgOrder = append(s.msgOrder, st)
	default:
		m.TS = origin.ts
		if m.TS == "" || !m.ReplaceOriginal {
			m.TS = s.nextTSLocked()
		}
		m.Ephemeral = true
		s.appendLogLocked(m)
	}
	return ok(nil)
}
