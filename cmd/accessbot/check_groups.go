package main

import (
	"context"
	"strings"

	"github.com/accessbot/accessbot/access"
)

// groupChecker is what the checks need to read approver groups: Okta group
// members (*provisioner.Okta) and Slack user group members (*bot.Bot).
type (
	oktaGroupReader interface {
		GroupMembers(ctx context.Context, groupID string) ([]access.Member, error)
	}
	slackGroupReader interface {
		UserGroupMembers(ctx context.Context, groupID string) ([]string, error)
	}
)

// checkGroup is one approver group that approvers or notify lists name.
type checkGroup struct {
	entry   access.ApproverEntry
	of      []string // "approver of db-prod", "notified for db-prod"
	members int
	err     error
	asked   bool // its service's token works, so it was read
}

// checkGroupsOf lists every group entry of the resources' approvers and
// notify lists once, in config order.
func checkGroupsOf(resources []access.Resource) []*checkGroup {
	var out []*checkGroup
	byEntry := map[access.ApproverEntry]*checkGroup{}
	add := func(e access.ApproverEntry, role string) {
		if !e.IsGroup() {
			return
		}
		g := byEntry[e]
		if g == nil {
			g = &checkGroup{entry: e}
			byEntry[e] = g
			out = append(out, g)
		}
		g.of = append(g.of, role)
	}
	for _, r := range resources {
		for _, e := range r.ApproverEntries() {
			add(e, "approver of "+r.ID)
		}
		for _, e := range access.ParseApproverEntries(r.Notify) {
			add(e, "notified for "+r.ID)
		}
		for _, e := range r.EscalationEntries() {
			add(e, "escalation of "+r.ID)
		}
	}
	return out
}

// groupCalls returns the calls that read each group's members.
func (c checker) groupCalls(ctx context.Context, groups []*checkGroup, slackOK, oktaOK bool) []func() {
	var calls []func()
	for _, g := range groups {
		switch {
		case g.entry.Kind == access.ApproverOktaGroup && oktaOK && c.oktaGroups != nil:
			g.asked = true
			calls = append(calls, func() {
				g.err = checkCall(ctx, func(ctx context.Context) error {
					ms, err := c.oktaGroups.GroupMembers(ctx, g.entry.Value)
					g.members = len(ms)
					return err
				})
			})
		case g.entry.Kind == access.ApproverSlackUserGroup && slackOK && c.slackGroups != nil:
			g.asked = true
			calls = append(calls, func() {
				g.err = checkCall(ctx, func(ctx context.Context) error {
					ids, err := c.slackGroups.UserGroupMembers(ctx, g.entry.Value)
					g.members = len(ids)
					return err
				})
			})
		}
	}
	return calls
}

// groupResults reports the groups that could not be read (fatal: no one in
// them can approve) and the empty ones (a warning).
func (c checker) groupResults(rep *checkReport, groups []*checkGroup) {
	read := 0
	for _, g := range groups {
		if !g.asked {
			continue
		}
		subject := g.entry.String() + " (" + strings.Join(g.of, "; ") + ")"
		switch access.ErrorCode(g.err) {
		case "":
			if g.members == 0 {
				rep.add(false, subject, "the group has no members, so it adds no one")
				continue
			}
			read++
		case access.ENOTFOUND:
			rep.add(true, subject, "no such group; check the id (%s)", checkCause(g.err))
		case access.EFORBIDDEN:
			rep.add(true, subject, "the token may not read this group's members (%s)", checkCause(g.err))
		case access.EUNAVAILABLE:
			rep.add(c.strict, subject, "could not read its members: %s", checkCause(g.err))
		default:
			rep.add(true, subject, "could not read its members: %s", checkCause(g.err))
		}
	}
	if read > 0 {
		rep.pass("%s of approvers read, each with members", nounCount(read, "group"))
	}
}

// groupMembers returns, per group entry read, how many members it has;
// groups not read are left out.
func groupMembers(groups []*checkGroup) map[access.ApproverEntry]int {
	out := map[access.ApproverEntry]int{}
	for _, g := range groups {
		if g.asked && g.err == nil {
			out[g.entry] = g.members
		}
	}
	return out
}
