package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/provisioner"
	"github.com/accessbot/accessbot/store"
	"github.com/accessbot/accessbot/workflow"
)

// Sizes of the usage poll row: the same at quick and full sizes, it is a
// count of requests, not a time.
const (
	usageGrants  = 10_000
	usageSignOns = 2_500
)

// measureUsagePoll counts the System Log requests one usage poll makes
// with usageGrants watched grants (each with its own Okta account, on an
// app) and usageSignOns new sign-ons by their holders: it must follow the
// pages of events (Okta's maximum of 1,000 a page), not the grants.
func measureUsagePoll(t *testing.T, _ sizes, res *results) {
	okta := fakeokta.New(fakeokta.Options{})
	defer okta.Close()
	path := filepath.Join(t.TempDir(), "usage.db")
	err := generate(path, "", func(g *generator) error {
		rs := make([]*access.Request, 0, importBatch)
		for i := range usageGrants {
			r, _ := historical(i, usageGrants, sweepEpoch, []string{"res-0"}, nil, []person{{SlackID: "UAPPROVER", Email: "approver@example.com", Name: "approver"}})
			r.ID = fmt.Sprintf("g%07d", i)
			r.State = access.StateActive
			r.Grant.Removal, r.Grant.EndedAt = nil, time.Time{}
			r.Grant.GrantedAt, r.Grant.ExpiresAt = sweepEpoch.Add(-time.Hour), sweepEpoch.Add(time.Hour)
			r.Grant.Account = access.Account{ID: "00u" + r.ID}
			r.Grant.Target = access.Target{Kind: access.TargetApp, ID: "0oabench"}
			r.Due = r.Grant.ExpiresAt
			if rs = append(rs, r); len(rs) == importBatch || i == usageGrants-1 {
				if err := g.add(rs, nil); err != nil {
					return err
				}
				rs = rs[:0]
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	prov, err := provisioner.New(ctx, provisioner.Options{OrgURL: okta.URL(), Token: okta.Token(), AllowHTTP: true, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.New(workflow.Options{Catalog: access.NewCatalog([]access.Resource{{ID: "res-0", Target: access.Target{Kind: access.TargetApp, ID: "0oabench"}}}),
		Now: func() time.Time { return sweepEpoch }}, st, prov, nil, nil, nil)
	poller := workflow.NewUsagePoller(svc, workflow.UsageOptions{Log: prov.UsageLog(provisioner.UsageOptions{}), Apps: prov})
	if err := poller.Poll(ctx); err != nil { // the cursor, before any sign-on
		t.Fatal(err)
	}
	for i := range usageSignOns {
		okta.AddLogEvent(fakeokta.LogEvent{Published: sweepEpoch.Add(time.Duration(i) * time.Millisecond), EventType: "user.authentication.sso",
			Actor:   fakeokta.LogEntity{ID: fmt.Sprintf("00ug%07d", i*usageGrants/usageSignOns), Type: "User"},
			Targets: []fakeokta.LogEntity{{ID: "0oabench", Type: "AppInstance"}}})
	}
	before := logRequests(okta)
	if err := poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	res.usageRequests = logRequests(okta) - before
	res.usagePages = (usageSignOns + provisioner.DefaultUsagePageSize - 1) / provisioner.DefaultUsagePageSize
	used := 0
	open, err := st.ListOpen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range open {
		used += r.Grant.Usage.Uses
	}
	if used != usageSignOns {
		t.Fatalf("%d uses counted of %d sign-ons", used, usageSignOns)
	}
}

func logRequests(okta *fakeokta.Server) int {
	n := 0
	for _, c := range okta.Calls() {
		if strings.HasPrefix(c.Path, "/api/v1/logs") {
			n++
		}
	}
	return n
}

func (res *results) usageRow() row {
	return row{
		figure: fmt.Sprintf("System Log requests per usage poll, %s watched grants, %s new sign-ons (%d pages of 1,000)",
			count(usageGrants), count(usageSignOns), res.usagePages),
		measured: fmt.Sprint(res.usageRequests),
		target:   fmt.Sprintf("≤ pages + 1 = %d, whatever the number of grants", res.usagePages+1),
		met:      res.usageRequests > 0 && res.usageRequests <= res.usagePages+1,
	}
}
