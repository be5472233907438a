package workflow

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Commands of the kill switch, as the audit trail names refused attempts.
const (
	actionRevokeAll = "revoke_all"
	actionPause     = "pause"
	actionResume    = "resume"
)

// RevokeAllTarget names what a revoke-all ends: every grant and open
// request of a resource, or of a person. Exactly one field is set.
type RevokeAllTarget struct {
	ResourceID string
	PersonID   string // a Slack user id
}

// RevokeAllPlan is what a revoke-all ends: counted before it is confirmed,
// and what it ended once it was carried out.
type RevokeAllPlan struct {
	// Resource is the resource of a resource's order (a stand-in named by
	// its id when it left the config but still has grants).
	Resource *access.Resource
	// Person is the person of a person's order.
	Person access.User
	// Grants counts active grants; Open counts pending and approved
	// requests, apart.
	Grants, Open int
	// OrderID is the stored order's id, once carried out.
	OrderID string
}

// PlanRevokeAll counts, for the confirmation, what a revoke-all by actorID
// of t would end now. Only admins may (EFORBIDDEN, audited); ENOTFOUND with
// a reason for a target that does not exist; ECONFLICT (ReasonNothingToEnd)
// when nothing would end.
func (s *Service) PlanRevokeAll(ctx context.Context, actorID string, t RevokeAllTarget) (RevokeAllPlan, error) {
	_, order, open, err := s.prepareOrder(ctx, actorID, t, "")
	if err != nil {
		return RevokeAllPlan{}, err
	}
	return s.plan(order, open), nil
}

// RevokeAll carries out an admin's revoke-all of t: in one store
// transaction it records the order (one audit event), cancels every pending
// request, and begins the removal of every grant and approved request,
// each marked with the order, so that a restart finishes whatever is left.
// The removals are then carried out in the background, at urgent
// priority, as many at once as a sweep does; the holders, the approvers
// of the resources and the audit channel are told. Who may, and errors:
// those of PlanRevokeAll, and EINVALID for a missing or too long reason.
func (s *Service) RevokeAll(ctx context.Context, actorID string, t RevokeAllTarget, reason string) (RevokeAllPlan, error) {
	actor, order, open, err := s.prepareOrder(ctx, actorID, t, reason)
	if err != nil {
		return RevokeAllPlan{}, err
	}
	if err := reasonError(order.Reason); err != nil {
		return RevokeAllPlan{}, err
	}
	var ids []string
	for _, r := range open {
		if order.Effect(r) != access.OrderSkips {
			ids = append(ids, r.ID)
		}
	}
	var done RevokeAllPlan
	var withdrawn, removing []string
	var resources map[string]bool
	_, err = s.store.Transact(ctx, ids, func(rs []*access.Request) ([]*access.Request, []access.Event, error) {
		now := s.now()
		order.At = now
		done, withdrawn, removing, resources = RevokeAllPlan{}, nil, nil, map[string]bool{}
		var events []access.Event
		for _, r := range rs {
			effect := order.Effect(r) // as stored now: some may have ended since the count
			if effect == access.OrderSkips {
				continue
			}
			if err := r.EndByOrder(order, now); err != nil {
				return nil, nil, err
			}
			r.UpdatedAt, r.Due = now, r.NextDue(s.settings().Timing)
			resources[r.ResourceID] = true
			details := map[string]string{"order": order.ID, "reason": order.Reason}
			if effect == access.OrderEndsGrant {
				done.Grants++
			} else {
				done.Open++
			}
			if r.State.Final() {
				withdrawn = append(withdrawn, r.ID)
				events = append(events, access.NewEvent(access.EventCancelled, actor, r, now, details))
				continue
			}
			removing = append(removing, r.ID)
			details["outcome"] = string(r.Grant.Removal.Outcome)
			events = append(events, access.NewEvent(access.EventRemovalStarted, actor, r, now, grantDetails(r, details)))
		}
		if done.Grants+done.Open == 0 {
			return nil, nil, s.nothingToEnd(order)
		}
		head := access.Event{Time: now, Type: access.EventRevokeAll, Actor: actor, Subject: order.Person, ResourceID: order.ResourceID,
			Details: map[string]string{"order": order.ID, "reason": order.Reason, "grants": strconv.Itoa(done.Grants), "open_requests": strconv.Itoa(done.Open)}}
		if order.ResourceID != "" {
			head.Details["target"] = "resource " + order.ResourceID
		} else {
			head.Details["target"] = "person " + order.Person.SlackID
		}
		events = append([]access.Event{head}, events...)
		s.markDryRun(events)
		return nil, events, nil
	})
	if err != nil {
		return RevokeAllPlan{}, err
	}
	plan := s.plan(order, nil)
	plan.Grants, plan.Open, plan.OrderID = done.Grants, done.Open, order.ID
	s.logger(ctx).Warn().Str("order", order.ID).Str("by", actor.SlackID).Str("resource", order.ResourceID).Str("person", order.Person.SlackID).
		Int("grants", plan.Grants).Int("open_requests", plan.Open).Msg("revoke-all ordered")

	n := access.Notice{Kind: access.NoticeRevokeAll, Actor: actor, Detail: order.Reason,
		Request: access.Request{Requester: order.Person, ResourceID: order.ResourceID},
		Params:  access.Params{Count: plan.Grants, Open: plan.Open}}
	if plan.Resource != nil {
		n.Resource = *plan.Resource
	}
	s.announce(ctx, n)
	s.carryOut(ctx, order, resources, withdrawn, removing, n)
	return plan, nil
}

// prepareOrder checks that actorID is an admin (audited refusal
// otherwise) and that the reason is given when one is needed, resolves t
// into an order, and returns the open requests it was counted against.
func (s *Service) prepareOrder(ctx context.Context, actorID string, t RevokeAllTarget, reason string) (access.User, access.Order, []*access.Request, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return access.User{}, access.Order{}, nil, err
	}
	order := access.Order{ID: newID(), By: actor, ResourceID: strings.TrimSpace(t.ResourceID), Reason: strings.TrimSpace(reason)}
	if order.ResourceID == "" {
		order.Person = s.person(ctx, strings.TrimSpace(t.PersonID))
	}
	if !s.isAdmin(actor) {
		err := access.Refuse(access.EFORBIDDEN, access.ReasonAdminsOnly, access.Params{Value: "revoke-all"})
		return access.User{}, access.Order{}, nil, s.refuse(ctx, actor, &access.Request{Requester: order.Person, ResourceID: order.ResourceID}, actionRevokeAll, err)
	}
	open, err := s.store.ListOpen(ctx)
	if err != nil {
		return access.User{}, access.Order{}, nil, err
	}
	grants, requests := order.Count(open)
	if order.ResourceID != "" {
		if _, err := s.settings().Catalog.Get(order.ResourceID); err != nil && grants+requests == 0 {
			return access.User{}, access.Order{}, nil, err
		}
	} else if order.Person.Email == "" && grants+requests == 0 {
		return access.User{}, access.Order{}, nil, access.Refuse(access.ENOTFOUND, access.ReasonUnknownPerson, access.Params{Value: order.Person.SlackID})
	}
	if grants+requests == 0 {
		return access.User{}, access.Order{}, nil, s.nothingToEnd(order)
	}
	return actor, order, open, nil
}

// person returns the Slack user slackID as the directory knows them. Someone
// the directory no longer lets request (deactivated, a guest) is exactly
// whose access an order may have to end, so they are kept by id alone.
func (s *Service) person(ctx context.Context, slackID string) access.User {
	u, err := s.dir.UserByID(ctx, slackID)
	if err != nil {
		return access.User{SlackID: slackID}
	}
	u.Email = strings.ToLower(u.Email)
	return u
}

func (s *Service) nothingToEnd(o access.Order) error {
	p := access.Params{Person: o.Person.Display(), Value: o.Person.SlackID}
	if o.ResourceID != "" {
		res := s.resourceFor(&access.Request{ResourceID: o.ResourceID})
		p = access.Params{Resource: res.Name, ResourceID: res.ID}
	}
	return access.Refuse(access.ECONFLICT, access.ReasonNothingToEnd, p)
}

// plan is o's plan with the counts of open.
func (s *Service) plan(o access.Order, open []*access.Request) RevokeAllPlan {
	p := RevokeAllPlan{Person: o.Person}
	if o.ResourceID != "" {
		res := s.resourceFor(&access.Request{ResourceID: o.ResourceID})
		p.Resource = &res
	}
	p.Grants, p.Open = o.Count(open)
	return p
}

// carryOut does, in the background, what an order recorded: it tells the
// people whose pending requests were cancelled, tells the approvers of the
// resources concerned, and removes every grant at urgent priority, as many
// at once as a sweep does. It claims the requests first, so the sweep
// leaves them to it; what it does not finish before the service stops
// (Wait), or what fails, the sweep finishes from the stored removals, at
// urgent priority too.
func (s *Service) carryOut(ctx context.Context, o access.Order, resources map[string]bool, withdrawn, removing []string, n access.Notice) {
	var releases []func()
	var claimed []string
	for _, id := range removing {
		if ok, release := s.busy.claim(id); ok {
			claimed, releases = append(claimed, id), append(releases, release)
		}
	}
	approvers := map[string]bool{}
	for id := range resources {
		if res, err := s.settings().Catalog.Get(id); err == nil {
			for _, a := range res.Approvers {
				approvers[strings.ToLower(a)] = true
			}
		}
	}
	ctx = context.WithoutCancel(ctx)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sem := make(chan struct{}, s.opts.Workers)
		var wg sync.WaitGroup
		var tell []func()
		for _, id := range withdrawn {
			tell = append(tell, func() { s.tellOrderWithdrawn(ctx, id, o) })
		}
		emails := make([]string, 0, len(approvers))
		for a := range approvers {
			emails = append(emails, a)
		}
		slices.Sort(emails)
		for _, email := range emails {
			if strings.EqualFold(email, o.By.Email) {
				continue // who gave the order knows
			}
			tell = append(tell, func() {
				u, err := s.dir.UserByEmail(ctx, email)
				if err != nil {
					s.logger(ctx).Warn().Err(err).Str("approver", email).Msg("approver not told of revoke-all")
					return
				}
				s.notify(ctx, u, n)
			})
		}
		for _, fn := range tell {
			sem <- struct{}{}
			wg.Go(func() { defer func() { <-sem }(); fn() })
		}
		for i, id := range claimed {
			if s.stopping.Err() != nil {
				releases[i]() // left to the sweep of the next run
				continue
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				rctx, cancel := context.WithTimeout(access.WithPriority(ctx, access.PriorityUrgent), s.opts.WorkTimeout)
				defer cancel()
				// A removal still queued for Okta's budget when the service
				// stops is cut short: its record stays, and the next run's
				// sweep finishes it (a removal Okta already made answers 404,
				// which counts as done).
				defer context.AfterFunc(s.stopping, cancel)()
				_, err := s.removeClaimed(rctx, id)
				switch {
				case err != nil && s.stopping.Err() != nil:
					s.logger(rctx).Info().Str("order", o.ID).Str(FieldRequestID, id).Msg("ordered removal left to the next run")
				case err != nil:
					s.logger(rctx).Error().Err(err).Str("order", o.ID).Str(FieldRequestID, id).Msg("ordered removal")
				}
				releases[i]()
			})
		}
		wg.Wait()
		s.logger(ctx).Info().Str("order", o.ID).Msg("revoke-all carried out")
	}()
}

// tellOrderWithdrawn tells the requester of a request an order cancelled,
// and redraws its messages.
func (s *Service) tellOrderWithdrawn(ctx context.Context, id string, o access.Order) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		s.logger(ctx).Error().Err(err).Str(FieldRequestID, id).Msg("reload request cancelled by revoke-all")
		return
	}
	ctx = s.withRequest(ctx, r)
	s.notify(ctx, r.Requester, access.Notice{Kind: access.NoticeCancelled, Request: *r, Resource: s.resourceFor(r), Actor: o.By, Detail: o.Reason})
	if r.Kind == access.KindExtension {
		s.clearPendingExtension(ctx, r)
	}
	s.refreshApprovals(ctx, id)
}

// Pause stops new grants of resourceID until Resume: new requests are
// refused, and approvals of pending ones. Admins only (EFORBIDDEN,
// audited); ECONFLICT when it is paused already. Audited and announced.
func (s *Service) Pause(ctx context.Context, actorID, resourceID, reason string) (access.Pause, error) {
	actor, res, err := s.adminOf(ctx, actorID, resourceID, actionPause)
	if err != nil {
		return access.Pause{}, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > MaxReasonLength {
		return access.Pause{}, access.FieldRefuse("reason", access.ReasonReasonTooLong, access.Params{Count: len(reason), Limit: MaxReasonLength})
	}
	p := access.Pause{ResourceID: res.ID, By: actor, At: s.now(), Reason: reason}
	ev := access.Event{Time: p.At, Type: access.EventPaused, Actor: actor, ResourceID: res.ID, Details: map[string]string{"reason": reason}}
	s.markDryRun([]access.Event{ev})
	if err := s.store.PauseResource(ctx, p, ev); err != nil {
		if access.ErrorCode(err) == access.ECONFLICT {
			if was, _ := s.pauseOf(ctx, res.ID); was != nil {
				return access.Pause{}, access.Refuse(access.ECONFLICT, access.ReasonAlreadyPaused,
					access.Params{Resource: res.Name, ResourceID: res.ID, Person: was.By.Display(), Since: was.At, Value: was.Reason})
			}
		}
		return access.Pause{}, err
	}
	s.logger(ctx).Warn().Str(FieldResource, res.ID).Str("by", actor.SlackID).Msg("resource paused")
	s.announce(ctx, access.Notice{Kind: access.NoticePaused, Resource: *res, Actor: actor, Detail: reason})
	return p, nil
}

// Resume ends the pause of resourceID. Admins only (EFORBIDDEN, audited);
// ECONFLICT when it is not paused. Audited and announced; returns the
// pause it ended.
func (s *Service) Resume(ctx context.Context, actorID, resourceID string) (access.Pause, error) {
	actor, res, err := s.adminOf(ctx, actorID, resourceID, actionResume)
	if err != nil {
		return access.Pause{}, err
	}
	was, err := s.pauseOf(ctx, res.ID)
	if err != nil {
		return access.Pause{}, err
	}
	notPaused := access.Refuse(access.ECONFLICT, access.ReasonNotPaused, access.Params{Resource: res.Name, ResourceID: res.ID})
	if was == nil {
		return access.Pause{}, notPaused
	}
	ev := access.Event{Time: s.now(), Type: access.EventResumed, Actor: actor, ResourceID: res.ID,
		Details: map[string]string{"paused_by": was.By.Email, "paused_at": was.At.UTC().Format(time.RFC3339)}}
	s.markDryRun([]access.Event{ev})
	if err := s.store.ResumeResource(ctx, res.ID, ev); err != nil {
		if access.ErrorCode(err) == access.ENOTFOUND {
			return access.Pause{}, notPaused
		}
		return access.Pause{}, err
	}
	s.logger(ctx).Warn().Str(FieldResource, res.ID).Str("by", actor.SlackID).Msg("resource resumed")
	s.announce(ctx, access.Notice{Kind: access.NoticeResumed, Resource: *res, Actor: actor, Detail: was.Reason})
	return *was, nil
}

// Pauses returns the pauses in force, by resource id.
func (s *Service) Pauses(ctx context.Context) ([]access.Pause, error) {
	return s.store.Pauses(ctx)
}

// adminOf checks that actorID is an admin (audited refusal otherwise) and
// that resourceID is configured.
func (s *Service) adminOf(ctx context.Context, actorID, resourceID, action string) (access.User, *access.Resource, error) {
	actor, err := s.actor(ctx, actorID)
	if err != nil {
		return access.User{}, nil, err
	}
	resourceID = strings.TrimSpace(resourceID)
	if !s.isAdmin(actor) {
		err := access.Refuse(access.EFORBIDDEN, access.ReasonAdminsOnly, access.Params{Value: action})
		return access.User{}, nil, s.refuse(ctx, actor, &access.Request{ResourceID: resourceID}, action, err)
	}
	res, err := s.settings().Catalog.Get(resourceID)
	if err != nil {
		return access.User{}, nil, err
	}
	return actor, res, nil
}

// pauseOf returns the pause of resourceID in force, or nil.
func (s *Service) pauseOf(ctx context.Context, resourceID string) (*access.Pause, error) {
	ps, err := s.store.Pauses(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.ResourceID == resourceID {
			return &p, nil
		}
	}
	return nil, nil
}

// checkPaused refuses a new request for res (or, with approval, an
// approval of one) while res is paused.
func (s *Service) checkPaused(ctx context.Context, res *access.Resource, approval bool) error {
	p, err := s.pauseOf(ctx, res.ID)
	if err != nil {
		return err
	}
	if p != nil {
		return p.Refusal(res, approval)
	}
	return nil
}
