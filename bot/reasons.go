package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/accessbot/accessbot/access"
)

// maxListedResources is how many resource ids a refusal lists.
const maxListedResources = 30

// reasonWords is what people read for a reason the domain or the workflow
// gave (access.Reason); ok is false for a reason it has no words for.
func reasonWords(r access.Reason, p access.Params) (string, bool) {
	allowed := access.FormatDurations(p.Allowed)
	if p.OnCall {
		allowed += ", or \"oncall\" (until your on-call shift ends)"
	}
	if p.Activity {
		allowed += ", or \"activity\" (while you use it)"
	}
	switch r {
	case access.ReasonOwnRequest:
		return fmt.Sprintf("You can't approve or deny your own request; another approver of %s has to.", p.Resource), true
	case access.ReasonNotApprover:
		return fmt.Sprintf("You are not an approver of %s.", p.Resource), true
	case access.ReasonAlreadyDecided:
		return fmt.Sprintf("You already %s this request.", decided(p.Approve)), true
	case access.ReasonDecidedBy:
		verb := decided(p.Approve)
		if p.State == access.StateDenied {
			verb = "denied"
		}
		return fmt.Sprintf("This request was already %s by %s.", verb, p.Person), true
	case access.ReasonAlreadyApproved:
		return "This request was already approved.", true
	case access.ReasonNotPending:
		return fmt.Sprintf("This request is already %s.", stateWords(p.State)), true
	case access.ReasonOnlyRequester:
		return fmt.Sprintf("Only the requester can cancel request %s.", p.RequestID), true
	case access.ReasonOnlyHolder:
		return "Only the holder can extend this access.", true
	case access.ReasonOnlyHolderReply:
		return "Only the holder can answer this reminder.", true
	case access.ReasonWrongState:
		return fmt.Sprintf("Request %s is %s; that can no longer be done.", p.RequestID, stateWords(p.State)), true
	case access.ReasonOnlyRequesterNudge:
		return fmt.Sprintf("Only the requester can nudge the approvers of request %s.", p.RequestID), true
	case access.ReasonNudgedRecently:
		return fmt.Sprintf("The approvers of %s were nudged less than 30 minutes ago; you can nudge them again in %s.", p.RequestID, access.FormatDuration(p.Max)), true
	case access.ReasonDelegateSelf:
		return "You can't delegate to yourself; name someone else.", true
	case access.ReasonNothingToDelegate:
		if len(p.Names) > 0 {
			return fmt.Sprintf("You are not an approver of %s yourself, so you have nothing to delegate there (what was delegated to you can't be passed on).", strings.Join(p.Names, ", ")), true
		}
		return "You are not an approver of any resource yourself, so you have nothing to delegate (what was delegated to you can't be passed on).", true
	case access.ReasonDelegateNotApprover:
		return fmt.Sprintf("%s is not an approver of any resource, and delegation here is only to approvers; choose an approver.", p.Person), true
	case access.ReasonDelegationPast:
		return "The end of a delegation must be in the future: a date such as 2026-12-24 or a duration such as 3d.", true
	case access.ReasonDelegationTooLong:
		return fmt.Sprintf("A delegation may last at most %s; choose an earlier end.", access.FormatDuration(p.Max)), true
	case access.ReasonNoDelegation:
		return "You have no delegation in force.", true
	case access.ReasonUnknownDelegate:
		return fmt.Sprintf("accessbot can't find %s in Slack, or that account may not approve; pick the person from Slack's @ menu.", p.Value), true
	case access.ReasonBadUntil:
		return fmt.Sprintf("%q is not a date or a duration: use a date such as 2026-12-24 or a duration such as 90m, 1d or 2w.", p.Value), true
	case access.ReasonOnBehalfOff:
		return fmt.Sprintf("%s does not take requests for someone else; the person who needs it must ask.", p.Resource), true
	case access.ReasonOnBehalfNotAllowed:
		who := map[string]string{"admins": "the accessbot admins", "approvers": "its approvers"}[p.Value]
		return fmt.Sprintf("Only %s may ask for %s for someone else.", who, p.Resource), true
	case access.ReasonOnBehalfSelf:
		return "That's you: use `/access request` to ask for yourself.", true
	case access.ReasonApproversUnknown:
		return fmt.Sprintf("The approver groups of %s could not be read just now, so accessbot can't tell whether you may decide; try again in a minute.", p.Resource), true

	case access.ReasonAccessEnded:
		return fmt.Sprintf("Your access to %s has ended; request it again instead.", p.Resource), true
	case access.ReasonTooManyExtensions:
		return fmt.Sprintf("Your access to %s has been extended %d times, the most its policy allows; request it again instead.", p.Resource, p.Count), true
	case access.ReasonExtensionNotAllowed:
		return fmt.Sprintf("%s is not an allowed extension for %s. Allowed: %s.", p.Value, p.Resource, allowed), true
	case access.ReasonExtensionTooLong:
		return fmt.Sprintf("Extending by %s would put the end more than %s from now, the most %s allows.", p.Value, access.FormatDuration(p.Max), p.Resource), true
	case access.ReasonExtensionWaiting:
		return fmt.Sprintf("An extension of this access (%s) is already waiting for approval.", p.RequestID), true
	case access.ReasonExtensionVoid:
		return "This extension no longer applies.", true
	case access.ReasonNoAccessToRevoke:
		return fmt.Sprintf("Request %s is %s; there is no access to revoke.", p.RequestID, stateWords(p.State)), true
	case access.ReasonBeingRemoved:
		return fmt.Sprintf("Access for request %s is already being removed.", p.RequestID), true
	case access.ReasonRevokeExtension:
		return fmt.Sprintf("%s is an extension request; revoke the grant %s instead.", p.RequestID, p.ParentID), true
	case access.ReasonActivityExtension:
		return "This access lasts while you use it: each sign-on keeps it, so it is not extended.", true
	case access.ReasonNotActivityGrant:
		return "Only access that lasts while you use it can be kept this way.", true
	case access.ReasonKeptAlready:
		return fmt.Sprintf("You kept this access already; Keep it counts once every %s. Signing in to it keeps it too.", access.FormatDuration(p.Max)), true
	case access.ReasonNoActivity:
		return fmt.Sprintf("%s does not offer access while you use it. Allowed: %s.", p.Resource, allowed), true
	case access.ReasonReportForbidden:
		return "The utilization report is for admins.", true
	case access.ReasonRevokeForbidden:
		return fmt.Sprintf("Only the holder, an approver of %s or an admin can revoke this access.", p.Resource), true

	case access.ReasonUnknownResource:
		ids := strings.Join(p.Names, ", ")
		if len(p.Names) > maxListedResources { // discovered resources can number in the hundreds
			ids = strings.Join(p.Names[:maxListedResources], ", ") + " and " + strconv.Itoa(len(p.Names)-maxListedResources) + " more (`/access` opens a searchable form)"
		}
		if p.Value == "" {
			return "Choose a resource. Available: " + ids + ".", true
		}
		return "There is no resource \"" + p.Value + "\". Available: " + ids + ".", true
	case access.ReasonNoResources:
		return "No resources are configured.", true
	case access.ReasonResourceGone:
		return fmt.Sprintf("Resource %q is no longer configured.", p.ResourceID), true
	case access.ReasonNoShiftDuration:
		return fmt.Sprintf("%s does not trust on-call schedules, so \"until my shift ends\" is not available. Allowed: %s.", p.Resource, allowed), true
	case access.ReasonShiftUnknown:
		return fmt.Sprintf("PagerDuty could not be asked whether you are on call; choose one of %s.", allowed), true
	case access.ReasonNotOnCallDuration:
		return fmt.Sprintf("You are not on call for %s, so \"until my shift ends\" is not available. Allowed: %s.", p.Resource, allowed), true
	case access.ReasonNoDuration:
		return fmt.Sprintf("Choose a duration. Allowed for %s: %s.", p.Resource, allowed), true
	case access.ReasonDurationNotAllowed:
		return fmt.Sprintf("%q is not an allowed duration for %s. Allowed: %s.", p.Value, p.Resource, allowed), true
	case access.ReasonNoReason:
		return "Give a reason: approvers and auditors need to know why.", true
	case access.ReasonReasonTooLong:
		return fmt.Sprintf("The reason is %d characters long; keep it under %d.", p.Count, p.Limit), true
	case access.ReasonTooFewApprovers:
		return fmt.Sprintf("%s needs %d approver(s) other than you, and only %d other approver(s) are configured; ask an admin to add approvers.", p.Resource, p.Limit, p.Count), true
	case access.ReasonSelfAsApprover:
		return "You can't approve your own request; choose other approvers.", true
	case access.ReasonNotAnApprover:
		return fmt.Sprintf("%s is not an approver of %s. Approvers: %s.", p.Person, p.Resource, strings.Join(p.Names, ", ")), true
	case access.ReasonChooseMoreApprovers:
		return fmt.Sprintf("%s needs %d approvals; choose at least %d approvers, or none to ask them all.", p.Resource, p.Limit, p.Limit), true
	case access.ReasonPendingRequest:
		return fmt.Sprintf("You already have a pending request for %s (%s); cancel it with `/access cancel %s` or wait for an approver.", p.Resource, p.RequestID, p.RequestID), true
	case access.ReasonAlreadyHeld:
		return fmt.Sprintf("You already have access to %s (%s); extend it instead of asking again.", p.Resource, p.RequestID), true
	case access.ReasonAlreadyHeldNow:
		return fmt.Sprintf("You already have access to %s (%s).", p.Resource, p.RequestID), true
	case access.ReasonNoEmail:
		return "Your Slack profile has no email, so accessbot can't match you to Okta; ask an admin (the app needs the users:read.email scope).", true
	case access.ReasonNoSuchRequest:
		return fmt.Sprintf("There is no request %s.", p.RequestID), true

	case access.ReasonNoBreakGlass:
		return fmt.Sprintf("%s does not allow break-glass access. Use `/access request %s <duration> <reason>` instead.", p.Resource, p.ResourceID), true
	case access.ReasonNoPagerDuty:
		return "Break-glass needs PagerDuty, and PagerDuty is not configured.", true
	case access.ReasonBreakGlassUnknown:
		return fmt.Sprintf("PagerDuty could not be asked whether you are on call, so break-glass is refused. Use `/access request %s <duration> <reason>` to ask the approvers.", p.ResourceID), true
	case access.ReasonNotOnCall:
		return fmt.Sprintf("Break-glass for %s is only for people on call in its PagerDuty schedules right now, and you are not. Use `/access request %s <duration> <reason>` instead.", p.Resource, p.ResourceID), true

	case access.ReasonAdminsOnly:
		return fmt.Sprintf("Only accessbot's admins (the `admins` list of its config) can use `/access %s`; your attempt was recorded.", p.Value), true
	case access.ReasonPaused:
		return fmt.Sprintf("%s is paused by %s since %s%s: it takes no new requests until an admin resumes it.", p.Resource, p.Person, p.Since.UTC().Format("2006-01-02 15:04 MST"), pauseWhy(p.Value)), true
	case access.ReasonPausedApproval:
		return fmt.Sprintf("%s is paused by %s since %s%s: requests for it can't be approved until an admin resumes it. The request stays pending.", p.Resource, p.Person, p.Since.UTC().Format("2006-01-02 15:04 MST"), pauseWhy(p.Value)), true
	case access.ReasonAlreadyPaused:
		return fmt.Sprintf("%s is already paused, by %s since %s%s.", p.Resource, p.Person, p.Since.UTC().Format("2006-01-02 15:04 MST"), pauseWhy(p.Value)), true
	case access.ReasonNotPaused:
		return fmt.Sprintf("%s is not paused; there is nothing to resume.", p.Resource), true
	case access.ReasonNothingToEnd:
		if p.Resource != "" {
			return fmt.Sprintf("Nobody holds %s through accessbot and no request for it is open: there is nothing to revoke.", p.Resource), true
		}
		return fmt.Sprintf("%s holds no access through accessbot and has no open request: there is nothing to revoke.", nonEmptyOr(p.Person, p.Value)), true
	case access.ReasonUnknownPerson:
		return fmt.Sprintf("I can't find %s in Slack. Name the person as @name (pick them from Slack's suggestions) or by their Slack member id (U…).", p.Value), true
	case access.ReasonAmbiguousPerson:
		return fmt.Sprintf("Several people go by %s (%s); name the one you mean by their Slack member id.", p.Value, strings.Join(p.Names, ", ")), true

	case access.ReasonApproversUnreachable:
		return "None of the approvers could be reached in Slack; ask an admin to check the approvers of this resource.", true
	case access.ReasonAdminsAsked:
		return "None of the approvers could be reached in Slack, so your request went to the accessbot admins.", true
	case access.ReasonApproverMissing:
		return fmt.Sprintf("Approver %s has no usable Slack account (left, deactivated or renamed?) and is skipped; update the approvers in the config.", p.Person), true
	case access.ReasonOnCallFallback:
		return "PagerDuty could not be asked whether you are on call, so your request went to the approvers.", true
	case access.ReasonOktaUnavailable:
		return "Okta could not be reached.", true
	case access.ReasonOktaRefusedToken:
		return "Okta refused accessbot's API token.", true
	case access.ReasonOktaForbidden:
		return "accessbot's Okta API token is not allowed to do this; an admin must grant it the permission.", true
	case access.ReasonOktaNoUser:
		switch {
		case p.Count > 1:
			return fmt.Sprintf("%d Okta accounts match %s, and accessbot will not guess which one is meant; an admin must fix the directory.", p.Count, p.Person), true
		case p.Person == "":
			return "accessbot found no Okta account for this person.", true
		}
		return fmt.Sprintf("No Okta account matches %s.", p.Person), true
	case access.ReasonOktaNoTarget:
		return fmt.Sprintf("The Okta %s %s does not exist; an admin must check the resource's target.", p.Value, p.ResourceID), true
	case access.ReasonDryRunNow:
		return "accessbot now runs in dry run and changes nothing in Okta, so this grant was not made; ask again once it runs for real.", true
	case access.ReasonOnlyHolderRenew:
		return "Only the holder can ask to keep this access.", true
	case access.ReasonNotRenewable:
		return fmt.Sprintf("Request %s is not an activity grant at its maximum age; use it to keep it, or `/access request` for more.", p.RequestID), true
	case access.ReasonRenewalWaiting:
		return fmt.Sprintf("You already asked again (%s); it is waiting for approval.", p.RequestID), true
	case access.ReasonRenewalWaitsForRemoval:
		return fmt.Sprintf("The access of %s was still being removed; accessbot grants it again once that is done.", p.RequestID), true
	case access.ReasonOktaError:
		return "Okta returned an unexpected error.", true
	case access.ReasonBundleIncomplete:
		return "A part of the bundle could not be granted, so the parts that were are removed too.", true
	}
	return "", false
}

func decided(approve bool) string {
	if approve {
		return "approved"
	}
	return "denied"
}

// stateWords writes a request state as people read it ("timed out").
func stateWords(s access.State) string { return strings.ReplaceAll(string(s), "_", " ") }

// removalFailingWords is the detail of the audit channel's alarm when a
// removal keeps failing.
func removalFailingWords(r access.Reason, p access.Params) string {
	w, _ := reasonWords(r, p)
	return strings.TrimSpace(w + " Removal failed " + strconv.Itoa(p.Count) + " times; accessbot keeps retrying.")
}

// noticeDetail is the detail a notice shows: the words for its reason when
// it has one, else what a person wrote (a denial's reason).
func noticeDetail(n access.Notice) string {
	if n.Reason == "" {
		return n.Detail
	}
	if n.Kind == access.NoticeRemovalFailing {
		return removalFailingWords(n.Reason, n.Params)
	}
	w, _ := reasonWords(n.Reason, n.Params)
	return w
}

// noticeDryRun reports whether a notice carries the dry-run mark: a grant
// says itself whether it was a dry run (a real grant removed while the bot
// runs in dry run was really removed); anything else follows the bot's mode.
func noticeDryRun(mode bool, n access.Notice) bool {
	if n.Request.Grant.Prepared() {
		return n.Request.Grant.DryRun
	}
	return mode || n.DryRun
}

// pauseWhy is the reason given for a pause, as a clause ("" for none).
func pauseWhy(reason string) string {
	if reason = strings.Join(strings.Fields(reason), " "); reason == "" {
		return ""
	}
	return " (“" + reason + "”)"
}
