package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// echoTrimmer is the transport of the bot's Slack client. chat.postMessage
// and chat.update answer with the whole message they stored, blocks and
// all, and slack-go decodes every block of it into typed structs, although
// the bot reads nothing but the channel and the ts. Under load that decoding
// was a fifth of the bot's CPU. echoTrimmer hands slack-go the answer
// without the echoed message; errors and anything it cannot read pass
// through untouched.
type echoTrimmer struct{ next http.RoundTripper }

func (t echoTrimmer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || !echoesMessage(req.URL.Path) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s answer: %w", req.URL.Path, err)
	}
	body = trimEcho(body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// echoesMessage reports whether the Web API method at path answers with the
// message it stored.
func echoesMessage(path string) bool {
	return strings.HasSuffix(path, "/chat.postMessage") || strings.HasSuffix(path, "/chat.update")
}

// sentMessage is what the bot reads of a chat.postMessage or chat.update
// answer (slack-go's chatResponseFull without the message).
type sentMessage struct {
	OK               bool            `json:"ok"`
	Channel          string          `json:"channel,omitempty"`
	TS               string          `json:"ts,omitempty"`
	Text             string          `json:"text,omitempty"`
	Warning          string          `json:"warning,omitempty"`
	ResponseMetadata json.RawMessage `json:"response_metadata,omitempty"`
}

// trimEcho returns an ok answer without its "message"; anything else as it came.
func trimEcho(body []byte) []byte {
	var m sentMessage
	if err := json.Unmarshal(body, &m); err != nil || !m.OK {
		return body
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
