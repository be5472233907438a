package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Envelope is a Socket Mode envelope sent to the app.
type Envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"` // "slash_commands", "interactive", "events_api"
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	Payload                json.RawMessage `json:"payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason"`
}

// Ack is the app's acknowledgement of an envelope.
type Ack struct {
	// Envelope is what was sent (use it with Redeliver).
	Envelope Envelope
	// Payload is the ack's "payload" (nil when the app acked without one).
	Payload json.RawMessage
	// Latency is the time from writing the envelope to reading the ack.
	Latency time.Duration
}

// Decode unmarshals the ack payload into v.
func (a Ack) Decode(v any) error {
	if len(a.Payload) == 0 {
		return errors.New("fakeslack: ack has no payload")
	}
	return json.Unmarshal(a.Payload, v)
}

// ResponseAction returns the payload's response_action ("" if none).
func (a Ack) ResponseAction() string {
	var p struct {
		ResponseAction string `json:"response_action"`
	}
	_ = json.Unmarshal(a.Payload, &p)
	return p.ResponseAction
}

// Errors returns the payload's "errors" map (response_action "errors").
func (a Ack) Errors() map[string]string {
	var p struct {
		Errors map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(a.Payload, &p)
	return p.Errors
}

// AckRecord is one ack frame read from the app.
type AckRecord struct {
	EnvelopeID string
	Payload    json.RawMessage
	Time       time.Time
	// Expected is false for an ack nobody was waiting for (unknown envelope
	// id, or a second ack of the same envelope).
	Expected bool
}

type ackFrame struct {
	payload json.RawMessage
	at      time.Time
}

// socketState is the part of Server handling Socket Mode.
type socketState struct {
	tickets      map[string]bool
	conns        []*wsConn // live connections, oldest first
	connCount    int
	pongs        int
	failOpen     int
	failOpenCode string
	waiters      map[string][]chan ackFrame
	acks         []AckRecord
	latencies    []time.Duration
	sent         []Envelope
	router       Router           // nil: the newest connection (spread.go)
	deliveredTo  map[string][]int // envelope id -> connection ids, per delivery
}

func (ss *socketState) init() {
	ss.tickets = map[string]bool{}
	ss.waiters = map[string][]chan ackFrame{}
	ss.deliveredTo = map[string][]int{}
}

type wsConn struct {
	id        int // 1, 2, … in the order connections opened
	ws        *websocket.Conn
	writeMu   sync.Mutex
	done      chan struct{}
	closeOnce sync.Once
}

func (c *wsConn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

func (c *wsConn) write(frame []byte) error {
	_, err := c.writeAt(frame)
	return err
}

// writeAt writes frame and returns when the write began: after waiting for
// other writers, so that an ack's latency counts only the app's time.
func (c *wsConn) writeAt(frame []byte) (time.Time, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	at := time.Now()
	_ = c.ws.SetWriteDeadline(at.Add(5 * time.Second))
	return at, c.ws.WriteMessage(websocket.TextMessage, frame)
}

var upgrader = websocket.Upgrader{
	// slack-go dials with "Origin: https://api.slack.com".
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) appsConnectionsOpen(r *apiRequest) apiResult {
	if s.failOpen > 0 {
		s.failOpen--
		if s.failOpenCode == "" {
			return apiResult{status: http.StatusInternalServerError, body: map[string]any{"ok": false, "error": "internal_error"}}
		}
		return fail(s.failOpenCode)
	}
	ticket := "tk" + strconv.FormatInt(s.nextIDLocked(), 10)
	s.tickets[ticket] = true
	host := strings.TrimPrefix(s.hs.URL, "http://")
	return ok(map[string]any{"url": "ws://" + host + "/link/?ticket=" + ticket + "&app_id=" + AppID})
}

// FailConnectionsOpen makes the next n apps.connections.open calls fail:
// with {"ok":false,"error":errCode}, or HTTP 500 when errCode is "".
// (slack-go gives up for good on invalid_auth, account_inactive,
// not_authed and token_revoked, and retries with backoff otherwise.)
func (s *Server) FailConnectionsOpen(n int, errCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failOpen, s.failOpenCode = n, errCode
}

func (s *Server) handleSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	if valid {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	defer s.wg.Done()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.logf("websocket upgrade: %v", err)
		return
	}
	c := &wsConn{ws: ws, done: make(chan struct{})}
	ws.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.pongs++
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	})

	// Slack says hello before anything else, so the connection only becomes
	// a target for envelopes once the hello is written.
	s.mu.Lock()
	live := len(s.conns) + 1
	s.mu.Unlock()
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": live,
		"debug_info":      map[string]any{"host": "fakeslack", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": AppID},
	})
	if err := c.write(hello); err != nil {
		c.close()
		return
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	s.connCount++
	c.id = s.connCount
	s.conns = append(s.conns, c)
	s.wg.Add(1)
	s.notifyLocked()
	s.mu.Unlock()
	s.logf("socket connection opened (%d live)", live)

	go s.pingLoop(c)
	s.readLoop(c)
	c.close()
	s.removeConn(c)
}

// pingLoop sends a PING control frame at once and then every PingInterval;
// slack-go drops connections that go a whole ping interval without one.
func (s *Server) pingLoop(c *wsConn) {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
			return
		}
		select {
		case <-t.C:
		case <-c.done:
			return
		}
	}
}

// readLoop reads the app's frames. Each ack is timestamped as it is read
// and recorded by a second goroutine, in order, so that a busy server (its
// lock held by Web API calls) does not delay reading the acks behind it and
// inflate their latency.
func (s *Server) readLoop(c *wsConn) {
	type read struct {
		data []byte
		at   time.Time
	}
	frames := make(chan read, 1024)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		for f := range frames {
			s.recordAck(f.data, f.at)
		}
	}()
	defer func() { close(frames); <-recorded }()
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.TextMessage {
			frames <- read{data, time.Now()}
		}
	}
}

// recordAck hands an ack read at now to whoever waits for it and records it.
func (s *Server) recordAck(data []byte, now time.Time) {
	var frame struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &frame); err != nil || frame.EnvelopeID == "" {
		s.logf("unexpected frame from app: %s", data)
		return
	}
	s.mu.Lock()
	rec := AckRecord{EnvelopeID: frame.EnvelopeID, Payload: frame.Payload, Time: now}
	if ws := s.waiters[frame.EnvelopeID]; len(ws) > 0 {
		ws[0] <- ackFrame{payload: frame.Payload, at: now}
		s.waiters[frame.EnvelopeID] = ws[1:]
		if len(ws) == 1 {
			delete(s.waiters, frame.EnvelopeID)
		}
		rec.Expected = true
	}
	s.acks = append(s.acks, rec)
	s.notifyLocked()
	s.mu.Unlock()
	s.logf("ack %s %s", frame.EnvelopeID, frame.Payload)
}

func (s *Server) removeConn(c *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			s.notifyLocked()
			return
		}
	}
}

// Connected reports whether at least one Socket Mode connection is live.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns) > 0
}

// WaitConnected waits until a Socket Mode connection is live.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return len(s.conns) > 0 })
}

// WaitConnectionCount waits until n connections were accepted in total and
// one is live: handy after Disconnect or DropConnections.
func (s *Server) WaitConnectionCount(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.connCount >= n && len(s.conns) > 0 })
}

// ConnectionCount returns how many Socket Mode connections were accepted
// over the server's life (reconnects included).
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connCount
}

// Pongs returns how many PONG frames the app sent back.
func (s *Server) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

// WaitPongs waits until the app has answered n PINGs in total.
func (s *Server) WaitPongs(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.pongs >= n })
}

// Disconnect sends {"type":"disconnect","reason":reason} to every live
// connection, as Slack does before rotating them; slack-go then reconnects.
func (s *Server) Disconnect(reason string) {
	frame, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "fakeslack"},
	})
	for _, c := range s.liveConns() {
		_ = c.write(frame)
	}
}

// DropConnections closes every live connection abruptly (no close frame).
func (s *Server) DropConnections() {
	for _, c := range s.liveConns() {
		c.close()
		s.removeConn(c)
	}
}

func (s *Server) liveConns() []*wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*wsConn(nil), s.conns...)
}

// SendRaw writes frame as is to the newest live connection.
func (s *Server) SendRaw(frame []byte) error {
	conns := s.liveConns()
	if len(conns) == 0 {
		return errors.New("fakeslack: no socket mode connection")
	}
	return conns[len(conns)-1].write(frame)
}

// Send delivers env to one live connection (waiting for one if the app is
// reconnecting): the newest, unless SetRouter chose another rule. It
// waits for the ack. An empty EnvelopeID is filled
// in. It fails when ctx ends first.
func (s *Server) Send(ctx context.Context, env Envelope) (Ack, error) {
	if env.EnvelopeID == "" {
		s.mu.Lock()
		env.EnvelopeID = s.newEnvelopeIDLocked()
		s.mu.Unlock()
	}
	frame, err := json.Marshal(env)
	if err != nil {
		return Ack{}, err
	}
	ch := make(chan ackFrame, 1)
	s.mu.Lock()
	s.waiters[env.EnvelopeID] = append(s.waiters[env.EnvelopeID], ch)
	s.mu.Unlock()

	var sentAt time.Time
	var via int // the connection written to
	for {
		if err := s.WaitConnected(ctx); err != nil {
			s.dropWaiter(env.EnvelopeID, ch)
			return Ack{Envelope: env}, fmt.Errorf("fakeslack: envelope %s (%s): waiting for a connection: %w", env.EnvelopeID, env.Type, err)
		}
		conns := s.liveConns()
		if len(conns) == 0 {
			continue
		}
		c := s.route(env, conns)
		if sentAt, err = c.writeAt(frame); err != nil {
			c.close()
			s.removeConn(c)
			continue
		}
		via = c.id
		break
	}
	s.mu.Lock()
	s.sent = append(s.sent, env)
	s.deliveredTo[env.EnvelopeID] = append(s.deliveredTo[env.EnvelopeID], via)
	s.mu.Unlock()
	s.logf("sent %s envelope %s", env.Type, env.EnvelopeID)

	select {
	case a := <-ch:
		lat := a.at.Sub(sentAt)
		s.mu.Lock()
		s.latencies = append(s.latencies, lat)
		s.mu.Unlock()
		return Ack{Envelope: env, Payload: a.payload, Latency: lat}, nil
	case <-ctx.Done():
		s.dropWaiter(env.EnvelopeID, ch)
		return Ack{Envelope: env}, fmt.Errorf("fakeslack: no ack for envelope %s (%s): %w", env.EnvelopeID, env.Type, ctx.Err())
	}
}

// Redeliver sends env again with the same envelope_id, as Slack does when it
// thinks an envelope was lost, and waits for the new ack.
func (s *Server) Redeliver(ctx context.Context, env Envelope) (Ack, error) {
	return s.Send(ctx, env)
}

func (s *Server) dropWaiter(id string, ch chan ackFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.waiters[id]
	for i, x := range ws {
		if x == ch {
			s.waiters[id] = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(s.waiters[id]) == 0 {
		delete(s.waiters, id)
	}
}

func (s *Server) newEnvelopeIDLocked() string {
	n := s.nextIDLocked()
	return fmt.Sprintf("3f1c2a9e-0000-4000-8000-%012d", n)
}

// AckLatencies returns the latency of every awaited ack, in order.
func (s *Server) AckLatencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.latencies...)
}

// Acks returns every ack frame the app sent, expected or not.
func (s *Server) Acks() []AckRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AckRecord(nil), s.acks...)
}

// SentEnvelopes returns every envelope delivered, in order.
func (s *Server) SentEnvelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.sent...)
}
