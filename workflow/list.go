package workflow

import (
	"context"
	"slices"

	"github.com/accessbot/accessbot/access"
)

// Overview is what a person has and what waits for them.
type Overview struct {
	User access.User
	// Mine holds the person's open requests and active grants, newest first.
	Mine []*access.Request
	// ToApprove holds pending requests the person may approve, oldest first.
	ToApprove []*access.Request
	// Delegated holds the delegations in force the person gave, and
	// DelegatedToMe those they received.
	Delegated, DelegatedToMe []access.Delegation
	// Paused holds the pauses in force, by resource id: those resources
	// take no new requests and no approvals.
	Paused []access.Pause
}

// List returns actorID's open requests and grants and the requests waiting
// for their approval.
func (s *Service) List(ctx context.Context, actorID string) (Overview, error) {
	u, err := s.actor(ctx, actorID)
	if err != nil {
		return Overview{}, err
	}
	mine, err := s.store.ListByRequester(ctx, u.SlackID, true)
	if err != nil {
		return Overview{}, err
	}
	open, err := s.store.ListOpen(ctx)
	if err != nil {
		return Overview{}, err
	}
	var toApprove []*access.Request
	sets := map[string]access.ApproverSet{} // per resource: groups are read once per listing
	for _, r := range open {
		if r.State != access.StatePending || r.Requester.Is(u) {
			continue
		}
		res, err := s.resource(r)
		if err != nil {
			continue
		}
		key := res.ID
		if r.Escalated {
			key += " escalated"
		}
		set, ok := sets[key]
		if !ok {
			set = s.resolve(ctx, r.DeciderEntries(res), false)
			sets[key] = set
		}
		if r.Deciders(set, s.settings().Admins).Includes(u) {
			toApprove = append(toApprove, r)
		} else if _, _, ok := s.delegator(ctx, u, r, set); ok {
			toApprove = append(toApprove, r)
		}
	}
	slices.SortFunc(toApprove, func(a, b *access.Request) int { return a.CreatedAt.Compare(b.CreatedAt) })
	paused, err := s.store.Pauses(ctx)
	if err != nil {
		return Overview{}, err
	}
	given, received, err := s.Delegations(ctx, u)
	if err != nil {
		s.logger(ctx).Error().Err(err).Msg("read delegations for a listing")
	}
	return Overview{User: u, Mine: mine, ToApprove: toApprove, Paused: paused, Delegated: given, DelegatedToMe: received}, nil
}

// Get returns request id (for rendering; authorization is checked by the
// method that acts on it).
func (s *Service) Get(ctx context.Context, id string) (*access.Request, error) {
	return s.store.Get(ctx, id)
}

// Form is what the request modal offers a person for one resource.
type Form struct {
	Resource  access.Resource
	Durations []string // values for RequestInput.Duration, e.g. "1h", "oncall"
	Approvers []string // emails the person may choose among (never themselves)
	OnCall    bool     // "until my shift ends" is on offer
}

// FormFor returns the choices for actorID requesting resourceID ("" for the first resource).
func (s *Service) FormFor(ctx context.Context, actorID, resourceID string) (Form, error) {
	all := s.settings().Catalog.All()
	if resourceID == "" {
		if len(all) == 0 {
			return Form{}, access.Refuse(access.ENOTFOUND, access.ReasonNoResources, access.Params{})
		}
		resourceID = all[0].ID
	}
	res, err := s.settings().Catalog.Get(resourceID)
	if err != nil {
		return Form{}, err
	}
	u, err := s.actor(ctx, actorID)
	if err != nil {
		return Form{}, err
	}
	eligible, _ := s.eligibleApprovers(ctx, res, u)
	f := Form{Resource: *res, Approvers: eligible}
	for _, d := range res.Durations {
		f.Durations = append(f.Durations, access.FormatDuration(d))
	}
	if sh, err := s.shift(ctx, u, res); err == nil && sh != nil {
		f.OnCall = true
		f.Durations = append(f.Durations, DurationUntilShiftEnd)
	}
	if res.Activity != nil {
		f.Durations = append(f.Durations, access.DurationActivity)
	}
	return f, nil
}
