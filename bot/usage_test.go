package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// App Home shows a grant's use, and that an activity grant stays while used.
func TestHomeShowsUse(t *testing.T) {
	ov, cat := homeOverview()
	rd := renderer{now: t0.Add(3 * time.Hour)}
	text := blocksText(t, rd.home(ov, nil, cat).Blocks.BlockSet)
	if !strings.Contains(text, "Not used yet") {
		t.Errorf("an unused grant's home lacks it:\n%s", text)
	}
	g := ov.Mine[0]
	g.Grant.Usage = access.Usage{Uses: 3, First: t0.Add(30 * time.Minute), Last: t0.Add(time.Hour)}
	g.Activity = &access.Activity{IdleAfter: 7 * 24 * time.Hour, MaxAge: 90 * 24 * time.Hour}
	text = blocksText(t, rd.home(ov, nil, cat).Blocks.BlockSet)
	for _, w := range []string{"Used 3×", "first 2h ago", "last 2h ago", "stays while you use it (removed after 1w unused)"} {
		if !strings.Contains(text, w) {
			t.Errorf("home lacks %q:\n%s", w, text)
		}
	}
}

// The reminder of a time-based grant says whether it was used; an
// activity grant's offers Keep it, and only Remove now at its maximum age.
func TestReminderSaysHowItWasUsed(t *testing.T) {
	res := testResource()
	r := testRequest(access.StateActive)
	rd := renderer{now: r.Grant.ExpiresAt.Add(-time.Hour)}
	m := rd.notice(access.Notice{Kind: access.NoticeReminder, Request: r, Resource: res})
	if !strings.Contains(m.text, "not used since you got it") {
		t.Errorf("reminder of an unused grant: %s", m.text)
	}
	r.Grant.Usage = access.Usage{Uses: 1, First: rd.now.Add(-2 * time.Hour), Last: rd.now.Add(-2 * time.Hour)}
	if m := rd.notice(access.Notice{Kind: access.NoticeReminder, Request: r, Resource: res}); !strings.Contains(m.text, "last used 2h ago") {
		t.Errorf("reminder of a used grant: %s", m.text)
	}
	r.Activity = &access.Activity{IdleAfter: 4 * time.Hour, MaxAge: 24 * time.Hour}
	m = rd.notice(access.Notice{Kind: access.NoticeReminder, Request: r, Resource: res})
	if got := strings.Join(buttons(m), ","); got != ActionKeep+"="+r.ID+","+ActionRevoke+"="+r.ID || !strings.Contains(m.text, "unless you use it") {
		t.Errorf("activity reminder: %s, buttons %s", m.text, got)
	}
	r.Grant.ExpiresAt = r.Grant.GrantedAt.Add(24 * time.Hour)
	m = rd.notice(access.Notice{Kind: access.NoticeReminder, Request: r, Resource: res})
	if got := strings.Join(buttons(m), ","); got != ActionRenew+"="+r.ID+","+ActionRevoke+"="+r.ID || !strings.Contains(m.text, "maximum age") {
		t.Errorf("reminder at max_age: %s, buttons %s", m.text, got)
	}
}
