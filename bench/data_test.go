package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/store"
)

// importBatch is how many requests one generating transaction writes.
const importBatch = 5_000

// historyUsers is how many people the generated history spreads over: a
// company of some thousands, each with a few hundred requests over the
// years at a million requests.
const historyUsers = 5_000

// generator writes generated requests straight into a store file, in big
// unsynced transactions, so that a million take a minute rather than hours.
type generator struct {
	st     *store.Store
	mirror *bufio.Writer // the audit mirror file, or nil
	seq    uint64
}

// generate opens (creating) the store at path, calls fill and closes it.
// With mirrorPath it also writes the audit mirror the bot would have
// written for those events, so the bot starts from a mirror that is up to
// date, as it would be in production.
func generate(path, mirrorPath string, fill func(g *generator) error) error {
	st, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		return err
	}
	g := &generator{st: st}
	var f *os.File
	if mirrorPath != "" {
		if f, err = os.OpenFile(mirrorPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err != nil {
			_ = st.Close()
			return err
		}
		g.mirror = bufio.NewWriterSize(f, 1<<20)
	}
	err = fill(g)
	if g.mirror != nil {
		if ferr := g.mirror.Flush(); err == nil {
			err = ferr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// add stores requests and events in one transaction and mirrors the events.
func (g *generator) add(rs []*access.Request, events []access.Event) error {
	if err := g.st.Import(context.Background(), rs, events); err != nil {
		return err
	}
	if g.mirror == nil {
		g.seq += uint64(len(events))
		return nil
	}
	for _, e := range events {
		g.seq++
		e.Seq = g.seq
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, _ = g.mirror.Write(line)
		if err := g.mirror.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// history adds n requests that ended long ago, each with the audit events
// of its life: requested, approved, provisioned and expired a year's worth
// of time before now. known people make the first requesters; the rest are
// people who have left Slack's cache but not the history.
func (g *generator) history(n int, now time.Time, resources []string, known, approvers []person) error {
	rs := make([]*access.Request, 0, importBatch)
	events := make([]access.Event, 0, 4*importBatch)
	for i := range n {
		r, evs := historical(i, n, now, resources, known, approvers)
		rs, events = append(rs, r), append(events, evs...)
		if len(rs) == importBatch || i == n-1 {
			if err := g.add(rs, events); err != nil {
				return err
			}
			rs, events = rs[:0], events[:0]
		}
	}
	return nil
}

func historyPerson(i int, known []person) access.User {
	u := i % historyUsers
	if u < len(known) {
		p := known[u]
		return access.User{SlackID: p.SlackID, Email: p.Email, Name: p.Name}
	}
	name := fmt.Sprintf("former%05d", u)
	return access.User{SlackID: "UFORMER" + fmt.Sprintf("%05d", u), Email: name + "@example.com", Name: name}
}

// historical is request i of n: an expired grant, filed (n-i) half-minutes
// before now, with the message references and decisions a real one has.
func historical(i, n int, now time.Time, resources []string, known, approvers []person) (*access.Request, []access.Event) {
	created := now.Add(-time.Duration(n-i) * 30 * time.Second).Add(-24 * time.Hour).UTC()
	approver := approvers[i%len(approvers)]
	by := access.User{SlackID: approver.SlackID, Email: approver.Email, Name: approver.Name}
	decided, granted := created.Add(3*time.Minute), created.Add(3*time.Minute+400*time.Millisecond)
	expires := granted.Add(time.Hour)
	r := &access.Request{
		ID:         fmt.Sprintf("h%07d", i),
		Kind:       access.KindAccess,
		Requester:  historyPerson(i, known),
		ResourceID: resources[i%len(resources)],
		Duration:   time.Hour,
		Reason:     fmt.Sprintf("INC-%d: checkout latency alarms; need to read the load balancer logs", 10000+i%90000),
		State:      access.StateExpired,
		CreatedAt:  created,
		UpdatedAt:  expires,
		Decisions:  []access.Decision{{By: by, At: decided, Approve: true}},
		DecidedAt:  decided,
		Grant: access.Grant{
			Checked: true, GrantedAt: granted, ExpiresAt: expires,
			RemindersSent: []time.Duration{10 * time.Minute},
			Removal:       &access.Removal{Outcome: access.StateExpired, By: access.System, RequestedAt: expires},
			EndedAt:       expires.Add(300 * time.Millisecond),
		},
		RequesterMessage: access.MessageRef{UserID: "U", Channel: "D", TS: fmt.Sprintf("1600000000.%06d", i%1_000_000)},
	}
	for _, a := range approvers {
		r.Approvers = append(r.Approvers, a.Email)
		r.ApproverMessages = append(r.ApproverMessages, access.MessageRef{UserID: a.SlackID, Channel: a.dm(), TS: fmt.Sprintf("1600000000.%06d", i%1_000_000)})
	}
	r.RequesterMessage.UserID, r.RequesterMessage.Channel = r.Requester.SlackID, "D"+r.Requester.SlackID
	target := map[string]string{"target": "group " + r.ResourceID}
	events := []access.Event{
		access.NewEvent(access.EventRequested, r.Requester, r, created, map[string]string{"duration": "1h", "reason": r.Reason, "approvers": "approver1@example.com,approver2@example.com,approver3@example.com"}),
		access.NewEvent(access.EventApproved, by, r, decided, map[string]string{"approvals": "1", "required": "1", "requested_at": created.Format(time.RFC3339Nano)}),
		access.NewEvent(access.EventProvisioned, access.System, r, granted, map[string]string{"expires_at": expires.Format(time.RFC3339), "target": target["target"]}),
		access.NewEvent(access.EventExpired, access.System, r, r.Grant.EndedAt, target),
	}
	return r, events
}

// grants adds n active grants, none due before notBefore, without events:
// what the expiry sweep looks at.
func (g *generator) grants(n int, notBefore time.Time, resources []string) error {
	rs := make([]*access.Request, 0, importBatch)
	for i := range n {
		r, _ := historical(i, n, notBefore, resources, nil, []person{{SlackID: "UAPPROVER", Email: "approver@example.com", Name: "approver"}})
		r.ID = fmt.Sprintf("g%07d", i)
		r.State = access.StateActive
		r.Grant.Removal, r.Grant.EndedAt = nil, time.Time{}
		r.Grant.GrantedAt = notBefore.Add(-time.Hour)
		r.Grant.ExpiresAt = notBefore.Add(time.Hour + time.Duration(i)*time.Millisecond)
		r.Due = r.Grant.ExpiresAt
		rs = append(rs, r)
		if len(rs) == importBatch || i == n-1 {
			if err := g.add(rs, nil); err != nil {
				return err
			}
			rs = rs[:0]
		}
	}
	return nil
}

// dueGrants adds one active grant of resource (Okta group group) to each of
// holders, all ending at at, as the bot records a grant it made: the Okta
// account and group it changed, and the reminders already sent.
func (g *generator) dueGrants(holders []person, at time.Time, resource, group string) error {
	rs := make([]*access.Request, 0, importBatch)
	for i, p := range holders {
		r, _ := historical(i, len(holders), at, []string{resource}, []person{p}, []person{{SlackID: "UAPPROVER", Email: "approver@example.com", Name: "approver"}})
		r.ID = fmt.Sprintf("m%07d", i)
		r.Requester = access.User{SlackID: p.SlackID, Email: p.Email, Name: p.Name}
		r.RequesterMessage = access.MessageRef{}
		r.ApproverMessages, r.Approvers = nil, nil
		r.State = access.StateActive
		r.Grant.Removal, r.Grant.EndedAt = nil, time.Time{}
		r.Grant.Account = access.Account{ID: p.OktaID, Login: p.Email}
		r.Grant.Target = access.Target{Kind: access.TargetGroup, ID: group}
		r.Grant.GrantedAt, r.Grant.ExpiresAt = at.Add(-time.Hour), at
		r.Grant.RemindersSent = []time.Duration{time.Hour, 10 * time.Minute}
		r.Due = at
		rs = append(rs, r)
		if len(rs) == importBatch || i == len(holders)-1 {
			if err := g.add(rs, nil); err != nil {
				return err
			}
			rs = rs[:0]
		}
	}
	return nil
}
