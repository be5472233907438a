package bot

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

var t0 = time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC)

var (
	alice = access.User{SlackID: "U0ALICE", Email: "alice@example.com", Name: "alice"}
	bob   = access.User{SlackID: "U0BOB", Email: "bob@example.com", Name: "bob"}
)

func testResource() access.Resource {
	return access.Resource{ID: "aws-prod-read", Name: "AWS Production (read)", Approvers: []string{"alice@example.com", "bob@example.com", "carol@example.com"},
		Durations: []time.Duration{time.Hour, 4 * time.Hour}, MinApprovals: 1}
}

func testRequest(state access.State) access.Request {
	r := access.Request{ID: "abcd2345", Kind: access.KindAccess, Requester: alice, ResourceID: "aws-prod-read",
		Duration: 4 * time.Hour, Reason: "debugging INC-1", Approvers: []string{"bob@example.com"}, State: state, CreatedAt: t0}
	if state != access.StatePending {
		r.Decisions = []access.Decision{{By: bob, At: t0, Approve: state != access.StateDenied, Reason: "not now"}}
		r.DecidedAt = t0
	}
	switch state {
	case access.StateActive, access.StateExpired, access.StateRevoked:
		r.Grant.GrantedAt, r.Grant.ExpiresAt = t0, t0.Add(4*time.Hour)
	}
	if state == access.StateRevoked {
		r.Grant.Removal = &access.Removal{Outcome: access.StateRevoked, By: bob}
		r.Grant.EndedAt = t0.Add(time.Hour)
	}
	return r
}

// hostile is a request full of text that tries to break limits and ping people.
func hostile(state access.State) (access.Request, access.Resource) {
	huge := strings.Repeat("<!channel> <@U0EVIL> & \x00\x07 😀 <https://evil.example|click> ", 200) // ~10 KB
	evil := access.User{SlackID: "U1><!channel", Email: "<!here>" + strings.Repeat("x", 300) + "@example.com", Name: huge}
	r := testRequest(state)
	r.ID = strings.Repeat("<!channel>", 40)
	r.Requester = evil
	r.Reason = huge
	r.Approvers = make([]string, 200)
	for i := range r.Approvers {
		r.Approvers[i] = "<@U0X>" + strings.Repeat("a", 100) + "@example.com"
	}
	for i := range 30 {
		r.Decisions = append(r.Decisions, access.Decision{By: evil, Approve: true, Reason: huge})
		_ = i
	}
	if state == access.StateDenied {
		r.Decisions = append(r.Decisions, access.Decision{By: evil, Reason: huge})
	}
	r.OnCall = &access.Shift{ScheduleID: huge, EscalationPolicyID: huge, Level: 3}
	res := testResource()
	res.ID = strings.Repeat("<res>", 100)
	res.Name = huge
	res.Description = huge
	res.Approvers = r.Approvers
	return r, res
}

var allStates = []access.State{access.StatePending, access.StateApproved, access.StateActive, access.StateExpired,
	access.StateRevoked, access.StateDenied, access.StateCancelled, access.StateTimedOut, access.StateFailed, access.StateExtended}

var allKinds = []access.NoticeKind{access.NoticeSubmitted, access.NoticeGranted, access.NoticeStanding, access.NoticeDenied,
	access.NoticeCancelled, access.NoticeTimedOut, access.NoticeFailed, access.NoticeReminder, access.NoticeExtended,
	access.NoticeExtensionDenied, access.NoticeExpired, access.NoticeRevoked, access.NoticeAutoApproved, access.NoticeBreakGlass,
	access.NoticeRemovalFailing, access.NoticeOnCallFallback}

func TestRenderingKeepsLimitsWithHostileInput(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("<!here> & 😀\x1b ", 800)
	for i, st := range allStates {
		dry := i%2 == 0
		rd := renderer{now: t0, dryRun: dry, person: func(e string) access.User { return access.User{Email: e} }}
		for _, kind := range []access.Kind{access.KindAccess, access.KindExtension, access.KindBreakGlass} {
			r, res := hostile(st)
			r.Kind = kind
			checkMessage(t, "approval "+string(st)+"/"+string(kind), rd.approval(r, res, false))
		}
		r, res := hostile(st)
		for _, nk := range allKinds {
			n := access.Notice{Kind: nk, Request: r, Resource: res, Actor: r.Requester, Detail: huge,
				Extend: slices.Repeat([]time.Duration{time.Hour}, 40), DryRun: !dry}
			checkMessage(t, "notice "+string(nk)+" "+string(st), rd.notice(n))
			checkMessage(t, "announce "+string(nk)+" "+string(st), rd.announcement(n))
		}
		checkMessage(t, "let expire "+string(st), rd.letExpire(r, res))
		checkMessage(t, "after reminder "+string(st), rd.afterReminder(esc(huge, 3000), r))
		checkMessage(t, "overview "+string(st), rd.overview(workflow.Overview{Mine: slices.Repeat([]*access.Request{&r}, 60),
			ToApprove: slices.Repeat([]*access.Request{&r}, 60)}, access.NewCatalog([]access.Resource{res})))
	}
}

func TestRenderingOfAnEmptyRequest(t *testing.T) {
	rd := renderer{now: t0}
	for _, nk := range allKinds {
		n := access.Notice{Kind: nk}
		checkMessage(t, "notice "+string(nk), rd.notice(n))
		checkMessage(t, "announce "+string(nk), rd.announcement(n))
	}
	checkMessage(t, "approval", rd.approval(access.Request{}, access.Resource{}, false))
}

// buttons lists "action_id=value" of a message's buttons.
func buttons(m message) []string {
	var out []string
	for _, b := range m.blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, e := range a.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok {
				out = append(out, btn.ActionID+"="+btn.Value)
			}
		}
	}
	return out
}

func TestApprovalButtonsFollowState(t *testing.T) {
	rd := renderer{now: t0}
	res := testResource()
	tests := map[access.State][]string{
		access.StatePending:   {"approve=abcd2345", "deny=abcd2345"},
		access.StateApproved:  nil,
		access.StateActive:    {"revoke=abcd2345"},
		access.StateExpired:   nil,
		access.StateRevoked:   nil,
		access.StateDenied:    nil,
		access.StateCancelled: nil,
		access.StateTimedOut:  nil,
		access.StateFailed:    nil,
	}
	for st, want := range tests {
		if got := buttons(rd.approval(testRequest(st), res, false)); !slices.Equal(got, want) {
			t.Errorf("approval in state %s: buttons %v, want %v", st, got, want)
		}
	}
	standing := testRequest(access.StateActive)
	standing.Grant.Standing = true
	if got := buttons(rd.approval(standing, res, false)); got != nil {
		t.Errorf("standing access offers %v; there is nothing to revoke", got)
	}
}

// Someone told of a request who may not decide it (a notify list beyond
// the approvers) sees it and its outcome, and never a button.
func TestToldOnlyApprovalHasNoButtons(t *testing.T) {
	rd := renderer{now: t0}
	res := testResource()
	for _, st := range []access.State{access.StatePending, access.StateActive} {
		m := rd.approval(testRequest(st), res, true)
		if got := buttons(m); got != nil {
			t.Errorf("told-only approval in state %s offers %v", st, got)
		}
		if !strings.Contains(allText(m), "abcd2345") {
			t.Errorf("told-only approval in state %s does not name the request: %s", st, allText(m))
		}
	}
	if text := allText(rd.approval(testRequest(access.StatePending), res, true)); !strings.Contains(text, "its approvers decide") {
		t.Errorf("a pending told-only approval does not say who decides: %s", text)
	}
}

func TestApprovalSaysWhoDecided(t *testing.T) {
	rd := renderer{now: t0}
	res := testResource()
	tests := map[access.State]string{
		access.StateActive:    "Approved by <@U0BOB>. Access active until <!date^",
		access.StateDenied:    "Denied by <@U0BOB>: not now",
		access.StateCancelled: "Cancelled by requester",
		access.StateTimedOut:  "Timed out",
		access.StateExpired:   "Expired",
		access.StateRevoked:   "Revoked by <@U0BOB>",
	}
	for st, want := range tests {
		if got := rd.approval(testRequest(st), res, false).text; !strings.Contains(got, want) {
			t.Errorf("approval in state %s: text %q lacks %q", st, got, want)
		}
	}
	pending := testRequest(access.StatePending)
	pending.Decisions = []access.Decision{{By: bob, Approve: true}}
	res.MinApprovals = 2
	m := rd.approval(pending, res, false)
	if got := allText(m); !strings.Contains(got, "Approvals: 1 of 2 · approved by <@U0BOB>") {
		t.Errorf("pending approval lacks the count: %q", got)
	}
}

func TestExtensionRequestIsMarked(t *testing.T) {
	rd := renderer{now: t0.Add(3 * time.Hour)}
	r := testRequest(access.StatePending)
	r.Kind, r.ParentID, r.Duration = access.KindExtension, "wxyz2345", time.Hour
	r.Grant.GrantedAt, r.Grant.ExpiresAt = t0, t0.Add(4*time.Hour)
	got := allText(rd.approval(r, testResource(), false))
	for _, want := range []string{"Extension request", "has held", "for *3h*", "extend it by *1h*"} {
		if !strings.Contains(got, want) {
			t.Errorf("extension approval lacks %q: %q", want, got)
		}
	}
}

func TestNoticeButtons(t *testing.T) {
	rd := renderer{now: t0}
	res := testResource()
	active := testRequest(access.StateActive)
	tests := []struct {
		name string
		n    access.Notice
		want []string
	}{
		{"submitted pending", access.Notice{Kind: access.NoticeSubmitted, Request: testRequest(access.StatePending)}, []string{"nudge=abcd2345", "cancel_request=abcd2345"}},
		{"submitted cancelled", access.Notice{Kind: access.NoticeSubmitted, Request: testRequest(access.StateCancelled)}, nil},
		{"submitted, approved and waiting for Okta", access.Notice{Kind: access.NoticeSubmitted, Request: testRequest(access.StateApproved)}, []string{"cancel_request=abcd2345"}},
		{"granted", access.Notice{Kind: access.NoticeGranted, Request: active}, []string{"revoke=abcd2345"}},
		{"granted then revoked", access.Notice{Kind: access.NoticeGranted, Request: testRequest(access.StateRevoked)}, nil},
		{"reminder", access.Notice{Kind: access.NoticeReminder, Request: active, Extend: []time.Duration{time.Hour, 4 * time.Hour}},
			[]string{"extend_1h=abcd2345|1h", "extend_4h=abcd2345|4h", "let_expire=abcd2345", "revoke=abcd2345"}},
		{"reminder without extensions", access.Notice{Kind: access.NoticeReminder, Request: active}, []string{"let_expire=abcd2345", "revoke=abcd2345"}},
		{"break-glass", access.Notice{Kind: access.NoticeBreakGlass, Request: active}, []string{"revoke=abcd2345"}},
		{"auto-approved", access.Notice{Kind: access.NoticeAutoApproved, Request: active}, nil},
		{"standing", access.Notice{Kind: access.NoticeStanding, Request: active}, nil},
		{"denied", access.Notice{Kind: access.NoticeDenied, Request: testRequest(access.StateDenied), Actor: bob}, nil},
	}
	for _, tt := range tests {
		tt.n.Resource = res
		if got := buttons(rd.notice(tt.n)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: buttons %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNoticeTexts(t *testing.T) {
	rd := renderer{now: t0}
	res := testResource()
	active := testRequest(access.StateActive)
	tests := []struct {
		n    access.Notice
		want string
	}{
		{access.Notice{Kind: access.NoticeStanding, Request: active}, "You already had access to *AWS Production (read)* (`aws-prod-read`) through other means; accessbot did not change it and will not remove it."},
		{access.Notice{Kind: access.NoticeDenied, Request: testRequest(access.StateDenied), Actor: bob, Detail: "use staging"}, "was denied by <@U0BOB>: use staging"},
		{access.Notice{Kind: access.NoticeGranted, Request: active}, "Access granted: *AWS Production (read)* (`aws-prod-read`) is yours until <!date^1893611045^{date_short_pretty} {time}|2030-01-02T19:04:05Z>."},
		{access.Notice{Kind: access.NoticeRevoked, Request: testRequest(access.StateRevoked), Actor: bob}, "was revoked by <@U0BOB>"},
		{access.Notice{Kind: access.NoticeFailed, Request: active, Detail: "Okta could not be reached."}, "Okta could not be reached."},
		{access.Notice{Kind: access.NoticeOnCallFallback, Request: active, Detail: "PagerDuty is down."}, "PagerDuty is down."},
		{access.Notice{Kind: access.NoticeGranted, Request: active, DryRun: true}, DryRunBanner},
		{access.Notice{Kind: access.NoticeBreakGlass, Request: active, Actor: alice}, "🚨 Break-glass access"},
		{access.Notice{Kind: access.NoticeAutoApproved, Request: func() access.Request {
			r := active
			r.OnCall = &access.Shift{ScheduleID: "PS1", Level: 1}
			return r
		}()}, "because they are on call (PagerDuty schedule `PS1`, level 1)"},
	}
	for _, tt := range tests {
		tt.n.Resource = res
		if got := allText(rd.notice(tt.n)); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q lacks %q", tt.n.Kind, got, tt.want)
		}
	}
}

func TestMentionsOrEmails(t *testing.T) {
	if got := mention(alice); got != "<@U0ALICE>" {
		t.Errorf("mention with id = %q", got)
	}
	if got := mention(access.User{Email: "a<b>@x.com"}); got != "a&lt;b&gt;@x.com" {
		t.Errorf("mention without id = %q", got)
	}
	if got := mention(access.User{SlackID: "U1><!channel", Email: "e@x.com"}); got != "e@x.com" {
		t.Errorf("mention with a bad id = %q", got)
	}
}

// allText joins a message's fallback and block texts.
func allText(m message) string {
	var parts []string
	parts = append(parts, m.text)
	for _, b := range m.blocks {
		switch x := b.(type) {
		case *slack.SectionBlock:
			if x.Text != nil {
				parts = append(parts, x.Text.Text)
			}
			for _, f := range x.Fields {
				parts = append(parts, f.Text)
			}
		case *slack.HeaderBlock:
			parts = append(parts, x.Text.Text)
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if txt, ok := e.(*slack.TextBlockObject); ok {
					parts = append(parts, txt.Text)
				}
			}
		}
	}
	return strings.Join(parts, "\n")
}
