package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/fake/fakeokta"
)

// `accessbot check` prints what each resource_sources rule yields now, and
// what it skips with why; a search Okta refuses fails the check.
func TestCheckPrintsSourceYields(t *testing.T) {
	sb := newCheckSandbox(t)
	jitOkta(sb)
	// A third rule names every group db-prod: the configured db-prod wins.
	sources := jitSources + "  - okta_groups: {search: 'profile.name sw \"JIT AWS\"'}\n    id: 'db-prod'\n    approvers: [carol@example.com]\n    durations: [1h]\n"
	code, out := checkText(t, sb.ConfigYAML(sources))
	if code != exitOK {
		t.Fatalf("check exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		`resource_sources[0] (Okta groups matching "profile.name sw \"JIT AWS\"", refreshed every 1h): 2 resources`,
		"  jit-aws-admin                  JIT AWS Admin (group 00gjitadmin)",
		`resource_sources[1] (Okta apps matching filter "status eq \"ACTIVE\"" with labels starting "AWS ", refreshed every 30s): 1 resource`,
		"  aws-billing-read               AWS Billing (read) (app 0oaawsbilling)",
		`skipped group "JIT AWS Admin" (00gjitadmin) as "db-prod": a configured resource has this id, and wins`,
		`skipped group "JIT AWS Read" (00gjitread) as "db-prod": an earlier item of this rule yields the same id`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	sb.Okta.FailNextMatching(func(r *http.Request) bool { return r.URL.Query().Get("search") != "" }, fakeokta.Fault{Status: 400, ErrorCode: "E0000031", ErrorSummary: "Invalid search criteria."})
	code, out = checkText(t, sb.ConfigYAML(jitSources))
	if code != exitFailed || !strings.Contains(out, "FATAL    resource_sources[0]: Okta did not answer the rule") {
		t.Errorf("a search Okta refuses: exit %d:\n%s", code, out)
	}
}

// checkText runs `accessbot check` on a config text.
func checkText(t *testing.T, text string) (int, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accessbot.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runAccessbot(t, nil, "check", "--config", path)
	if stderr != "" {
		t.Errorf("check wrote to stderr: %s", stderr)
	}
	return code, stdout
}
