package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakepagerduty"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestNoSecretInAnyOutput runs a full flow with failures along the way —
// PagerDuty down, Okta errors that quote the token back, a refused command,
// a Slack rate limit — and then looks for the configured tokens in
// everything accessbot put out: its log, every Slack message, modal and ack,
// every audit event in the store and in the JSON-lines file. None may appear.
// The store and the audit file must be private to their owner (0600).
func TestNoSecretInAnyOutput(t *testing.T) {
	e := startE2E(t)
	secrets := map[string]string{
		"slack.bot_token":     e.cfg.Slack.BotToken,
		"slack.app_token":     e.cfg.Slack.AppToken,
		"okta.api_token":      e.cfg.Okta.APIToken,
		"pagerduty.api_token": e.cfg.PagerDuty.APIToken,
	}
	for name, v := range secrets {
		if len(v) < 8 {
			t.Fatalf("%s %q is too short to search for", name, v)
		}
	}
	okta := e.sb.Okta
	e.slash(Alice, "/access", "help") // answered on the ack
	e.openModal(Carol, "db-prod")     // a modal, redrawn for the resource
	e.advance(2 * time.Second)        // past the on-call cache the modal filled

	e.sb.PagerDuty.FailNext("/oncalls", fakepagerduty.Fault{Status: 500, Times: 2}) // Alice's on-call check
	okta.FailNext("PUT", "/api/v1/groups/", fakeokta.Fault{Status: 500,
		ErrorSummary: "backend failure handling SSWS " + e.cfg.Okta.APIToken})
	e.sb.Slack.FailNext("chat.update", fakeslack.Fault{Status: 429, RetryAfter: time.Second})
	mark := e.sb.Slack.Mark()
	e.slash(Alice, "/access", "request aws-prod-read 1h INC-40 token hunt")
	bobDM, id := e.approvalDM(mark, Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	evs := e.wantTrail(id, access.EventRequested, access.EventApproved, access.EventProvisionFailed)
	if why := evs[2].Details["error"]; !strings.Contains(why, "[token]") {
		t.Errorf("the token Okta quoted back was not scrubbed into [token]: %q", why)
	}
	e.retryUntil(id, provisionNext, func(r *access.Request) bool { return r.State == access.StateActive })

	// Someone who may not revoke it tries; then Okta refuses the removal,
	// quoting the token again, before it works.
	rmark := e.sb.Slack.Mark()
	e.slash(Mallory, "/access", "revoke "+id)
	e.reply(rmark, Mallory, "Only the holder")
	okta.FailNext("DELETE", "/api/v1/groups/", fakeokta.Fault{Status: 403, ErrorCode: "E0000006",
		ErrorSummary: "You do not have permission; token " + e.cfg.Okta.APIToken})
	e.advance(time.Hour)
	e.waitFor("the failed removal", func() bool {
		r := e.request(id)
		return r.Grant.Removal != nil && r.Grant.Removal.Retry.Attempts == 1
	})
	e.retryUntil(id, removalNext, func(r *access.Request) bool { return r.State == access.StateExpired })
	e.waitMsg(mark, dm(Alice), "expired")

	// Everything accessbot put out, while running...
	outputs := map[string]string{"log": e.logs.String()}
	var b strings.Builder
	for _, m := range e.sb.Slack.MessageLog() {
		b.WriteString(m.RawText + "\n" + string(m.BlocksJSON) + "\n" + m.Text() + "\n")
	}
	outputs["slack messages"] = b.String()
	b.Reset()
	for _, v := range e.sb.Slack.ViewLog() {
		b.WriteString(string(v.JSON) + "\n" + v.Text() + "\n" + v.PrivateMetadata + "\n")
	}
	outputs["slack views"] = b.String()
	b.Reset()
	for _, a := range e.sb.Slack.Acks() {
		b.Write(a.Payload)
	}
	outputs["socket mode acks"] = b.String()
	events, err := e.m.Store().Events(e.ctx(), access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(events)
	outputs["audit events"] = string(raw)
	for _, ev := range events {
		for k, v := range ev.Details {
			if k == "error" && v != "" {
				outputs["errors"] += v + "\n"
			}
		}
	}
	if outputs["errors"] == "" {
		t.Fatal("the flow recorded no errors to search")
	}
	// ...and once it stopped.
	e.stop()
	mirror, err := os.ReadFile(e.cfg.Audit.Path)
	if err != nil {
		t.Fatal(err)
	}
	outputs["audit file"] = string(mirror)
	outputs["log"] = e.logs.String()

	for what, text := range outputs {
		if text == "" {
			t.Errorf("captured no %s", what)
		}
		for name, secret := range secrets {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s shows %s: …%s…", what, name, text[max(0, i-80):min(len(text), i+len(secret)+20)])
			}
		}
	}
	for _, path := range []string{e.cfg.Store.Path, e.cfg.Audit.Path} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(path), fi.Mode().Perm())
		}
	}
}

// TestDockerfileRunsAsNonRoot checks the image's last stage runs as an
// unprivileged user.
func TestDockerfileRunsAsNonRoot(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var user, from string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			from, user = f[1], "" // a new stage starts as root unless it says otherwise
		case "USER":
			user = f[1]
		}
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "" || name == "root" || name == "0" {
		t.Fatalf("the final stage (%s) runs as %q", from, user)
	}
	if !strings.Contains(from, "nonroot") {
		t.Errorf("final base image %s is not a nonroot variant", from)
	}
}
