package main

// End-to-end tests of issue 5: the audit trail event by event, the JSON-lines
// mirror after a crash, `accessbot audit export`, the audit channel and the
// App Home.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store"
	"github.com/accessbot/accessbot/workflow"
)

// audWant is what one audit event must say; actor nil is the bot itself.
type audWant struct {
	typ     access.EventType
	actor   *SandboxPerson
	details map[string]string // a subset of the event's details
}

// audTrail waits until request id's audit trail has len(want) events and
// checks them one by one: type, actor, subject, resource, request id and
// details. It returns the events.
func (e *e2e) audTrail(id, resource string, subject SandboxPerson, want ...audWant) []access.Event {
	e.t.Helper()
	var got []access.Event
	e.waitFor("the audit trail of "+id, func() bool {
		got = got[:0]
		evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.RequestID == id {
				got = append(got, ev)
			}
		}
		return len(got) >= len(want)
	})
	if len(got) != len(want) {
		e.t.Fatalf("audit trail of %s has %d events, want %d: %+v", id, len(got), len(want), got)
	}
	for i, w := range want {
		ev := got[i]
		actor := access.System
		if w.actor != nil {
			actor = access.User{SlackID: w.actor.SlackID, Email: w.actor.Email}
		}
		switch {
		case ev.Type != w.typ:
			e.t.Errorf("event %d of %s is %s, want %s", i+1, id, ev.Type, w.typ)
		case w.actor == nil && ev.Actor != access.System:
			e.t.Errorf("%s: actor %+v, want the bot", ev.Type, ev.Actor)
		case w.actor != nil && (ev.Actor.SlackID != actor.SlackID || ev.Actor.Email != actor.Email):
			e.t.Errorf("%s: actor %+v, want %s", ev.Type, ev.Actor, w.actor.Name)
		case ev.Subject.SlackID != subject.SlackID || ev.Subject.Email != subject.Email:
			e.t.Errorf("%s: subject %+v, want %s", ev.Type, ev.Subject, subject.Name)
		case ev.ResourceID != resource || ev.RequestID != id:
			e.t.Errorf("%s: resource %q request %q, want %q %q", ev.Type, ev.ResourceID, ev.RequestID, resource, id)
		case ev.Time.IsZero() || ev.Seq == 0:
			e.t.Errorf("%s: no time or seq: %+v", ev.Type, ev)
		}
		for k, v := range w.details {
			if ev.Details[k] != v {
				e.t.Errorf("%s: detail %s = %q, want %q (details %v)", ev.Type, k, ev.Details[k], v, ev.Details)
			}
		}
	}
	return got
}

// audGapless fails unless the whole audit trail is numbered 1..n in order,
// and returns it.
func (e *e2e) audGapless() []access.Event {
	e.t.Helper()
	evs, err := e.m.Store().Events(context.Background(), access.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			e.t.Fatalf("audit event %d has seq %d: the trail has a gap or is out of order", i+1, ev.Seq)
		}
	}
	return evs
}

func TestAuditTrailApproveProvisionExpire(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	id, bobDM := e.ask(Alice, "db-prod 4h INC-42 disk full", Bob)
	start := e.sb.Clock.Now()
	e.advance(90 * time.Second)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	e.waitMsg(mark, SandboxAuditChannel, "Granted", "<@U0ALICE>", "Production database", id, "approved by <@U0BOB>", "INC-42 disk full")
	e.advance(4 * time.Hour)
	e.waitState(id, access.StateExpired)
	e.waitMsg(mark, dm(Alice), "expired")

	evs := e.audTrail(id, "db-prod", Alice,
		audWant{access.EventRequested, &Alice, map[string]string{"duration": "4h", "reason": "INC-42 disk full", "approvers": "bob@example.com,carol@example.com"}},
		audWant{access.EventApproved, &Bob, map[string]string{"approvals": "1", "required": "1", access.DetailRequestedAt: start.UTC().Format(time.RFC3339Nano)}},
		audWant{access.EventProvisioned, nil, map[string]string{"target": "group " + SandboxGroupDB}},
		audWant{access.EventRemovalStarted, nil, map[string]string{"outcome": "expired"}},
		audWant{access.EventExpired, nil, map[string]string{"target": "group " + SandboxGroupDB}},
	)
	if !evs[0].Time.Equal(start) || !evs[1].Time.Equal(start.Add(90*time.Second)) || !evs[4].Time.Equal(start.Add(90*time.Second+4*time.Hour)) {
		t.Errorf("event times %v, %v, %v do not follow the clock", evs[0].Time, evs[1].Time, evs[4].Time)
	}
	if got := evs[2].Details["expires_at"]; got != start.Add(90*time.Second+4*time.Hour).UTC().Format(time.RFC3339) {
		t.Errorf("provisioned expires_at = %q", got)
	}
	e.audGapless()
	// Routine expiry stays in the trail; the channel heard the grant only.
	for _, m := range e.posted(mark, SandboxAuditChannel) {
		if containsAll(m.Text(), "expired") {
			t.Errorf("expiry announced: %s", oneLine(m.Text()))
		}
	}
	e.noRejections()
}

func TestAuditTrailRefusalAndDenial(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	id, bobDM := e.ask(Alice, "db-prod 1h schema migration", Bob)
	carolDM, _ := e.approvalDM(mark, Carol)

	// Mallory approves nothing: the click is refused and audited.
	e.click(Mallory, bobDM, bot.ActionApprove)
	e.reply(mark, Mallory, "not an approver")

	e.click(Carol, carolDM, bot.ActionDeny)
	modal, err := e.sb.Slack.WaitView(e.ctx(), func(v fakeslack.View) bool {
		return v.User == Carol.SlackID && v.Open && v.CallbackID == bot.CallbackDeny
	})
	if err != nil {
		t.Fatalf("no deny modal: %v", err)
	}
	values := map[string]map[string]any{bot.BlockDenyReason: {bot.ActionReasonInput: fakeslack.TextValue("change freeze")}}
	if _, err := e.sb.Slack.SubmitView(e.ctx(), Carol.SlackID, modal.ID, values); err != nil {
		t.Fatal(err)
	}
	e.waitState(id, access.StateDenied)
	e.waitMsg(mark, SandboxAuditChannel, "Denied", "<@U0CAROL> denied <@U0ALICE>", id, "change freeze", "schema migration")

	e.audTrail(id, "db-prod", Alice,
		audWant{access.EventRequested, &Alice, map[string]string{"duration": "1h", "reason": "schema migration"}},
		audWant{access.EventRefused, &Mallory, map[string]string{"action": "approve", "code": access.EFORBIDDEN}},
		audWant{access.EventDenied, &Carol, map[string]string{"reason": "change freeze"}},
	)
	e.audGapless()
	e.noRejections()
}

// audMirror returns the complete lines of the audit mirror file and whether
// a partial line follows them.
func audMirror(t *testing.T, path string) (lines []string, partial bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	text := string(data)
	if i := strings.LastIndexByte(text, '\n'); i < len(text)-1 {
		partial, text = true, text[:i+1]
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n"), partial
}

// audMirrorEqualsStore waits until the mirror holds the whole trail and
// checks it line by line against the store's events.
func (e *e2e) audMirrorEqualsStore() int {
	e.t.Helper()
	path := e.cfg.Audit.Path
	var lines []string
	var evs []access.Event
	e.waitFor("the audit mirror to catch up", func() bool {
		var partial bool
		lines, partial = audMirror(e.t, path)
		evs = e.audGapless()
		return !partial && len(lines) == len(evs) && len(evs) > 0
	})
	for i, ev := range evs {
		want, err := json.Marshal(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		if lines[i] != string(want) {
			e.t.Fatalf("mirror line %d differs from the store:\n got %s\nwant %s", i+1, lines[i], want)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		e.t.Fatalf("mirror file mode: %v %v", fi.Mode(), err)
	}
	return len(evs)
}

func TestAuditMirrorCatchesUpAfterACrash(t *testing.T) {
	e := startE2E(t)
	id, bobDM := e.ask(Alice, "db-prod 4h INC-7", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(id, access.StateActive)
	n := e.audMirrorEqualsStore()
	e.stop()

	// A crash between commit and file write: the last events are in the
	// store but not in the file, whose last line was cut half-way; one more
	// event was committed after the mirror stopped writing.
	path := e.cfg.Audit.Path
	lines, _ := audMirror(t, path)
	kept := strings.Join(lines[:len(lines)-2], "\n") + "\n" + lines[len(lines)-2][:20]
	if err := os.WriteFile(path, []byte(kept), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(e.cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	late := access.Event{Time: e.sb.Clock.Now(), Type: access.EventRefused, Actor: access.User{SlackID: Mallory.SlackID, Email: Mallory.Email},
		Subject: access.User{SlackID: Alice.SlackID, Email: Alice.Email}, ResourceID: "db-prod", RequestID: id,
		Details: map[string]string{"action": "revoke", "why": "not allowed"}}
	if err := st.Append(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	e.start()
	if got := e.audMirrorEqualsStore(); got != n+1 {
		t.Fatalf("mirror has %d events after the restart, want %d", got, n+1)
	}
}

// audExport runs `accessbot audit export` with args and returns its output.
func (e *e2e) audExport(configPath string, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code = Command(e.ctx(), append([]string{"audit", "export", "--config", configPath}, args...), &out, &errb, func(string) string { return "" })
	return out.String(), errb.String(), code
}

// audJSONL decodes export output in JSON lines.
func audJSONL(t *testing.T, out string) []access.Event {
	t.Helper()
	var evs []access.Event
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var ev access.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestAuditExportFiltersWhileRunningAndStopped(t *testing.T) {
	e := startE2E(t)
	ctx, wf := e.ctx(), e.m.Workflow()
	// Alice's request, approved; an hour later Dave's, denied.
	t1 := e.sb.Clock.Now()
	a, err := wf.Submit(ctx, Alice.SlackID, workflow.RequestInput{ResourceID: "db-prod", Duration: "4h", Reason: "INC-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wf.Approve(ctx, Bob.SlackID, a.ID); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour)
	t2 := e.sb.Clock.Now()
	d, err := wf.Submit(ctx, Dave.SlackID, workflow.RequestInput{ResourceID: "grafana-admin", Duration: "1h", Reason: "dashboards"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wf.Deny(ctx, Carol.SlackID, d.ID, "not needed"); err != nil {
		t.Fatal(err)
	}
	total := e.audMirrorEqualsStore()
	cfgPath := filepath.Join(t.TempDir(), "accessbot.yaml")
	if err := os.WriteFile(cfgPath, []byte(e.sb.ConfigYAML("")), 0o600); err != nil {
		t.Fatal(err)
	}

	since, until := t2.Format(time.RFC3339Nano), t2.Format(time.RFC3339Nano)
	cases := []struct {
		name  string
		args  []string
		check func(ev access.Event) bool
		n     int
	}{
		{"everything", nil, func(access.Event) bool { return true }, total},
		{"since", []string{"--since", since}, func(ev access.Event) bool { return !ev.Time.Before(t2) && ev.RequestID == d.ID }, 2},
		{"until", []string{"--until", until}, func(ev access.Event) bool { return ev.Time.Before(t2) && ev.RequestID == a.ID }, 3},
		{"user", []string{"--user", "DAVE@example.com"}, func(ev access.Event) bool { return ev.Subject.Email == Dave.Email }, 2},
		{"user as actor", []string{"--user", Bob.Email, "--since", t1.Format(time.RFC3339Nano)}, func(ev access.Event) bool { return ev.Actor.Email == Bob.Email }, 1},
		{"resource", []string{"--resource", "grafana-admin"}, func(ev access.Event) bool { return ev.ResourceID == "grafana-admin" }, 2},
	}
	outputs := map[string]string{}
	runAll := func(source string) {
		t.Helper()
		for _, c := range cases {
			out, stderr, code := e.audExport(cfgPath, c.args...)
			if code != exitOK || !strings.Contains(stderr, source) {
				t.Fatalf("%s: exit %d, stderr %q; want 0 and a note that it read the %s", c.name, code, stderr, source)
			}
			evs := audJSONL(t, out)
			if len(evs) != c.n {
				t.Fatalf("%s (%s): %d events, want %d:\n%s", c.name, source, len(evs), c.n, out)
			}
			for _, ev := range evs {
				if !c.check(ev) {
					t.Fatalf("%s (%s): event does not belong: %+v", c.name, source, ev)
				}
			}
			if prev, ok := outputs[c.name]; ok && prev != out {
				t.Fatalf("%s: the store and the mirror export differently:\nmirror %s\nstore  %s", c.name, prev, out)
			}
			outputs[c.name] = out
		}
	}
	runAll("audit mirror") // the bot holds the store's lock

	out, _, code := e.audExport(cfgPath, "--format", "csv", "--resource", "db-prod")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != exitOK || err != nil || len(rows) != 4 || rows[0][0] != "seq" || rows[1][2] != "requested" || rows[3][2] != "provisioned" {
		t.Fatalf("csv export: exit %d, %v, rows %q", code, err, rows)
	}
	for _, bad := range [][]string{{"--format", "xml"}, {"--since", "last tuesday"}, {"--since", since, "--until", t1.Format(time.RFC3339Nano)}, {"--user", "dave"}} {
		if _, stderr, code := e.audExport(cfgPath, bad...); code != exitUsage || !strings.Contains(stderr, bad[0]) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming the flag", bad, code, stderr)
		}
	}

	e.stop()
	runAll("from the store")
}

func TestAuditChannelBreakGlassAndRevocation(t *testing.T) {
	e := startE2E(t)
	mark := e.sb.Slack.Mark()
	// Mallory is not on call: refused, and the channel hears of the attempt.
	e.slash(Mallory, "/access", "breakglass aws-prod-read prod is down")
	e.waitMsg(mark, SandboxAuditChannel, "Break-glass refused", "<@U0MALLORY>", "aws-prod-read", "why refused", "you are not", "reason: “prod is down”")

	// Alice is: granted at once, announced with a Revoke button.
	e.slash(Alice, "/access", "breakglass aws-prod-read prod is down")
	line := e.waitMsg(mark, SandboxAuditChannel, "*Break-glass*", "<@U0ALICE> took", "aws-prod-read", "PSCHED1", "prod is down")
	b, ok := line.Button(bot.ActionRevoke)
	if !ok {
		t.Fatalf("break-glass line has no Revoke: %s", oneLine(line.Text()))
	}
	id := b.Value
	e.waitState(id, access.StateActive)

	// Bob revokes from the channel: the revocation is announced too.
	e.click(Bob, line, bot.ActionRevoke)
	e.waitState(id, access.StateRevoked)
	e.waitMsg(mark, SandboxAuditChannel, "Revoked", "<@U0BOB> revoked <@U0ALICE>", id)
	e.audTrail(id, "aws-prod-read", Alice,
		audWant{access.EventBreakGlass, &Alice, map[string]string{"reason": "prod is down", "schedule": SandboxSchedule, "escalation_level": "1"}},
		audWant{access.EventProvisioned, nil, nil},
		audWant{access.EventRemovalStarted, &Bob, map[string]string{"outcome": "revoked"}},
		audWant{access.EventRevoked, &Bob, nil},
	)
	e.audGapless()
	e.noRejections()
}
