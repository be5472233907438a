package config

import (
	"regexp"
	"slices"
	"strings"

	"github.com/accessbot/accessbot/access"
)

// Slack user group ids are an S and capital letters and digits.
var userGroupID = regexp.MustCompile(`^S[A-Z0-9]{2,20}$`)

// approverList checks a list of approvers (or of people to notify): each
// entry an email, okta_group:<group id> or slack_usergroup:<user group id>,
// none twice. It returns the entries as the domain reads them (emails
// lower case) and whether any names a group, whose size only a live check
// can tell.
func (c *checker) approverList(path string, list []string, noun string) (out []string, groups bool) {
	if list == nil {
		return nil, false
	}
	out = make([]string, 0, len(list))
	first := map[string]string{}
	for i, raw := range list {
		p := indexPath(path, i)
		s := strings.TrimSpace(raw)
		e, ok := access.ParseApproverEntry(s)
		switch {
		case !ok && strings.Contains(s, ":"):
			kind, _, _ := strings.Cut(s, ":")
			if k := access.ApproverKind(strings.ToLower(kind)); k == access.ApproverOktaGroup || k == access.ApproverSlackUserGroup {
				c.add(p, "%s names no group: write %s:<id>", c.show(p, s), k)
			} else {
				c.add(p, "%s is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>", c.show(p, s))
			}
			continue
		case !ok || (e.Kind == access.ApproverEmail && !isEmail(s)):
			c.add(p, "%s is not an email, okta_group:<Okta group id> or slack_usergroup:<Slack user group id>", c.show(p, s))
			continue
		case e.Kind == access.ApproverOktaGroup && !oktaID.MatchString(e.Value):
			c.add(p, "%s is not an Okta group id: use the id from the Okta admin console, such as 00g1abcdEFGH", c.show(p, e.Value))
			continue
		case e.Kind == access.ApproverSlackUserGroup && !userGroupID.MatchString(e.Value):
			c.add(p, "%s is not a Slack user group id: use S followed by capital letters and digits, such as S0123ABCD (not the @handle)", c.show(p, e.Value))
			continue
		}
		key := e.String()
		if prev, dup := first[key]; dup {
			c.add(p, "duplicate %s %s (also %s)", noun, c.show(p, key), prev)
			continue
		}
		first[key] = p
		groups = groups || e.IsGroup()
		out = append(out, key)
	}
	return out, groups
}

// escalation checks an escalation block at path (nil: none).
func (c *checker) escalation(path string, f *fileEscalation) *access.Escalation {
	if f == nil {
		return nil
	}
	e := &access.Escalation{}
	switch {
	case f.After == nil:
		c.add(path+".after", "missing: how long a request waits before the escalation approvers are asked, such as 4h")
	case *f.After <= 0:
		c.add(path+".after", "must be more than zero, such as 4h or 90s")
	default:
		e.After = *f.After
	}
	switch {
	case f.Approvers == nil:
		c.add(path+".approvers", "missing: list who is asked when a request is escalated (emails, okta_group:<id> or slack_usergroup:<id>)")
	case len(f.Approvers) == 0:
		c.add(path+".approvers", "empty: list at least one escalation approver")
	}
	e.Approvers, _ = c.approverList(path+".approvers", f.Approvers, "escalation approver")
	return e
}

// delegation checks the delegation section and applies its defaults.
func (c *checker) delegation(f fileDelegation) access.DelegationPolicy {
	p := access.DelegationPolicy{Max: access.DefaultDelegationMax, To: access.DelegateToApprovers}
	if f.Max != nil {
		if p.Max = *f.Max; p.Max <= 0 {
			c.add("delegation.max", "must be more than zero, such as 30d")
		}
	}
	switch to := access.DelegateTo(strings.ToLower(strings.TrimSpace(f.To))); to {
	case "":
	case access.DelegateToApprovers, access.DelegateToAnyone:
		p.To = to
	default:
		c.add("delegation.to", "%s is not allowed: use approvers (the delegate must approve some resource) or anyone", c.show("delegation.to", f.To))
	}
	return p
}

// onBehalf checks who may ask for someone else ("" at path: nobody).
func (c *checker) onBehalf(path, v string) access.OnBehalf {
	switch p := access.OnBehalf(strings.ToLower(strings.TrimSpace(v))); p {
	case access.OnBehalfAdmins, access.OnBehalfApprovers, access.OnBehalfAnyone:
		return p
	case "", "off", "none":
		return access.OnBehalfOff
	}
	c.add(path, "%s is not allowed: use admins, approvers or anyone (or leave it out: nobody asks for others)", c.show(path, v))
	return access.OnBehalfOff
}

// approvalSteps checks approval_steps at path and returns the steps and
// every step's approvers once (for who approves the resource at all).
func (c *checker) approvalSteps(path string, list []fileStep) ([]access.ApprovalStep, []string) {
	if len(list) == 0 {
		c.add(path, "empty: list at least one step, such as [{approvers: [lead@acme.com]}, {approvers: [owner@acme.com]}]")
		return nil, nil
	}
	var steps []access.ApprovalStep
	var all []string
	for i, f := range list {
		at := indexPath(path, i)
		if len(f.Approvers) == 0 {
			c.add(at+".approvers", "missing: list who approves this step (emails, okta_group:<id> or slack_usergroup:<id>)")
		}
		approvers, groups := c.approverList(at+".approvers", f.Approvers, "approver")
		st := access.ApprovalStep{Approvers: approvers, MinApprovals: 1}
		if f.MinApprovals != nil {
			st.MinApprovals = *f.MinApprovals
			switch {
			case st.MinApprovals < 1:
				c.add(at+".min_approvals", "must be at least 1")
			case !groups && len(approvers) > 0 && st.MinApprovals > len(approvers):
				c.add(at+".min_approvals", "%d, but this step has only %s", st.MinApprovals, count(len(approvers), "approver"))
			}
		}
		steps = append(steps, st)
		for _, a := range approvers {
			if !slices.Contains(all, a) {
				all = append(all, a)
			}
		}
	}
	return steps, all
}
