package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// The words for an account refused by identity checks, said to the person
// refused (identityWords) or about an approver who is skipped
// (approverIdentityWords).
var (
	identityMessages = map[access.IdentityReason]string{
		access.ReasonForeignTeam:      "Your Slack account belongs to another organization's workspace, and only members of this workspace can request or approve access here; ask an admin.",
		access.ReasonGuest:            "You are a guest in this workspace, and guests can't request or approve access here; ask an admin.",
		access.ReasonEmailUnconfirmed: "Slack has not confirmed the email on your profile, so accessbot can't match you to Okta; confirm it in Slack, then try again.",
		access.ReasonDeactivated:      "Your Slack account is deactivated, so it can't request or approve access.",
	}
	approverIdentityMessages = map[access.IdentityReason]string{
		access.ReasonForeignTeam:      "The Slack account of %s belongs to another organization, so it is not asked to approve.",
		access.ReasonGuest:            "%s is a guest in this workspace, so they are not asked to approve.",
		access.ReasonEmailUnconfirmed: "Slack has not confirmed the email of %s, so they are not asked to approve.",
		access.ReasonDeactivated:      "The Slack account of %s is deactivated, so they are not asked to approve.",
	}
)

// identityWords returns the sentence for a person whose account err refuses,
// or false when err is not an identity refusal. errorWords should ask it
// first, so the reason reaches people even when the error carries no
// Message.
func identityWords(err error) (string, bool) {
	reason, ok := access.IdentityRefusal(err)
	if !ok {
		return "", false
	}
	if m, known := identityMessages[reason]; known {
		return m, true
	}
	return msgForbidden, true
}

// ownTeam is the Slack team and, on Enterprise Grid, the organization the
// bot is installed in, as auth.test says.
type ownTeam struct {
	teamID       string
	enterpriseID string
}

// whereInstalled returns the bot's own team, asking auth.test the first
// time. Without it nobody can be checked, so while Slack does not answer
// the person acting is refused (EUNAVAILABLE, like any Slack outage).
func (b *Slack) whereInstalled(ctx context.Context) (ownTeam, error) {
	if h, ok := b.users.ownTeamGet(); ok {
		return h, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := b.api.AuthTestContext(ctx)
	if err != nil {
		return ownTeam{}, b.slackError("auth.test", err)
	}
	if res.TeamID == "" && res.EnterpriseID == "" {
		return ownTeam{}, &access.Error{Code: access.EUNAVAILABLE, Err: fmt.Errorf("slack auth.test named no team")}
	}
	h := ownTeam{teamID: res.TeamID, enterpriseID: res.EnterpriseID}
	b.users.setOwnTeam(h)
	return h, nil
}

// LearnOwnTeam records the team and Enterprise Grid organization an auth.test
// at start-up reported, sparing the identity checks their own call.
func (b *Slack) LearnOwnTeam(teamID, enterpriseID string) {
	if teamID != "" || enterpriseID != "" {
		b.users.setOwnTeam(ownTeam{teamID: teamID, enterpriseID: enterpriseID})
	}
}

// identityRefusal says why su may neither request nor approve, or "" when
// they may. On Enterprise Grid a member of any workspace of the bot's
// organization is at home; elsewhere only members of the bot's team are.
// Guests are refused unless allowGuests.
func identityRefusal(su *slack.User, h ownTeam, allowGuests bool) access.IdentityReason {
	switch {
	case su.Deleted:
		return access.ReasonDeactivated
	case !sameOrganization(su, h):
		return access.ReasonForeignTeam
	case (su.IsRestricted || su.IsUltraRestricted) && !allowGuests:
		return access.ReasonGuest
	case !su.IsEmailConfirmed:
		return access.ReasonEmailUnconfirmed
	}
	return ""
}

func sameOrganization(su *slack.User, h ownTeam) bool {
	if h.teamID != "" && su.TeamID == h.teamID {
		return true
	}
	return h.enterpriseID != "" && su.Enterprise.EnterpriseID == h.enterpriseID
}
