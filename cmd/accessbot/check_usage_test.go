package main

import (
	"testing"

	"github.com/accessbot/accessbot/fake/fakeokta"
)

// check says when the System Log cannot be read and when a usage_apps app
// does not exist, as warnings with the key path; the sandbox passes.
func TestCheckUsage(t *testing.T) {
	sb := newCheckSandbox(t)
	code, out := checkSandbox(t, sb)
	if code != exitOK || !checkHasLine(out, "ok ", "the System Log can be read") {
		t.Fatalf("check on the sandbox: code %d\n%s", code, out)
	}
	sb.Okta.FailNext("GET", "/api/v1/logs", fakeokta.Fault{Status: 403, ErrorCode: "E0000006", ErrorSummary: "You do not have permission to perform the requested action"})
	code, out = checkSandbox(t, sb, "    name: Grafana admin\n", "    name: Grafana admin\n    usage_apps: [0oanosuch]\n")
	if code != exitOK {
		t.Errorf("warnings made check fail: code %d\n%s", code, out)
	}
	for _, want := range [][]string{
		{"WARNING", "okta system log", "may not read the System Log", "Read-only Administrator"},
		{"WARNING", "okta app 0oanosuch (resources[1].usage_apps[0], resource grafana-admin)", "Okta has no app with this id"},
	} {
		if !checkHasLine(out, want[0], want[1:]...) {
			t.Errorf("check output lacks a line %q:\n%s", want, out)
		}
	}
}
