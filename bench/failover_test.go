package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store/postgres"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
	"github.com/accessbot/accessbot/test/proctest"
)

// measureFailover fills the failover row: two replicas on one PostgreSQL
// database grant sz.FailoverGrants, whose ends are then spread over one
// second; the leader is SIGKILLed as that second begins, and each removal
// is timed from the grant's end to Okta receiving the DELETE, which the
// other replica sends once it has taken over.
func measureFailover(t *testing.T, sz sizes, res *results) {
	dbURL := pgtest.URL(t)
	w := newWorld(t, sz.FailoverGrants, 1)
	w.slack.SetRouter(fakeslack.Spread(1))
	base, err := os.ReadFile(w.writeConfig())
	if err != nil {
		t.Fatal(err)
	}
	var procs []*botProcess
	var ports []int
	for i := range 2 {
		port := proctest.FreePort(t)
		text := strings.Replace(string(base), "store:\n  path: "+w.storePath(), "store:\n  url: "+dbURL, 1)
		text = strings.Replace(text, "audit:\n  path: "+w.auditPath(), fmt.Sprintf("audit:\n  path: %s/audit-%d.jsonl", w.dir, i), 1)
		text += fmt.Sprintf("http:\n  listen: 127.0.0.1:%d\n", port)
		if !strings.Contains(text, dbURL) {
			t.Fatal("the world's config has no store.path to replace")
		}
		cfg := filepath.Join(w.dir, fmt.Sprintf("replica-%d.yaml", i))
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, startBotWith(t, w, cfg))
		ports = append(ports, port)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*wait)
	defer cancel()

	ids := make([]string, sz.FailoverGrants)
	err = parallel(sz.FailoverGrants, min(sz.FlowConcurrency, 16), func(i int) error {
		id, _, err := w.flow(ctx, w.requesters[i], w.approvers[i%len(w.approvers)], w.resources[0])
		ids[i] = id
		return err
	})
	if err != nil {
		t.Fatalf("flows: %v\n%s", err, procs[0].tail()+procs[1].tail())
	}
	leader := -1
	deadline := time.Now().Add(wait)
	leaderClient := &http.Client{Timeout: 500 * time.Millisecond}
	for leader < 0 {
		for i, port := range ports {
			if proctest.Leads(leaderClient, port) {
				leader = i
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no replica reports that it leads")
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}

	// The grants end one after the other within one second, from the
	// moment the leader is killed.
	st, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	second := time.Now().Add(time.Second + time.Duration(len(ids))*10*time.Millisecond).Truncate(time.Second).Add(time.Second)
	expires := map[string]time.Time{}
	for i, id := range ids {
		at := second.Add(time.Duration(i) * time.Second / time.Duration(len(ids)))
		_, err := st.Update(ctx, id, func(r *access.Request) ([]access.Event, error) {
			r.Grant.ExpiresAt = at
			r.Grant.RemindersSent = []time.Duration{time.Hour, 10 * time.Minute}
			r.Due = at
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		expires[id] = at
	}
	if time.Now().After(second) {
		t.Fatalf("rewriting %d grants took too long: their second has begun", len(ids))
	}
	time.Sleep(time.Until(second)) // the kill is the moment measured from, not a wait for something
	_ = procs[leader].cmd.Process.Signal(syscall.SIGKILL)
	<-procs[leader].exited

	for i, id := range ids {
		path := "/api/v1/groups/" + groupID(0) + "/users/" + w.requesters[i].OktaID
		c, err := w.okta.WaitCall(ctx, func(c fakeokta.Call) bool { return c.Method == http.MethodDelete && c.Path == path })
		if err != nil {
			t.Fatalf("grant %s was not removed after the leader was killed: %v\n%s", id, err, procs[1-leader].tail())
		}
		res.failover = append(res.failover, c.Time.Sub(expires[id]))
	}
	procs[1-leader].stop()
	res.logErrors += procs[1-leader].logLines("error")
}
