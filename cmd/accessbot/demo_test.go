package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/fake/fakeokta"
)

// runDemo runs `accessbot demo args…` in process, with its temporary
// directory under a directory of the test's, and returns the exit code,
// stdout and stderr, and that directory.
func runDemo(t *testing.T, args ...string) (code int, stdout, stderr, tmp string) {
	t.Helper()
	tmp = t.TempDir()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	getenv := func(k string) string {
		if k == "TMPDIR" {
			return tmp
		}
		return ""
	}
	code = Command(ctx, append([]string{"demo"}, args...), &out, &errb, getenv)
	return code, out.String(), errb.String(), tmp
}

// demoStories splits a transcript at its story headers: [0] is the intro,
// [n] story n (and, for the last, the closing lines).
func demoStories(t *testing.T, transcript string) []string {
	t.Helper()
	parts := regexp.MustCompile(`(?m)^━━ \d+\. `).Split(transcript, -1)
	if len(parts) != 11 {
		t.Fatalf("transcript has %d stories, want 10:\n%s", len(parts)-1, transcript)
	}
	return parts
}

func TestDemoPlaysEveryStory(t *testing.T) {
	code, out, stderr, tmp := runDemo(t)
	if code != exitOK {
		t.Fatalf("demo exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	stories := demoStories(t, out)
	// Each story's transcript must show, in its own section, what the
	// people and Okta saw: patterns on whole lines.
	want := [][]string{
		1: {
			`^Request and approval`,
			`^dave +› /access$`,
			`^dave +‹ a form`,
			`^dave +› submits the form: Duration 4h`,
			`^bob +‹ DM: Access request \w+: @dave asks for access to Production database \(db-prod\) for 4h\..*\[Approve\] \[Deny\]$`,
			`^carol +‹ DM: Access request .*\[Approve\] \[Deny\]$`,
			`^bob +› clicks \[Approve\]$`,
			`^okta +· dave added to group 00gdbprod \(Production database\)$`,
			`^dave +‹ DM: .*granted.*\[Revoke`,
			`^carol +‹ DM, updated: .*Approved by @bob`,
			`^#access-audit ‹ post: .*@dave.*db-prod`,
		},
		2: {
			`^On-call auto-approval`,
			`^pagerduty · alice is on call`,
			`^alice +› /access request aws-prod-read 1h`,
			`^okta +· alice added to group 00gprodread`,
			`^bob +‹ DM: .*@alice was auto-approved`,
			`^carol +‹ DM: .*@alice was auto-approved`,
			`^alice +‹ only you see: .*auto-approved`,
			`^alice +› clicks \[Revoke`,
			`^okta +· alice removed from group 00gprodread`,
		},
		3: {
			`^Break-glass`,
			`^mallory +› /breakglass aws-prod-read`,
			`^mallory +‹ only you see: .*on call`,
			`^alice +› /access breakglass aws-prod-read`,
			`^okta +· alice added to group 00gprodread`,
			`^#access-audit ‹ post: .*Break-glass.*@alice.*\[Revoke\]$`,
			`^bob +‹ DM: .*@alice used break-glass.*\[Revoke\]$`,
			`^carol +‹ DM: .*@alice used break-glass.*\[Revoke\]$`,
			`^bob +› clicks \[Revoke\]$`,
			`^okta +· alice removed from group 00gprodread`,
			`^alice +‹ DM: .*revoked by @bob`,
		},
		4: {
			`^Reminder and extension`,
			`^⏩ 3h later`,
			`^dave +‹ DM: .*ends .*\[Extend 1h\]`,
			`^dave +› clicks \[Extend 1h\]$`,
			`^carol +‹ DM: .*@dave .*extend it by 1h.*\[Approve\] \[Deny\]$`,
			`^carol +› clicks \[Approve\]$`,
			`^dave +‹ DM: .*extended; it now ends`,
		},
		5: {
			`^Expiry`,
			`^⏩ 2h later`,
			`^okta +· dave removed from group 00gdbprod`,
			`^dave +‹ DM: .*expired`,
			`^okta +· no temporary access is left`,
		},
		6: {
			`^Use: access that follows it, and the report`,
			`^alice +› /access request grafana-daily activity`,
			`^bob +‹ DM: .*for as long as it is used, removed after 4h unused.*\[Approve\] \[Deny\]$`,
			`^okta +· alice assigned to app 0oagrafana`,
			`^okta +· System Log: alice signed in to Grafana`,
			`^accessbot · usage poll: 2 use\(s\) of alice's Grafana; it now stays until`,
			`^alice +‹ DM: ⏰ .*unless you use it: it was last used 3h ago.*\[Keep it\] \[Remove now\]$`,
			`^okta +· alice unassigned from app 0oagrafana`,
			`^alice +‹ DM: .*it was not used for 4h`,
			`^erin +‹ only you see: Utilization of granted access`,
			`^ +db-prod +1 +1 \(100%\) +- +0%$`,
			`^ +grafana-daily +1 +0 \(0%\) +1h +43%$`,
			`^ +\* +4 +3 \(75%\)`,
			`^ +75% of the access granted was never used \(3 of 4 grants\)\.$`,
		},
		7: {
			`^Delegation while away`,
			`^bob +› /access delegate @alice until 3d db-prod$`,
			`^#access-audit ‹ post: .*Delegation.*@alice approves for @bob \(db-prod\)`,
			`^alice +‹ DM: Access request \w+: @dave asks .*\[Approve\] \[Deny\]$`,
			`^alice +› clicks \[Approve\]$`,
			`^okta +· dave added to group 00gdbprod`,
			`^#access-audit ‹ post: .*Granted.*approved by @alice for @bob`,
			`^#access-audit ‹ post: .*Delegation ended`,
		},
		8: {
			`^A request for someone else`,
			`^erin +‹ DM: .*@bob asked for access to Staging admin .*for you.*\[Decline\]$`,
			`^carol +‹ DM: Access request \w+: @bob asks, for @erin, access to Staging admin`,
			`^okta +· erin added to group 00gstaging`,
			`^#access-audit ‹ post: .*Granted: @erin \(asked by @bob\)`,
			`^dave +› clicks \[Decline\]$`,
			`^carol +‹ DM: .*@dave declined your request`,
		},
		9: {
			`^Discovered from Okta`,
			`^okta +· group "JIT AWS Billing" \(00gjitbilling\) matches resource_sources\[0\]`,
			`^dave +› /access request jit-aws-billing 1h`,
			`^bob +‹ DM: Access request \w+: @dave asks for access to JIT AWS Billing \(jit-aws-billing\) for 1h\.`,
			`^okta +· dave added to group 00gjitbilling \(JIT AWS Billing, discovered\)$`,
			`^okta +· dave removed from group 00gjitbilling`,
		},
		10: {
			`^A bundle`,
			`^erin +› /access request incident-kit 1h`,
			`^carol +‹ DM: Access request \w+: @erin asks for access to Incident kit \(incident-kit\) for 1h\. It is a bundle of db-prod, grafana-admin`,
			`^okta +· erin added to group 00gdbprod`,
			`^okta +· erin assigned to app 0oagrafana`,
			`^erin +‹ DM: .*granted: Incident kit`,
			`^erin +› clicks \[Revoke now\]$`,
			`^okta +· erin removed from group 00gdbprod`,
			`^okta +· erin unassigned from app 0oagrafana`,
			`^✓ every story played as it should`,
		},
	}
	for n := 1; n <= 10; n++ {
		for _, pattern := range want[n] {
			if !regexp.MustCompile(`(?m)` + pattern).MatchString(stories[n]) {
				t.Errorf("story %d lacks a line matching %s:\n%s", n, pattern, stories[n])
			}
		}
	}
	// Slack markup is turned into words; no step took a real wait.
	for _, bad := range []string{"<@U", "<!date", "`"} {
		if strings.Contains(out, bad) {
			t.Errorf("transcript contains %q:\n%s", bad, out)
		}
	}
	if stderr != "" {
		t.Errorf("demo wrote to stderr without --verbose:\n%s", stderr)
	}
	// Nothing is left behind.
	if left, err := os.ReadDir(tmp); err != nil || len(left) > 0 {
		t.Errorf("demo left %v behind (%v)", left, err)
	}
}

func TestDemoVerboseShowsTheLog(t *testing.T) {
	code, out, stderr, _ := runDemo(t, "--verbose")
	if code != exitOK {
		t.Fatalf("demo --verbose exit code %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"accessbot starting", "checks OK"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--verbose log lacks %q:\n%s", want, stderr)
		}
	}
}

func TestDemoRejectsArguments(t *testing.T) {
	if code, _, stderr, _ := runDemo(t, "extra"); code != exitUsage || !strings.Contains(stderr, "extra") {
		t.Fatalf("demo extra: code %d, stderr %q", code, stderr)
	}
}

// A step that does not happen fails the demo with an error naming it.
func TestDemoFailsWhenAStepDoesNot(t *testing.T) {
	var out bytes.Buffer
	ctx := context.Background()
	d, err := startDemo(ctx, t.TempDir(), &out, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	d.stepTimeout = 2 * time.Second
	// Okta refuses to add anyone to the database group.
	d.sb.Okta.FailNext("PUT", "/api/v1/groups/"+SandboxGroupDB+"/", fakeokta.Fault{Status: 403, Times: 10})
	err = d.play(ctx)
	if serr := d.stop(); serr != nil {
		t.Errorf("stop: %v", serr)
	}
	if err == nil || !strings.Contains(err.Error(), "story 1 (Request and approval)") || !strings.Contains(err.Error(), "dave added to group 00gdbprod") {
		t.Fatalf("play = %v, want story 1 to fail at the Okta grant\n%s", err, out.String())
	}
}
