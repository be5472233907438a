package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// endOf is the audit event that ends a grant of resource by p, started at
// granted and held for held, asked for dur, used uses times from first to
// last after its start, the way the workflow writes it.
func endOf(typ access.EventType, p SandboxPerson, resource string, granted time.Time, held time.Duration, dur string, uses int, first, last time.Duration) access.Event {
	d := map[string]string{access.DetailGrantedAt: granted.UTC().Format(time.RFC3339), access.DetailUses: strconv.Itoa(uses),
		access.DetailDuration: dur, "target": "group 00g", "okta_user": p.OktaID, "dry_run": "false"}
	if uses > 0 {
		d[access.DetailFirstUsed] = granted.Add(first).UTC().Format(time.RFC3339)
		d[access.DetailLastUsed] = granted.Add(last).UTC().Format(time.RFC3339)
	}
	u := access.User{SlackID: p.SlackID, Email: p.Email}
	return access.Event{Time: granted.Add(held), Type: typ, Actor: access.System, Subject: u, ResourceID: resource, RequestID: "r" + strconv.Itoa(int(held)), Details: d}
}

func (e *e2e) report(cfgPath string, args ...string) (string, string, int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := Command(e.ctx(), append([]string{"report", "--config", cfgPath}, args...), &out, &errb, func(string) string { return "" })
	return out.String(), errb.String(), code
}

// The report's numbers on a prepared trail, while the bot runs (from the
// audit mirror) and once it stopped (from the store), in every format.
func TestReportOnPreparedTrail(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	now := e.sb.Clock.Now()
	day := 24 * time.Hour
	old := now.Add(-40 * day) // ended before the default 30d window
	t0 := now.Add(-3 * day)
	trail := []access.Event{
		endOf(access.EventExpired, Alice, "db-prod", old, day, "1d", 0, 0, 0),
		endOf(access.EventExpired, Alice, "db-prod", t0, day, "1d", 0, 0, 0),
		endOf(access.EventExpired, Bob, "db-prod", t0, day, "1d", 3, 10*time.Minute, 90*time.Minute),
		endOf(access.EventRevoked, Carol, "db-prod", t0, 12*time.Hour, "1d", 1, 30*time.Minute, 30*time.Minute),
		endOf(access.EventExpired, Dave, "db-prod", t0, day, "1d", 0, 0, 0),
		endOf(access.EventExpired, Erin, "db-prod", t0, day, "1d", 2, 20*time.Minute, 20*time.Hour),
		endOf(access.EventExpired, Bob, "db-prod", t0, 4*time.Hour, "4h", 5, time.Hour, 4*time.Hour),
		endOf(access.EventRemovedOutside, Alice, "grafana-daily", t0, 10*time.Hour, "activity", 4, 2*time.Hour, 5*time.Hour),
	}
	if err := e.m.Store().Append(e.ctx(), trail...); err != nil {
		t.Fatal(err)
	}
	e.audMirrorEqualsStore()
	cfgPath := filepath.Join(t.TempDir(), "accessbot.yaml")
	if err := os.WriteFile(cfgPath, []byte(usageConfig(t)(e.sb.ConfigYAML(""))), 0o600); err != nil {
		t.Fatal(err)
	}

	check := func(source string) {
		t.Helper()
		out, stderr, code := e.report(cfgPath, "--format", "json")
		if code != exitOK || !strings.Contains(stderr, source) {
			t.Fatalf("report: exit %d, stderr %q; want 0, read from the %s", code, stderr, source)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("report json: %v\n%s", err, out)
		}
		if len(rows) != 3 || rows[0]["resource"] != "db-prod" || rows[1]["resource"] != "grafana-daily" || rows[2]["resource"] != "*" {
			t.Fatalf("rows: %s", out)
		}
		db, org := rows[0], rows[2]
		if db["grants"] != 6.0 || db["never_used"] != 2.0 || db["never_used_share"] != 2.0/6 || db["median_time_to_first_use"] != "25m" ||
			db["hint"] != "db-prod: 80% of 1d grants were last used within 2h — offer 4h" || db["offer"] != "4h" {
			t.Errorf("db-prod row: %v", db)
		}
		if org["grants"] != 7.0 || org["never_used"] != 2.0 || org["never_used_share"] != 2.0/7 {
			t.Errorf("org row: %v", org)
		}
		out, _, code = e.report(cfgPath, "--since", "60d", "--resource", "db-prod")
		if code != exitOK || !containsAll(out, "db-prod", "7", "3 (43%)", "*", "3 of 7 grants", "hint: db-prod:") {
			t.Errorf("table, 60 days, db-prod only: exit %d\n%s", code, out)
		}
		out, _, code = e.report(cfgPath, "--format", "csv")
		if code != exitOK || !strings.HasPrefix(out, "resource,grants,never_used,never_used_share,") || !strings.Contains(out, "\n*,7,2,0.286,") {
			t.Errorf("csv: exit %d\n%s", code, out)
		}
	}
	check("audit mirror")
	for _, bad := range [][]string{{"--format", "xml"}, {"--since", "last tuesday"}} {
		if _, stderr, code := e.report(cfgPath, bad...); code != exitUsage || !strings.Contains(stderr, bad[0]) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error naming the flag", bad, code, stderr)
		}
	}
	e.stop()
	check("from the store")
}

// /access report answers admins, only them, ephemerally.
func TestReportInSlackForAdmins(t *testing.T) {
	e := startE2E(t, usageConfig(t))
	now := e.sb.Clock.Now()
	if err := e.m.Store().Append(e.ctx(),
		endOf(access.EventExpired, Alice, "db-prod", now.Add(-48*time.Hour), 24*time.Hour, "1d", 0, 0, 0),
		endOf(access.EventExpired, Bob, "db-prod", now.Add(-48*time.Hour), 24*time.Hour, "1d", 1, time.Hour, time.Hour),
	); err != nil {
		t.Fatal(err)
	}
	mark := e.sb.Slack.Mark()
	e.slash(Erin, "/access", "report db-prod")
	msg := e.reply(mark, Erin, "Utilization", "db-prod", "2 grants, 50% never used", "all resources")
	if msg.Channel == dm(Erin) || len(e.posted(mark, "C0GENERAL")) > 0 {
		t.Fatalf("the report was not ephemeral: %+v", msg)
	}
	mark = e.sb.Slack.Mark()
	e.slash(Alice, "/access", "report")
	e.reply(mark, Alice, "The utilization report is for admins.")
	e.slash(Erin, "/access", "report nosuch")
	e.reply(mark, Erin, "There is no resource \"nosuch\"")
}
