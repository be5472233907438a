package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
}

// wfCall is one call the bot made to the workflow.
type wfCall struct {
	Method string
	Actor  string
	ID     string // request or resource id
	Reason string
	Input  workflow.RequestInput
	Extend time.Duration
}

// fakeWorkflow records the bot's calls and answers with canned results.
type fakeWorkflow struct {
	cat *access.Catalog

	mu      sync.Mutex
	calls   []wfCall
	changed chan struct{}
	errs    map[string]error // method -> error to return
	panics  map[string]bool  // method -> panic instead
	req     access.Request   // what request-returning methods answer
}

func newFakeWorkflow() *fakeWorkflow {
	return &fakeWorkflow{
		cat: access.NewCatalog([]access.Resource{
			testResource(),
			{ID: "grafana", Name: "Grafana admin", Approvers: []string{"bob@example.com"}, Durations: []time.Duration{30 * time.Minute}, MinApprovals: 1},
		}),
		changed: make(chan struct{}),
		errs:    map[string]error{},
		panics:  map[string]bool{},
		req:     testRequest(access.StatePending),
	}
}

func (f *fakeWorkflow) fail(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[method] = err
}

func (f *fakeWorkflow) record(c wfCall) (access.Request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	close(f.changed)
	f.changed = make(chan struct{})
	if f.panics[c.Method] {
		panic("fake workflow: " + c.Method + " panics")
	}
	return f.req, f.errs[c.Method]
}

// waitCall waits until the bot called method n times and returns the nth call.
func (f *fakeWorkflow) waitCall(ctx context.Context, t *testing.T, method string, n int) wfCall {
	t.Helper()
	for {
		f.mu.Lock()
		seen := 0
		for _, c := range f.calls {
			if c.Method == method {
				if seen++; seen == n {
					f.mu.Unlock()
					return c
				}
			}
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("the bot did not call %s %d time(s): %v", method, n, ctx.Err())
		}
	}
}

func (f *fakeWorkflow) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

func (f *fakeWorkflow) Catalog() *access.Catalog { return f.cat }
func (f *fakeWorkflow) DryRun() bool             { return false }

func (f *fakeWorkflow) FormFor(_ context.Context, actorID, resourceID string) (workflow.Form, error) {
	_, err := f.record(wfCall{Method: "FormFor", Actor: actorID, ID: resourceID})
	if err != nil {
		return workflow.Form{}, err
	}
	res, err := f.cat.Get(resourceID)
	if err != nil {
		return workflow.Form{}, err
	}
	form := workflow.Form{Resource: *res}
	for _, d := range res.Durations {
		form.Durations = append(form.Durations, access.FormatDuration(d))
	}
	for _, a := range res.Approvers {
		if a != "alice@example.com" {
			form.Approvers = append(form.Approvers, a)
		}
	}
	return form, nil
}

func (f *fakeWorkflow) Validate(_ context.Context, actorID string, in workflow.RequestInput) error {
	_, err := f.record(wfCall{Method: "Validate", Actor: actorID, Input: in})
	return err
}

func (f *fakeWorkflow) Submit(_ context.Context, actorID string, in workflow.RequestInput) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Submit", Actor: actorID, Input: in}))
}

func (f *fakeWorkflow) Approve(_ context.Context, actorID, requestID string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Approve", Actor: actorID, ID: requestID}))
}

func (f *fakeWorkflow) Deny(_ context.Context, actorID, requestID, reason string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Deny", Actor: actorID, ID: requestID, Reason: reason}))
}

func (f *fakeWorkflow) CheckDecider(_ context.Context, actorID, requestID string) error {
	_, err := f.record(wfCall{Method: "CheckDecider", Actor: actorID, ID: requestID})
	return err
}

func (f *fakeWorkflow) Cancel(_ context.Context, actorID, requestID string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Cancel", Actor: actorID, ID: requestID}))
}

func (f *fakeWorkflow) Nudge(_ context.Context, actorID, requestID string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Nudge", Actor: actorID, ID: requestID}))
}

func (f *fakeWorkflow) Delegate(_ context.Context, actorID string, in workflow.DelegateInput) (access.Delegation, error) {
	_, err := f.record(wfCall{Method: "Delegate", Actor: actorID, ID: in.To})
	return access.Delegation{}, err
}

func (f *fakeWorkflow) EndDelegation(_ context.Context, actorID string) (access.Delegation, error) {
	_, err := f.record(wfCall{Method: "EndDelegation", Actor: actorID})
	return access.Delegation{}, err
}

func (f *fakeWorkflow) Revoke(_ context.Context, actorID, requestID string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Revoke", Actor: actorID, ID: requestID}))
}

func (f *fakeWorkflow) Extend(_ context.Context, actorID, requestID string, d time.Duration) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Extend", Actor: actorID, ID: requestID, Extend: d}))
}

func (f *fakeWorkflow) BreakGlass(_ context.Context, actorID, resourceID, reason string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "BreakGlass", Actor: actorID, ID: resourceID, Reason: reason}))
}

func (f *fakeWorkflow) List(_ context.Context, actorID string) (workflow.Overview, error) {
	r, err := f.record(wfCall{Method: "List", Actor: actorID})
	return workflow.Overview{Mine: []*access.Request{&r}}, err
}

func (f *fakeWorkflow) Get(_ context.Context, id string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Get", ID: id}))
}

func result(r access.Request, err error) (*access.Request, error) {
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func (f *fakeWorkflow) LetExpire(_ context.Context, actorID, id string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "LetExpire", Actor: actorID, ID: id}))
}

func (f *fakeWorkflow) Keep(_ context.Context, actorID, id string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Keep", Actor: actorID, ID: id}))
}

func (f *fakeWorkflow) Report(_ context.Context, actorID, id string, _ time.Duration) ([]access.Utilization, error) {
	_, err := f.record(wfCall{Method: "Report", Actor: actorID, ID: id})
	return []access.Utilization{{Resource: access.AllResources}}, err
}

// callsOf returns the calls of method made so far.
func (f *fakeWorkflow) callsOf(method string) []wfCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wfCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeWorkflow) PlanRevokeAll(_ context.Context, actorID string, t workflow.RevokeAllTarget) (workflow.RevokeAllPlan, error) {
	_, err := f.record(wfCall{Method: "PlanRevokeAll", Actor: actorID, ID: t.ResourceID + t.PersonID})
	return workflow.RevokeAllPlan{Person: access.User{SlackID: t.PersonID}, Grants: 2, Open: 1}, err
}

func (f *fakeWorkflow) RevokeAll(_ context.Context, actorID string, t workflow.RevokeAllTarget, reason string) (workflow.RevokeAllPlan, error) {
	_, err := f.record(wfCall{Method: "RevokeAll", Actor: actorID, ID: t.ResourceID + t.PersonID, Reason: reason})
	return workflow.RevokeAllPlan{Person: access.User{SlackID: t.PersonID}, Grants: 2, Open: 1, OrderID: "ord"}, err
}

func (f *fakeWorkflow) Pause(_ context.Context, actorID, resourceID, reason string) (access.Pause, error) {
	_, err := f.record(wfCall{Method: "Pause", Actor: actorID, ID: resourceID, Reason: reason})
	return access.Pause{ResourceID: resourceID, By: access.User{SlackID: actorID}, Reason: reason}, err
}

func (f *fakeWorkflow) Resume(_ context.Context, actorID, resourceID string) (access.Pause, error) {
	_, err := f.record(wfCall{Method: "Resume", Actor: actorID, ID: resourceID})
	return access.Pause{ResourceID: resourceID}, err
}

func (f *fakeWorkflow) Pauses(context.Context) ([]access.Pause, error) { return nil, nil }

func (f *fakeWorkflow) Renew(_ context.Context, actorID, id string) (*access.Request, error) {
	return result(f.record(wfCall{Method: "Renew", Actor: actorID, ID: id}))
}
