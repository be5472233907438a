package workflow

import (
	"context"
	"strconv"
	"time"

	"github.com/accessbot/accessbot/access"
)

// askStep sends a request whose previous step just approved to the
// approvers of its current step: never a party to it, nor anyone who
// decided it already (nobody approves twice), at most notify_max of them.
// When none of them can be reached, the admins are asked, as at routing.
func (s *Service) askStep(ctx context.Context, r *access.Request, res *access.Resource) (*access.Request, error) {
	var eligible []string
	for _, p := range s.resolve(ctx, res.StepEntries(r.Step), false).People {
		if p.Email == "" || r.IsParty(p) || decidedAlready(r, p) {
			continue
		}
		eligible = append(eligible, p.Email)
	}
	asked := s.askList(ctx, res, r.Requester, eligible)
	s.logger(ctx).Info().Int("step", r.Step+1).Strs("approvers", asked).Msg("previous step approved; asking the next")
	refs := s.sendApprovals(ctx, r, res, s.withDelegates(ctx, r, asked))
	var admins []access.MessageRef
	if len(refs) == 0 && !r.AdminsAsked {
		s.logger(ctx).Warn().Int("step", r.Step+1).Msg("nobody of the next step could be reached; asking the admins")
		admins = s.askAdmins(ctx, r, res, map[string]string{"step": strconv.Itoa(r.Step + 1)})
	}
	step := r.Step
	updated, err := s.update(ctx, r.ID, func(r *access.Request, _ time.Time) ([]access.Event, error) {
		if r.Step == step {
			r.Approvers = append(r.Approvers, asked...)
		}
		r.ApproverMessages = append(r.ApproverMessages, refs...)
		r.ApproverMessages = append(r.ApproverMessages, admins...)
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	if changedSince(r, updated) {
		s.refreshApprovals(ctx, r.ID)
	}
	return updated, nil
}

// decidedAlready reports whether p decided r, in any step, themselves or
// through a delegate.
func decidedAlready(r *access.Request, p access.User) bool {
	for _, d := range r.Decisions {
		if d.By.Is(p) || d.For.Is(p) {
			return true
		}
	}
	return false
}
