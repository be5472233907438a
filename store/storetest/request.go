package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// TestFullRequestSetsEveryField keeps fullRequest complete as access.Request
// grows, so the round trip below covers every field.
func testFullRequestSetsEveryField(t *testing.T, _ Opener) {
	var check func(path string, v reflect.Value)
	check = func(path string, v reflect.Value) {
		switch {
		case v.IsZero():
			t.Errorf("fullRequest leaves %s zero; set it so the round trip covers it", path)
		case v.Kind() == reflect.Pointer:
			check(path, v.Elem())
		case v.Kind() == reflect.Slice:
			for i := range v.Len() {
				check(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[time.Time]():
			for i := range v.NumField() {
				check(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	}
	check("Request", reflect.ValueOf(FullRequest()))
}

func testRequestRoundTrip(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	want := FullRequest()
	if err := s.Create(ctx, want); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := s.Get(ctx, want.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	AssertEqual(t, "Get after Create", got, want)

	updated, err := s.Update(ctx, want.ID, func(r *access.Request) ([]access.Event, error) {
		AssertEqual(t, "request fn sees", r, want)
		r.Reason = "changed"
		r.Grant.RemindersSent = append(r.Grant.RemindersSent, time.Minute)
		return nil, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	want.Reason = "changed"
	want.Grant.RemindersSent = append(want.Grant.RemindersSent, time.Minute)
	AssertEqual(t, "Update result", updated, want)
	got, err = s.Get(ctx, want.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	AssertEqual(t, "Get after Update", got, want)
}

func testReturnedRequestsAreCopies(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	r := FullRequest()
	if err := s.Create(ctx, r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	r.Reason = "changed by the caller after Create"
	got, err := s.Update(ctx, r.ID, func(r *access.Request) ([]access.Event, error) { return nil, nil })
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	got.Reason = "changed by the caller after Update"
	got.Approvers[0] = "mallory@acme.com"
	got.Grant.Removal.Reason = "changed"

	again, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	AssertEqual(t, "stored request", again, FullRequest())
}

func testCreateExistingID(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	first := NewRequest("r1", "U1", T0, access.StatePending)
	if err := s.Create(ctx, first, Event(access.EventRequested, first)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	second := NewRequest("r1", "U2", T0.Add(time.Hour), access.StateActive)
	second.Due = T0
	err := s.Create(ctx, second, Event(access.EventRequested, second))
	if access.ErrorCode(err) != access.ECONFLICT {
		t.Fatalf("Create with an existing id: error %v, want code %s", err, access.ECONFLICT)
	}
	got, err := s.Get(ctx, "r1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	AssertEqual(t, "request", got, first)
	AssertEqual(t, "seqs", Seqs(AllEvents(t, s)), []uint64{1})
	AssertEqual(t, "due index", dueIndex(t, e), []string{})
	AssertEqual(t, "requester index", requesterIndex(t, e), []string{RequesterEntry("U1", T0, "r1")})
}

func testCreateRejectsBadKeys(t *testing.T, open Opener) {
	e := open(t)
	s := e.Store
	for name, r := range map[string]*access.Request{
		"nil":          nil,
		"no id":        NewRequest("", "U1", T0, access.StatePending),
		"NUL in Slack": NewRequest("r1", "U\x001", T0, access.StatePending),
	} {
		if err := s.Create(t.Context(), r); err == nil {
			t.Errorf("%s: Create succeeded", name)
		}
	}
	AssertEqual(t, "requester index", requesterIndex(t, e), []string{})
}

func testMissingRequest(t *testing.T, open Opener) {
	e := open(t)
	s := e.Store
	_, getErr := s.Get(t.Context(), "nope")
	_, updErr := s.Update(t.Context(), "nope", func(*access.Request) ([]access.Event, error) {
		t.Error("Update called fn for a missing request")
		return nil, nil
	})
	for name, err := range map[string]error{"Get": getErr, "Update": updErr} {
		var e *access.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v is not an *access.Error", name, err)
			continue
		}
		AssertEqual(t, name+" error", *e, access.Error{Code: access.ENOTFOUND, Reason: access.ReasonNoSuchRequest, Params: access.Params{RequestID: "nope"}})
	}
}

func testUpdateErrorWritesNothing(t *testing.T, open Opener) {
	for name, fnErr := range map[string]error{
		"domain error": access.Refuse(access.ECONFLICT, access.ReasonAlreadyApproved, access.Params{}),
		"field error":  access.FieldRefuse("duration", access.ReasonExtensionTooLong, access.Params{}),
		"plain error":  errors.New("boom"),
		"change id":    nil,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			e := open(t)
			s := e.Store
			r := NewRequest("r1", "U1", T0, access.StatePending)
			r.Due = T0.Add(time.Hour)
			if err := s.Create(ctx, r, Event(access.EventRequested, r)); err != nil {
				t.Fatalf("Create: %v", err)
			}
			got, err := s.Update(ctx, r.ID, func(r *access.Request) ([]access.Event, error) {
				r.State, r.Due, r.CreatedAt, r.Reason = access.StateDenied, time.Time{}, T0.Add(time.Hour), "changed"
				if fnErr == nil {
					r.ID = "r2"
				}
				return []access.Event{Event(access.EventDenied, r)}, fnErr
			})
			if got != nil {
				t.Errorf("Update returned a request with error %v", err)
			}
			switch {
			case fnErr != nil && err != fnErr:
				t.Errorf("Update error = %#v, want fn's error %#v unchanged", err, fnErr)
			case fnErr == nil && err == nil:
				t.Error("Update let fn change the id")
			}
			stored, gerr := s.Get(ctx, r.ID)
			if gerr != nil {
				t.Fatalf("Get: %v", gerr)
			}
			AssertEqual(t, "request", stored, r)
			AssertEqual(t, "seqs", Seqs(AllEvents(t, s)), []uint64{1})
			AssertEqual(t, "due index", dueIndex(t, e), []string{DueEntry(r.Due, "r1")})
			AssertEqual(t, "open index", openIndex(t, e), []string{"r1"})
			AssertEqual(t, "requester index", requesterIndex(t, e), []string{RequesterEntry("U1", T0, "r1")})
			if _, err := s.Get(ctx, "r2"); access.ErrorCode(err) != access.ENOTFOUND {
				t.Errorf("Get r2: error %v, want %s", err, access.ENOTFOUND)
			}
		})
	}
}

// TestIndexesFollowState walks one request through its life and checks every
// index after each step.
func testIndexesFollowState(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	r := NewRequest("r1", "U1", T0, access.StatePending)
	r.Due = T0.Add(24 * time.Hour)
	if err := s.Create(ctx, r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	// A neighbour whose entries must never move.
	other := NewRequest("r0", "U1", T0.Add(-time.Hour), access.StateActive)
	other.Due = T0.Add(24 * time.Hour)
	if err := s.Create(ctx, other); err != nil {
		t.Fatalf("Create: %v", err)
	}
	otherDue := DueEntry(other.Due, "r0")
	otherReq := RequesterEntry("U1", other.CreatedAt, "r0")

	steps := []struct {
		name          string
		change        func(r *access.Request)
		due, open     []string
		requesterKeys []string
	}{{
		name:          "created",
		change:        func(*access.Request) {},
		due:           []string{otherDue, DueEntry(T0.Add(24*time.Hour), "r1")},
		open:          []string{"r0", "r1"},
		requesterKeys: []string{otherReq, RequesterEntry("U1", T0, "r1")},
	}, {
		name: "approved: due moves earlier",
		change: func(r *access.Request) {
			r.State, r.Due = access.StateApproved, T0.Add(time.Minute)
		},
		due:           []string{DueEntry(T0.Add(time.Minute), "r1"), otherDue},
		open:          []string{"r0", "r1"},
		requesterKeys: []string{otherReq, RequesterEntry("U1", T0, "r1")},
	}, {
		name:          "active: due moves later",
		change:        func(r *access.Request) { r.State, r.Due = access.StateActive, T0.Add(48*time.Hour) },
		due:           []string{otherDue, DueEntry(T0.Add(48*time.Hour), "r1")},
		open:          []string{"r0", "r1"},
		requesterKeys: []string{otherReq, RequesterEntry("U1", T0, "r1")},
	}, {
		name:          "nothing due while open",
		change:        func(r *access.Request) { r.Due = time.Time{} },
		due:           []string{otherDue},
		open:          []string{"r0", "r1"},
		requesterKeys: []string{otherReq, RequesterEntry("U1", T0, "r1")},
	}, {
		name:          "requester and creation time change",
		change:        func(r *access.Request) { r.Requester.SlackID, r.CreatedAt = "U2", T0.Add(time.Second) },
		due:           []string{otherDue},
		open:          []string{"r0", "r1"},
		requesterKeys: []string{otherReq, RequesterEntry("U2", T0.Add(time.Second), "r1")},
	}, {
		name:          "final: leaves open; due still follows Due",
		change:        func(r *access.Request) { r.State, r.Due = access.StateExpired, T0.Add(time.Hour) },
		due:           []string{DueEntry(T0.Add(time.Hour), "r1"), otherDue},
		open:          []string{"r0"},
		requesterKeys: []string{otherReq, RequesterEntry("U2", T0.Add(time.Second), "r1")},
	}, {
		name:          "final, due cleared",
		change:        func(r *access.Request) { r.Due = time.Time{} },
		due:           []string{otherDue},
		open:          []string{"r0"},
		requesterKeys: []string{otherReq, RequesterEntry("U2", T0.Add(time.Second), "r1")},
	}}
	for _, step := range steps {
		if _, err := s.Update(ctx, "r1", func(r *access.Request) ([]access.Event, error) {
			step.change(r)
			return nil, nil
		}); err != nil {
			t.Fatalf("%s: Update: %v", step.name, err)
		}
		AssertEqual(t, step.name+": due index", dueIndex(t, e), step.due)
		AssertEqual(t, step.name+": open index", openIndex(t, e), step.open)
		AssertEqual(t, step.name+": requester index", requesterIndex(t, e), step.requesterKeys)
	}
}

func testListDue(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	now := T0.Add(time.Hour)
	for _, r := range []*access.Request{
		withDue(NewRequest("later", "U1", T0, access.StateActive), now.Add(time.Nanosecond)),
		withDue(NewRequest("now", "U1", T0, access.StateActive), now),
		withDue(NewRequest("b-early", "U1", T0, access.StatePending), T0),
		withDue(NewRequest("a-early", "U2", T0, access.StateApproved), T0),
		withDue(NewRequest("earliest", "U2", T0, access.StateActive), T0.Add(-time.Hour)),
		NewRequest("never", "U2", T0, access.StateExpired),
		withDue(NewRequest("far", "U2", T0, access.StateActive), now.Add(1000*time.Hour)),
	} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create %s: %v", r.ID, err)
		}
	}
	for _, tc := range []struct {
		now   time.Time
		limit int
		want  []string
	}{
		{now, 0, []string{"earliest", "a-early", "b-early", "now"}},
		{now, -1, []string{"earliest", "a-early", "b-early", "now"}},
		{now, 100, []string{"earliest", "a-early", "b-early", "now"}},
		{now, 2, []string{"earliest", "a-early"}},
		{now, 1, []string{"earliest"}},
		{T0, 0, []string{"earliest", "a-early", "b-early"}},
		{T0.Add(-2 * time.Hour), 0, []string{}},
		{time.Time{}, 0, []string{}},
		{now.Add(time.Nanosecond), 0, []string{"earliest", "a-early", "b-early", "now", "later"}},
	} {
		got, err := s.ListDue(ctx, tc.now, tc.limit)
		if err != nil {
			t.Fatalf("ListDue: %v", err)
		}
		AssertEqual(t, fmt.Sprintf("ListDue(%s, %d)", tc.now.Format(time.RFC3339Nano), tc.limit), ids(got), tc.want)
	}
}

func withDue(r *access.Request, due time.Time) *access.Request {
	r.Due = due
	return r
}

func testListByRequester(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	for _, r := range []*access.Request{
		NewRequest("u1-mid-final", "U1", T0.Add(time.Hour), access.StateDenied),
		NewRequest("u1-old", "U1", T0, access.StateActive),
		NewRequest("u1-new", "U1", T0.Add(2*time.Hour), access.StatePending),
		NewRequest("u1-same-time-b", "U1", T0.Add(3*time.Hour), access.StateExpired),
		NewRequest("u1-same-time-a", "U1", T0.Add(3*time.Hour), access.StateApproved),
		NewRequest("u12", "U12", T0.Add(time.Hour), access.StatePending), // a longer id with U1's prefix
		NewRequest("u0", "U0", T0.Add(time.Hour), access.StatePending),
		NewRequest("u2", "U2", T0.Add(5*time.Hour), access.StateActive),
	} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create %s: %v", r.ID, err)
		}
	}
	for _, tc := range []struct {
		slackID  string
		openOnly bool
		want     []string
	}{
		{"U1", false, []string{"u1-same-time-b", "u1-same-time-a", "u1-new", "u1-mid-final", "u1-old"}},
		{"U1", true, []string{"u1-same-time-a", "u1-new", "u1-old"}},
		{"U12", false, []string{"u12"}},
		{"U0", false, []string{"u0"}},
		{"U2", true, []string{"u2"}}, // the last user in the index
		{"U3", false, []string{}},
		{"", false, []string{}},
	} {
		got, err := s.ListByRequester(ctx, tc.slackID, tc.openOnly)
		if err != nil {
			t.Fatalf("ListByRequester: %v", err)
		}
		AssertEqual(t, fmt.Sprintf("ListByRequester(%q, %t)", tc.slackID, tc.openOnly), ids(got), tc.want)
	}
}

func testListOpen(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	for _, st := range []access.State{
		access.StatePending, access.StateApproved, access.StateActive, access.StateExpired, access.StateRevoked,
		access.StateDenied, access.StateCancelled, access.StateTimedOut, access.StateFailed,
	} {
		if err := s.Create(ctx, NewRequest(string(st), "U1", T0, st)); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	got, err := s.ListOpen(ctx)
	if err != nil {
		t.Fatalf("ListOpen: %v", err)
	}
	AssertEqual(t, "ListOpen", ids(got), []string{"active", "approved", "pending"})
}

// TestConcurrentUpdates checks that Update's read, fn and write cannot
// interleave: no increment is lost and event numbers stay gapless.
func testConcurrentUpdates(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	r := NewRequest("r1", "U1", T0, access.StateActive)
	if err := s.Create(ctx, r, Event(access.EventRequested, r)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				_, err := s.Update(ctx, "r1", func(r *access.Request) ([]access.Event, error) {
					r.Grant.Extensions++
					return []access.Event{Event(access.EventExtended, r)}, nil
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.Get(ctx, "r1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Grant.Extensions != workers*each {
		t.Errorf("Extensions = %d, want %d", got.Grant.Extensions, workers*each)
	}
	evs := AllEvents(t, s)
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	if len(evs) != 1+workers*each {
		t.Errorf("%d events, want %d", len(evs), 1+workers*each)
	}
}

func testNextDue(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	if next, err := s.NextDue(ctx, T0); err != nil || !next.IsZero() {
		t.Fatalf("NextDue of an empty store = %v, %v; want zero", next, err)
	}
	for i, due := range []time.Time{T0, T0.Add(time.Minute), T0.Add(time.Hour)} {
		r := NewRequest(fmt.Sprintf("r%d", i), "U1", T0, access.StateActive)
		r.Due = due
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ after, want time.Time }{
		{T0.Add(-time.Second), T0},
		{T0, T0.Add(time.Minute)}, // strictly later
		{T0.Add(30 * time.Second), T0.Add(time.Minute)},
		{T0.Add(time.Hour), time.Time{}},
	} {
		got, err := s.NextDue(ctx, tc.after)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("NextDue(after %s) = %v, %v; want %v", tc.after.Format(time.TimeOnly), got, err, tc.want)
		}
	}
}

// testRequestsAfter pages through every request by id, as a copy does.
func testRequestsAfter(t *testing.T, open Opener) {
	ctx := t.Context()
	e := open(t)
	s := e.Store
	stored := []string{"a", "a\x01", "b", "b0", "c", "é"} // bytewise: "a" < "a\x01" < "b" < "b0" < "c" < "é"
	for i, id := range []string{"c", "a", "é", "b0", "a\x01", "b"} {
		if err := s.Create(ctx, NewRequest(id, "U1", T0.Add(time.Duration(i)*time.Second), access.StateExpired)); err != nil {
			t.Fatalf("Create %q: %v", id, err)
		}
	}
	for _, tc := range []struct {
		after string
		limit int
		want  []string
	}{
		{"", 0, stored},
		{"", -1, stored},
		{"", 2, stored[:2]},
		{"a", 2, stored[1:3]},
		{"a\x01", 0, stored[2:]},
		{"b", 1, []string{"b0"}},
		{"bz", 0, []string{"c", "é"}},
		{"é", 0, []string{}},
		{"\U0010FFFF", 0, []string{}},
	} {
		got, err := s.RequestsAfter(ctx, tc.after, tc.limit)
		if err != nil {
			t.Fatalf("RequestsAfter(%q, %d): %v", tc.after, tc.limit, err)
		}
		AssertEqual(t, fmt.Sprintf("RequestsAfter(%q, %d)", tc.after, tc.limit), ids(got), tc.want)
	}
	var all []*access.Request
	for after := ""; ; {
		page, err := s.RequestsAfter(ctx, after, 4)
		if err != nil {
			t.Fatalf("RequestsAfter: %v", err)
		}
		all = append(all, page...)
		if len(page) < 4 {
			break
		}
		after = page[len(page)-1].ID
	}
	AssertEqual(t, "paged through", ids(all), stored)
	if len(all) > 0 && all[0].CreatedAt != T0.Add(time.Second) {
		t.Errorf("request a has CreatedAt %v, want the one stored", all[0].CreatedAt)
	}
}
