package fakepagerduty_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/accessbot/accessbot/fake/fakepagerduty"
)

func ptr(t time.Time) *time.Time { return &t }

func setup(t *testing.T) (*fakepagerduty.Server, *pagerduty.Client, context.Context) {
	t.Helper()
	srv := fakepagerduty.New(fakepagerduty.Options{Logf: t.Logf})
	t.Cleanup(srv.Close)
	srv.AddUser(fakepagerduty.User{ID: "PU1", Name: "Alice", Email: "alice@example.com"})
	srv.AddUser(fakepagerduty.User{ID: "PU2", Name: "Bob", Email: "bob@example.com"})
	srv.AddSchedule("PS1", "Primary")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return srv, pagerduty.NewClient(srv.Token(), pagerduty.WithAPIEndpoint(srv.URL())), ctx
}

func TestListOnCallsWithUsers(t *testing.T) {
	srv, pd, ctx := setup(t)
	now := time.Now().UTC().Truncate(time.Second)
	srv.SetOnCalls([]fakepagerduty.OnCall{
		{UserID: "PU1", ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1, Start: ptr(now.Add(-time.Hour)), End: ptr(now.Add(time.Hour))},
		{UserID: "PU2", EscalationPolicyID: "PE1", Level: 2}, // permanent, no schedule
		{UserID: "PU1", ScheduleID: "PS1", EscalationPolicyID: "PE1", Level: 1, Start: ptr(now.Add(24 * time.Hour)), End: ptr(now.Add(48 * time.Hour))},
	})

	resp, err := pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{
		EscalationPolicyIDs: []string{"PE1"}, Includes: []string{"users"}, Earliest: true, TimeZone: "UTC",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.OnCalls) != 2 || resp.More {
		t.Fatalf("oncalls %+v", resp)
	}
	first, second := resp.OnCalls[0], resp.OnCalls[1]
	if first.User.Email != "alice@example.com" || first.User.Type != "user" || first.Schedule.Summary != "Primary" ||
		first.EscalationLevel != 1 || first.Start != now.Add(-time.Hour).Format(time.RFC3339) {
		t.Errorf("first %+v", first)
	}
	if second.User.Email != "bob@example.com" || second.Start != "" || second.End != "" || second.Schedule.ID != "" {
		t.Errorf("second %+v", second)
	}

	// Without include[]=users only references come back: no email.
	resp, err = pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{ScheduleIDs: []string{"PS1"}})
	if err != nil || len(resp.OnCalls) != 1 || resp.OnCalls[0].User.Email != "" || resp.OnCalls[0].User.Type != "user_reference" {
		t.Errorf("references %+v %v", resp, err)
	}

	// A window a day ahead finds the future shift only.
	resp, err = pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{
		UserIDs: []string{"PU1"},
		Since:   now.Add(30 * time.Hour).Format(time.RFC3339), Until: now.Add(31 * time.Hour).Format(time.RFC3339),
	})
	if err != nil || len(resp.OnCalls) != 1 || resp.OnCalls[0].End != now.Add(48*time.Hour).Format(time.RFC3339) {
		t.Errorf("future window %+v %v", resp, err)
	}
	if q := srv.Calls()[0].Query; !strings.Contains(q, "escalation_policy_ids%5B%5D=PE1") || !strings.Contains(q, "include%5B%5D=users") {
		t.Errorf("query %q", q)
	}
}

func TestListOnCallsPaging(t *testing.T) {
	srv, pd, ctx := setup(t)
	var entries []fakepagerduty.OnCall
	for i := 0; i < 7; i++ {
		entries = append(entries, fakepagerduty.OnCall{UserID: "PU1", EscalationPolicyID: fmt.Sprintf("PE%d", i), Level: 1})
	}
	srv.SetOnCalls(entries)
	var policies []string
	opts := pagerduty.ListOnCallOptions{Limit: 3}
	for pages := 1; ; pages++ {
		resp, err := pd.ListOnCallsWithContext(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, oc := range resp.OnCalls {
			policies = append(policies, oc.EscalationPolicy.ID)
		}
		if !resp.More {
			if pages != 3 {
				t.Errorf("%d pages", pages)
			}
			break
		}
		opts.Offset = resp.Offset + resp.Limit
	}
	if strings.Join(policies, ",") != "PE0,PE1,PE2,PE3,PE4,PE5,PE6" {
		t.Errorf("policies %v", policies)
	}
}

func TestGetUserAndErrors(t *testing.T) {
	srv, pd, ctx := setup(t)
	u, err := pd.GetUserWithContext(ctx, "PU2", pagerduty.GetUserOptions{})
	if err != nil || u.Email != "bob@example.com" || u.Name != "Bob" || u.Timezone != "UTC" {
		t.Fatalf("GetUser %+v %v", u, err)
	}
	_, err = pd.GetUserWithContext(ctx, "PNOPE", pagerduty.GetUserOptions{})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || !apiErr.NotFound() || apiErr.APIError.ErrorObject.Code != 2100 {
		t.Errorf("unknown user: %v", err)
	}

	bad := pagerduty.NewClient("wrong", pagerduty.WithAPIEndpoint(srv.URL()))
	_, err = bad.GetUserWithContext(ctx, "PU1", pagerduty.GetUserOptions{})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.APIError.ErrorObject.Code != 2006 {
		t.Errorf("bad token: %v", err)
	}

	srv.FailNext("/oncalls", fakepagerduty.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	_, err = pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{})
	if !errors.As(err, &apiErr) || !apiErr.RateLimited() {
		t.Errorf("429: %v", err)
	}
	if _, err = pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{}); err != nil {
		t.Errorf("after the fault: %v", err)
	}

	srv.FailNext("", fakepagerduty.Fault{Status: 503})
	_, err = pd.GetUserWithContext(ctx, "PU1", pagerduty.GetUserOptions{})
	if !errors.As(err, &apiErr) || !apiErr.Temporary() {
		t.Errorf("503: %v", err)
	}
	got, err := srv.WaitCall(ctx, func(c fakepagerduty.Call) bool { return c.Status == 503 })
	if err != nil || got.Path != "/users/PU1" {
		t.Errorf("WaitCall %+v %v", got, err)
	}
}

func TestAbilitiesAsTokenCheck(t *testing.T) {
	srv, pd, ctx := setup(t)
	abilities, err := pd.ListAbilitiesWithContext(ctx)
	if err != nil || len(abilities.Abilities) == 0 {
		t.Errorf("abilities %+v %v", abilities, err)
	}
	srv.FailNext("/abilities", fakepagerduty.Fault{Delay: time.Minute})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := pd.ListAbilitiesWithContext(short); err == nil {
		t.Error("delay not applied")
	}
}

func TestFaultShapesAndHold(t *testing.T) {
	srv, pd, ctx := setup(t)
	srv.AddUser(fakepagerduty.User{ID: "PU3", Name: "Carol", Email: "carol@example.com", ReferenceOnly: true})
	srv.SetOnCalls([]fakepagerduty.OnCall{{UserID: "PU3", EscalationPolicyID: "PE1", Level: 1},
		{UserID: "PU1", EscalationPolicyID: "PE1", Level: 2}, {UserID: "PU2", EscalationPolicyID: "PE1", Level: 3}})

	srv.FailNext("/oncalls", fakepagerduty.Fault{Status: 500, Message: "refused " + srv.Token()})
	_, err := pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || !strings.Contains(apiErr.APIError.ErrorObject.Message, srv.Token()) {
		t.Errorf("message: %v", err)
	}
	srv.FailNext("/oncalls", fakepagerduty.Fault{Status: 502, Body: "<html>bad gateway</html>"})
	if _, err = pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{}); err == nil ||
		!strings.Contains(err.Error(), "Content-Type") {
		t.Errorf("plain-text body: %v", err)
	}

	release := make(chan struct{})
	srv.FailNext("/oncalls", fakepagerduty.Fault{Hold: release})
	done := make(chan error, 1)
	go func() {
		_, err := pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{})
		done <- err
	}()
	if err := srv.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("answered while held: %v", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("after release: %v", err)
	}

	srv.SetMaxLimit(2)
	resp, err := pd.ListOnCallsWithContext(ctx, pagerduty.ListOnCallOptions{Limit: 100, Includes: []string{"users"}})
	if err != nil || len(resp.OnCalls) != 2 || !resp.More || resp.Limit != 2 {
		t.Fatalf("max limit: %+v %v", resp, err)
	}
	if u := resp.OnCalls[0].User; u.Type != "user_reference" || u.Email != "" {
		t.Errorf("reference-only user %+v", u)
	}
	if u := resp.OnCalls[1].User; u.Type != "user" || u.Email != "alice@example.com" {
		t.Errorf("full user %+v", u)
	}
	calls := srv.Calls()
	if h := calls[len(calls)-1].Header; h.Get("Accept") != "application/vnd.pagerduty+json;version=2" ||
		h.Get("Authorization") != "Token token="+srv.Token() {
		t.Errorf("recorded headers %v", h)
	}
}
