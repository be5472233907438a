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
// sent them, byte for byte and as many at once as the flows ran, with
// nothing of the bot around them: no Socket Mode, no store, no SDK. It
// returns the CPU the test process spent doing it (client and servers both
// live here). That is the floor under the CPU of the flows: what their HTTP
// exchanges with these fakes cost on this machine whatever the bot does.
func replayWire(ctx context.Context, w *world, slack []fakeslack.Call, okta []fakeokta.Call, workers int) (time.Duration, error) {
	var reqs []func() (*http.Request, error)
	for _, c := range slack {
		if c.Method == "response_url" { // its address was one-off
			continue
		}
		reqs = append(reqs, func() (*http.Request, error) {
			r, err := http.NewRequestWithContext(ctx, http.MethodPost, w.slack.APIURL()+c.Method, bytes.NewReader(c.Body))
			if err != nil {
				return nil, err
			}
			r.Header.Set("Content-Type", c.ContentType)
			if c.Authorization != "" {
				r.Header.Set("Authorization", c.Authorization)
			}
			return r, nil
		})
	}
	for _, c := range okta {
		reqs = append(reqs, func() (*http.Request, error) {
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
			return r, nil
		})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * workers, MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	cpu := selfCPUTime()
	err := parallel(len(reqs), workers, func(i int) error {
		r, err := reqs[i]()
		if err != nil {
			return err
		}
		resp, err := client.Do(r)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode >= 300 {
			err = fmt.Errorf("%s %s: %s", r.Method, r.URL.Path, resp.Status)
		}
		return err
	})
	return selfCPUTime() - cpu, err
}
