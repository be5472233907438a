package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// replayWire sends the fakes the Web API and Okta requests that flows
// sent them, byte for byte, workers at a time, with nothing of the bot
// around them: no Socket Mode, no store, no SDK. It returns the CPU the
// test process spent doing it (client and servers both live here). That is
// the floor under the CPU of the flows: what their HTTP exchanges with
// these fakes cost on this machine whatever the bot does.
func replayWire(ctx context.Context, w *world, slack []fakeslack.Call, okta []fakeokta.Call, workers int) (time.Duration, error) {
	reqs, err := replayRequests(ctx, w, slack, okta)
	if err != nil {
		return 0, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	cpu := selfCPUTime()
	err = parallel(len(reqs), workers, func(i int) error {
		resp, err := client.Do(reqs[i])
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode >= 300 {
			err = fmt.Errorf("%s %s: %s", reqs[i].Method, reqs[i].URL.Path, resp.Status)
		}
		return err
	})
	return selfCPUTime() - cpu, err
}

// replayRequests builds the requests replayWire sends, each once.
func replayRequests(ctx context.Context, w *world, slack []fakeslack.Call, okta []fakeokta.Call) ([]*http.Request, error) {
	var reqs []*http.Request
	for _, c := range slack {
		if c.Method == "response_url" { // its address was one-off
			continue
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, w.slack.APIURL()+c.Method, bytes.NewReader(c.Body))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Type", c.ContentType)
		if c.Authorization != "" {
			r.Header.Set("Authorization", c.Authorization)
		}
		reqs = append(reqs, r)
	}
	for _, c := range okta {
		u := w.okta.URL() + c.Path
		if c.Query != "" {
			u += "?" + c.Query
		}
		var body io.Reader
		if len(c.Body) > 0 {
			body = bytes.NewReader(c.Body)
		}
		r, err := http.NewRequestWithContext(ctx, c.Method, u, body)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", "SSWS "+w.okta.Token())
		r.Header.Set("Accept", "application/json")
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}
