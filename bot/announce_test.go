package bot

import (
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// auditLine returns the one section line of an announcement, failing when
// the announcement is not one line.
func auditLine(t *testing.T, m message) string {
	t.Helper()
	var lines []string
	for _, b := range m.blocks {
		if s, ok := b.(*slack.SectionBlock); ok {
			lines = append(lines, s.Text.Text)
		}
	}
	if len(lines) != 1 || strings.Contains(lines[0], "\n") {
		t.Fatalf("announcement is not one line: %q", lines)
	}
	return lines[0]
}

func TestAnnouncementsAreOneLineWithContext(t *testing.T) {
	carol := access.User{SlackID: "U0CAROL", Email: "carol@example.com"}
	active := testRequest(access.StateActive)
	denied := testRequest(access.StateDenied)
	revoked := testRequest(access.StateRevoked)
	revoked.Grant.Removal.Reason = "left the team"
	onCall := testRequest(access.StateActive)
	onCall.Decisions, onCall.OnCall = nil, &access.Shift{ScheduleID: "PSCHED1", Level: 1}
	glass := onCall
	glass.Kind = access.KindBreakGlass
	refused := access.Request{Requester: alice, ResourceID: "aws-prod-read", Reason: "prod is down"}
	tests := []struct {
		n    access.Notice
		want []string
	}{
		{access.Notice{Kind: access.NoticeGranted, Request: active}, []string{"*Granted*", "<@U0ALICE>", "AWS Production (read)", "`aws-prod-read`", "`abcd2345`", "approved by <@U0BOB>", "reason: “debugging INC-1”", "<!date^"}},
		{access.Notice{Kind: access.NoticeGranted, Request: onCall}, []string{"*Granted*", "auto-approved: on call", "`PSCHED1`"}},
		{access.Notice{Kind: access.NoticeStanding, Request: active}, []string{"already had", "`abcd2345`", "approved by <@U0BOB>"}},
		{access.Notice{Kind: access.NoticeDenied, Request: denied, Actor: carol, Detail: "use\nstaging"}, []string{"*Denied*", "<@U0CAROL> denied <@U0ALICE>", "(4h)", "`abcd2345`", "denial reason: “use staging”", "reason: “debugging INC-1”"}},
		{access.Notice{Kind: access.NoticeExtensionDenied, Request: denied, Actor: carol}, []string{"*Extension denied*", "<@U0CAROL>", "`abcd2345`"}},
		{access.Notice{Kind: access.NoticeExtended, Request: active, Actor: carol}, []string{"*Extended*", "<@U0ALICE>", "approved by <@U0CAROL>", "`abcd2345`"}},
		{access.Notice{Kind: access.NoticeExtended, Request: active, Actor: alice}, []string{"*Extended*", "no approval was needed"}},
		{access.Notice{Kind: access.NoticeRevoked, Request: revoked}, []string{"*Revoked*", "<@U0BOB> revoked <@U0ALICE>", "`abcd2345`", "why: “left the team”"}},
		{access.Notice{Kind: access.NoticeExpired, Request: revoked}, []string{"*Expired*", "<@U0ALICE>", "`abcd2345`"}},
		{access.Notice{Kind: access.NoticeBreakGlass, Request: glass, Actor: alice}, []string{"*Break-glass*", "<@U0ALICE> took", "until <!date^", "as on call", "`PSCHED1`", "`abcd2345`", "reason: “debugging INC-1”"}},
		{access.Notice{Kind: access.NoticeBreakGlassRefused, Request: refused, Actor: alice, Detail: "You are not on call."}, []string{"*Break-glass refused*", "<@U0ALICE>", "`aws-prod-read`", "why refused: “You are not on call.”", "reason: “prod is down”"}},
		{access.Notice{Kind: access.NoticeFailed, Request: testRequest(access.StateFailed), Detail: "Okta could not be reached."}, []string{"*Grant failed*", "<@U0ALICE>", "`abcd2345`", "Okta could not be reached.", "approved by <@U0BOB>"}},
		{access.Notice{Kind: access.NoticeRemovalFailing, Request: revoked, Detail: "Removal failed 5 times."}, []string{"*Removal failing*", "<@U0ALICE>", "`abcd2345`", "Removal failed 5 times.", "keeps retrying"}},
	}
	rd := renderer{now: t0}
	for _, tt := range tests {
		t.Run(string(tt.n.Kind), func(t *testing.T) {
			tt.n.Resource = testResource()
			m := rd.announcement(tt.n)
			checkMessage(t, string(tt.n.Kind), m)
			line := auditLine(t, m)
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("line lacks %q:\n%s", w, line)
				}
			}
			if !strings.Contains(m.text, strings.SplitN(tt.want[0], " ", 2)[0]) {
				t.Errorf("fallback text %q differs from the line", m.text)
			}
		})
	}
}

func TestBreakGlassAnnouncementKeepsRevokeWhileActive(t *testing.T) {
	glass := testRequest(access.StateActive)
	glass.Kind, glass.Decisions = access.KindBreakGlass, nil
	rd := renderer{now: t0}
	n := access.Notice{Kind: access.NoticeBreakGlass, Request: glass, Resource: testResource()}
	if got := buttons(rd.announcement(n)); !slices.Equal(got, []string{"revoke=abcd2345"}) {
		t.Fatalf("active break-glass buttons %v", got)
	}
	n.Request.State = access.StateRevoked
	m := rd.announcement(n)
	if got := buttons(m); len(got) != 0 {
		t.Fatalf("ended break-glass buttons %v", got)
	}
	if line := auditLine(t, m); !strings.Contains(line, "now:") {
		t.Errorf("ended break-glass line does not say where it stands: %s", line)
	}
}

func TestDryRunAnnouncementIsMarked(t *testing.T) {
	m := renderer{now: t0}.announcement(access.Notice{Kind: access.NoticeGranted, Request: testRequest(access.StateActive), Resource: testResource(), DryRun: true})
	if !strings.Contains(m.text, DryRunBanner) {
		t.Errorf("dry-run announcement text %q", m.text)
	}
	auditLine(t, m) // the banner is context, the line stays one
}

func TestRefusedBreakGlassAnnouncementKeepsLimitsWithHostileInput(t *testing.T) {
	r, res := hostile(access.StatePending)
	huge := strings.Repeat("<!here> & 😀\x1b ", 800)
	for _, dry := range []bool{false, true} {
		n := access.Notice{Kind: access.NoticeBreakGlassRefused, Request: r, Resource: res, Actor: r.Requester, Detail: huge, DryRun: dry}
		m := renderer{now: t0}.announcement(n)
		checkMessage(t, "break_glass_refused", m)
		auditLine(t, m)
	}
	checkMessage(t, "empty break_glass_refused", renderer{now: t0}.announcement(access.Notice{Kind: access.NoticeBreakGlassRefused}))
}
