package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/store"
)

var strandedT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// preparedGrant is one request to put in a prepared store, with the target
// its provisioned event records ("" writes no such event).
type preparedGrant struct {
	id, resource string
	state        access.State
	target       string
	standing     bool
	dryRun       bool
}

// prepareStore writes grants to a new store file at path, as a bot that
// granted them would have left it, and closes it.
func prepareStore(t *testing.T, path string, grants []preparedGrant) {
	t.Helper()
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rs []*access.Request
	var events []access.Event
	for i, g := range grants {
		granted := strandedT0.Add(time.Duration(i) * time.Minute)
		r := &access.Request{ID: g.id, Kind: access.KindAccess, ResourceID: g.resource, State: g.state,
			Requester: access.User{SlackID: "U0ALICE", Email: "alice@example.com"},
			Duration:  time.Hour, CreatedAt: granted.Add(-time.Minute), UpdatedAt: granted}
		r.Grant.Standing = g.standing
		if g.state == access.StateActive {
			r.Grant.GrantedAt, r.Grant.ExpiresAt, r.Due = granted, granted.Add(time.Hour), granted.Add(time.Hour)
		}
		rs = append(rs, r)
		if g.target != "" {
			details := map[string]string{"target": g.target}
			if g.dryRun {
				details["dry_run"] = "true"
			}
			events = append(events, access.NewEvent(access.EventProvisioned, access.System, r, granted, details))
		}
	}
	if err := st.Import(context.Background(), rs, events); err != nil {
		t.Fatal(err)
	}
}

// strandedResources is the config after the edits: db-prod re-pointed from
// 00gold to 00gnew, aws-prod-read unchanged, grafana-admin now an app, and
// db-legacy, solo and mixed removed.
func strandedResources() []access.Resource {
	return []access.Resource{
		{ID: "aws-prod-read", Target: access.Target{Kind: access.TargetGroup, ID: "00gprodread"}},
		{ID: "db-prod", Target: access.Target{Kind: access.TargetGroup, ID: "00gnew"}},
		{ID: "grafana-admin", Target: access.Target{Kind: access.TargetApp, ID: "0oagrafana"}},
	}
}

func strandedGrantsFixture() []preparedGrant {
	active := access.StateActive
	return []preparedGrant{
		// Unchanged resource: nothing to say.
		{id: "a1", resource: "aws-prod-read", state: active, target: "group 00gprodread"},
		// Re-pointed: two grants on the old group, one already on the new one.
		{id: "d1", resource: "db-prod", state: active, target: "group 00gold"},
		{id: "d2", resource: "db-prod", state: active, target: "group 00gold"},
		{id: "d3", resource: "db-prod", state: active, target: "group 00gnew"},
		// Re-pointed from a group to an app, one grant.
		{id: "g1", resource: "grafana-admin", state: active, target: "group 00ggrafana"},
		// Removed, three grants on one group; ended, pending, standing and
		// dry-run grants beside them do not count.
		{id: "l1", resource: "db-legacy", state: active, target: "group 00glegacy"},
		{id: "l2", resource: "db-legacy", state: active, target: "group 00glegacy"},
		{id: "l3", resource: "db-legacy", state: active, target: "group 00glegacy"},
		{id: "l4", resource: "db-legacy", state: access.StateExpired, target: "group 00glegacy"},
		{id: "l5", resource: "db-legacy", state: access.StatePending},
		{id: "l6", resource: "db-legacy", state: active, standing: true},
		{id: "l7", resource: "db-legacy", state: active, target: "group 00glegacy", dryRun: true},
		// Removed, one grant.
		{id: "s1", resource: "solo", state: active, target: "app 0oasolo"},
		// Removed, grants on two targets and one whose target is not recorded.
		{id: "m1", resource: "mixed", state: active, target: "group 00gmixed"},
		{id: "m2", resource: "mixed", state: active, target: "app 0oamixed"},
		{id: "m3", resource: "mixed", state: active, target: "group 00gmixed"},
		{id: "m4", resource: "mixed", state: active},
		// Removed, only dry-run or standing grants: nothing in Okta to remove.
		{id: "x1", resource: "dry", state: active, target: "group 00gdry", dryRun: true},
		{id: "x2", resource: "dry", state: active, standing: true},
	}
}

func TestStrandedGrants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	prepareStore(t, path, strandedGrantsFixture())
	got, err := readStrandedGrants(context.Background(), path, strandedResources())
	if err != nil {
		t.Fatal(err)
	}
	want := []storeWarning{
		{"resources[1].okta_group", "db-prod now points to the group 00gnew, and 2 active grants were made on the group 00gold; " +
			"they will be removed from the group 00gold when they end, and new grants go to the group 00gnew"},
		{"resources[2].okta_app", "grafana-admin now points to the app 0oagrafana, and 1 active grant was made on the group 00ggrafana; " +
			"it will be removed from the group 00ggrafana when it ends, and new grants go to the app 0oagrafana"},
		{"resources", "db-legacy was removed from the config and still has 3 active grants; " +
			"they will still expire and be removed from the group 00glegacy they were granted on"},
		{"resources", "mixed was removed from the config and still has 4 active grants; each will still expire and be removed " +
			"from the target it was granted on (group 00gmixed (2), app 0oamixed (1), 1 with no recorded target)"},
		{"resources", "solo was removed from the config and still has 1 active grant; " +
			"it will still expire and be removed from the app 0oasolo it was granted on"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("warnings:\n%s\nwant\n%s", warningLines(got), warningLines(want))
	}
}

func TestStrandedGrantsNoneWhenNothingChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	prepareStore(t, path, []preparedGrant{
		{id: "a1", resource: "aws-prod-read", state: access.StateActive, target: "group 00gprodread"},
		{id: "d1", resource: "db-prod", state: access.StateActive, target: "group 00gnew"},
		// Unknown target: it cannot be told re-pointed, so no warning.
		{id: "d2", resource: "db-prod", state: access.StateActive},
	})
	got, err := readStrandedGrants(context.Background(), path, strandedResources())
	if err != nil || len(got) != 0 {
		t.Fatalf("warnings %q, error %v; want none", warningLines(got), err)
	}
}

func TestStrandedGrantsMissingStoreIsNotCreated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	got, err := readStrandedGrants(context.Background(), path, strandedResources())
	if err != nil || len(got) != 0 {
		t.Fatalf("warnings %q, error %v; want none", warningLines(got), err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the store was created: %v", err)
	}
}

// A store held by a running bot cannot be read: one warning says so, and the
// caller goes on.
func TestStrandedGrantsLockedStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	prepareStore(t, path, strandedGrantsFixture())
	held, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	got, err := readStrandedGrants(context.Background(), path, strandedResources())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Path != "store.path" || !containsAll(got[0].Message, path, "in use by a running accessbot", "could not be counted") {
		t.Fatalf("warnings %q; want one saying the store is in use", warningLines(got))
	}
}

func TestStrandedGrantsUnreadableStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	if err := os.WriteFile(path, []byte("not a bbolt file, but long enough to be read as one's pages"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readStrandedGrants(context.Background(), path, strandedResources()); err == nil {
		t.Fatal("no error for a file that is not a store")
	}
}

// The start-up checks and `accessbot check` report the same warnings, with
// their key paths, as warnings that do not stop the bot.
func TestCheckReportsStrandedGrants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.db")
	prepareStore(t, path, []preparedGrant{
		{id: "l1", resource: "db-legacy", state: access.StateActive, target: "group 00glegacy"},
	})
	sb := newCheckSandbox(t)
	cfg, err := sb.Config("")
	if err != nil {
		t.Fatal(err)
	}
	c := checker{cfg: cfg, storePath: path,
		slack: checkStubSlack{info: bot.TokenInfo{TeamID: "T1", Scopes: []string{"commands", "chat:write", "im:write", "users:read", "users:read.email", "usergroups:read"}},
			users: checkSandboxEmails()},
		okta: checkStubOkta{}}
	rep := c.run(context.Background())
	want := checkProblem{Fatal: false, Subject: "resources", Message: "db-legacy was removed from the config and still has 1 active grant; " +
		"it will still expire and be removed from the group 00glegacy it was granted on"}
	found := false
	for _, p := range rep.Problems {
		if p == want {
			found = true
		} else if p.Fatal {
			t.Errorf("fatal problem %s", p)
		}
	}
	if !found {
		var b strings.Builder
		rep.Write(&b)
		t.Fatalf("report lacks %q:\n%s", want, b.String())
	}
}

func warningLines(ws []storeWarning) string {
	lines := make([]string, len(ws))
	for i, w := range ws {
		lines[i] = "  " + w.String()
	}
	return strings.Join(lines, "\n")
}

// withoutDBProd removes the db-prod resource, the sandbox config's last, and
// re-points aws-prod-read to db-prod's group.
func withoutDBProd(t *testing.T, text string) string {
	t.Helper()
	before, after, ok := strings.Cut(text, "  - id: db-prod\n")
	if !ok || strings.Count(after, "\n") != 4 {
		t.Fatalf("the sandbox config no longer ends with db-prod:\n%s", text)
	}
	repointed := strings.Replace(before, "okta_group: "+SandboxGroupProdRead, "okta_group: "+SandboxGroupDB, 1)
	if repointed == before {
		t.Fatalf("the sandbox config has no okta_group: %s", SandboxGroupProdRead)
	}
	return repointed
}

// Through the real Main: grants made by the bot, then a config that removes
// one resource and re-points another. While the bot runs, validate cannot
// read the store and says so; once it stops, validate, `accessbot check`
// and the start-up checks count the grants from what the bot recorded.
func TestValidateAndChecksCountStrandedGrants(t *testing.T) {
	e := startE2E(t)
	dbID, bobDM := e.ask(Alice, "db-prod 1h INC-30 migrate", Bob)
	e.click(Bob, bobDM, bot.ActionApprove)
	e.waitState(dbID, access.StateActive)
	awsID, aliceDM := e.ask(Carol, "aws-prod-read 1h INC-31 dashboards", Alice)
	e.click(Alice, aliceDM, bot.ActionApprove)
	e.waitState(awsID, access.StateActive)

	edited := withoutDBProd(t, e.sb.ConfigYAML(""))
	cfgPath := filepath.Join(t.TempDir(), "accessbot.yaml")
	if err := os.WriteFile(cfgPath, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	storePath := e.cfg.Store.Path

	code, out, stderr := runAccessbot(t, nil, "validate", "--config", cfgPath)
	if code != exitOK || stderr != "" || !containsAll(out, "config OK", "1 warning about the store "+storePath,
		"  store.path: "+storePath+" is in use by a running accessbot, so the active grants of removed or re-pointed resources could not be counted") {
		t.Fatalf("validate while the bot runs: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}

	e.stop()
	removed := "resources: db-prod was removed from the config and still has 1 active grant; " +
		"it will still expire and be removed from the group " + SandboxGroupDB + " it was granted on"
	repointed := "resources[0].okta_group: aws-prod-read now points to the group " + SandboxGroupDB +
		", and 1 active grant was made on the group " + SandboxGroupProdRead + "; it will be removed from the group " +
		SandboxGroupProdRead + " when it ends, and new grants go to the group " + SandboxGroupDB
	code, out, stderr = runAccessbot(t, nil, "validate", "--config", cfgPath)
	if code != exitOK || stderr != "" || !containsAll(out, "config OK", "2 warnings about the store "+storePath, "\n  "+repointed+"\n", "\n  "+removed+"\n") {
		t.Fatalf("validate: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}

	code, out, stderr = runAccessbot(t, nil, "check", "--config", cfgPath)
	if code != exitOK || stderr != "" || !containsAll(out, "WARNING  "+removed+"\n", "WARNING  "+repointed+"\n") {
		t.Fatalf("check: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}

	cfg, err := config.Parse([]byte(edited), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	m := NewMain(cfg, zerolog.New(&logs))
	if err := m.startupChecks(e.ctx()); err != nil {
		t.Fatalf("start-up checks: %v", err)
	}
	for _, w := range []string{
		`"level":"warn","component":"checks","check":"resources","fatal":false,"message":"db-prod was removed from the config and still has 1 active grant`,
		`"level":"warn","component":"checks","check":"resources[0].okta_group","fatal":false,"message":"aws-prod-read now points to the group ` + SandboxGroupDB,
	} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("start-up log lacks %s:\n%s", w, logs.String())
		}
	}
}
