package bot

import (
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
)

// A grant whose removal Okta has not confirmed shows as "removal pending" in
// /access list — with the failures counted once there are some — and never
// as ended.
func TestListShowsRemovalPending(t *testing.T) {
	rd := renderer{now: t0}
	r := testRequest(access.StateActive)
	r.Grant.Removal = &access.Removal{Outcome: access.StateExpired, By: access.System, RequestedAt: t0}
	line := rd.listLine(r, testResource())
	if !strings.Contains(line, "removal pending") || strings.Contains(line, "time(s)") {
		t.Errorf("first attempt: %q", line)
	}
	r.Grant.Removal.Retry = access.Retry{Attempts: 4, LastError: "okta: connection refused"}
	line = rd.listLine(r, testResource())
	for _, want := range []string{"removal pending", "4 time(s)", "still held", r.ID} {
		if !strings.Contains(line, want) {
			t.Errorf("after failures: %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "connection refused") {
		t.Errorf("the list shows Okta's error to the holder: %q", line)
	}
}
