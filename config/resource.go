package config

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessbot/accessbot/access"
)

// maxNameLength is the most characters Slack shows in an option's text.
const maxNameLength = 75

// Resource ids are typed in slash commands, so they are short, lower case and
// free of spaces.
var resourceID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Okta ids become URL path segments in API calls.
var oktaID = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// settings are the policy-governed settings of a resource or policy, each
// with the key path it was written at ("" when it is a default), so a problem
// is reported where the offending value is written. A setting inherited from
// a policy is reported at the policy, once, however many resources use it.
type settings struct {
	owner  string // "resources[2]" or "policies.standard"
	policy string // the policy inherited from, for messages; "" for none

	durations   []time.Duration
	durationsAt string
	maxDuration time.Duration
	maxAt       string

	minApprovals int
	minAt        string

	maxExtensions    int
	maxExtensionsAt  string
	requiresApproval bool

	approvers   []string
	approversAt string

	notify      []string
	notifyAt    string
	notifyMax   int
	notifyMaxAt string

	escalation   *fileEscalation
	escalationAt string

	onBehalf   string
	onBehalfAt string

	steps   []fileStep
	stepsAt string

	// conflicts are the paths of approval_steps set beside approvers.
	conflicts []string

	// checked holds what checkSettings built of the settings above.
	checked struct {
		escalation *access.Escalation
		onBehalf   access.OnBehalf
		steps      []access.ApprovalStep
	}

	activity   *fileActivity
	activityAt string
}

// owns reports whether the setting at path is written in the owner itself.
func (s *settings) owns(path string) bool {
	return path != "" && strings.HasPrefix(path, s.owner+".")
}

// from says, for a problem reported at a setting the owner wrote, that the
// other setting it conflicts with came from the policy.
func (s *settings) from(reportAt, other string) string {
	if s.policy == "" || other == "" || !s.owns(reportAt) || s.owns(other) {
		return ""
	}
	return " (from policy \"" + s.policy + "\")"
}

// mergeSettings layers a resource's settings over its policy's (p may be nil)
// over the defaults.
func mergeSettings(owner string, r *fileResource, p *filePolicy, policyName string) *settings {
	s := &settings{
		owner:            owner,
		minApprovals:     1,
		maxExtensions:    access.DefaultExtensionPolicy.MaxExtensions,
		requiresApproval: access.DefaultExtensionPolicy.RequiresApproval,
	}
	var layers []*filePolicy
	var paths []string
	if p != nil {
		s.policy = policyName
		layers, paths = append(layers, p), append(paths, keyPath("policies", policyName))
	}
	if r != nil {
		layers = append(layers, &filePolicy{
			Durations: r.Durations, MaxDuration: r.MaxDuration, MinApprovals: r.MinApprovals,
			Extension: r.Extension, Approvers: r.Approvers, Activity: r.Activity, Notify: r.Notify, NotifyMax: r.NotifyMax, Escalation: r.Escalation, OnBehalf: r.OnBehalf, ApprovalSteps: r.ApprovalSteps,
		})
		paths = append(paths, owner)
	}
	for i, l := range layers { // later layers override earlier ones
		at := paths[i]
		if l.Durations != nil {
			s.durations, s.durationsAt = l.Durations, at+".durations"
		}
		if l.MaxDuration != nil {
			s.maxDuration, s.maxAt = *l.MaxDuration, at+".max_duration"
		}
		if l.MinApprovals != nil {
			s.minApprovals, s.minAt = *l.MinApprovals, at+".min_approvals"
		}
		if l.Extension != nil && l.Extension.MaxExtensions != nil {
			s.maxExtensions, s.maxExtensionsAt = *l.Extension.MaxExtensions, at+".extension.max_extensions"
		}
		if l.Extension != nil && l.Extension.RequiresApproval != nil {
			s.requiresApproval = *l.Extension.RequiresApproval
		}
		switch {
		case l.Approvers != nil && l.ApprovalSteps != nil:
			s.conflicts = append(s.conflicts, at+".approval_steps")
		case l.Approvers != nil: // a layer's approvers replace the steps below it, and the other way round
			s.approvers, s.approversAt, s.steps, s.stepsAt = l.Approvers, at+".approvers", nil, ""
		case l.ApprovalSteps != nil:
			s.steps, s.stepsAt, s.approvers, s.approversAt = l.ApprovalSteps, at+".approval_steps", nil, ""
		}
		if l.Notify != nil {
			s.notify, s.notifyAt = l.Notify, at+".notify"
		}
		if l.NotifyMax != nil {
			s.notifyMax, s.notifyMaxAt = *l.NotifyMax, at+".notify_max"
		}
		if l.Escalation != nil {
			s.escalation, s.escalationAt = l.Escalation, at+".escalation"
		}
		if l.OnBehalf != nil {
			s.onBehalf, s.onBehalfAt = *l.OnBehalf, at+".on_behalf"
		}
		if l.Activity != nil {
			s.activity, s.activityAt = l.Activity, at+".activity"
		}
	}
	return s
}

// checkSettings applies the policy rules. With complete (a resource whose
// policy, if any, is known) durations and approvers must be there; a policy
// may leave them to its resources. It returns the approvers (lower case) and
// the durations (ascending, without repeats) and sets maxDuration's default.
func (c *checker) checkSettings(s *settings, complete bool) ([]string, []time.Duration) {
	switch {
	case s.durationsAt == "" && complete:
		c.add(s.owner+".durations", "missing: list the durations people may choose, such as [1h, 4h, 1d]")
	case s.durationsAt != "" && len(s.durations) == 0:
		c.add(s.durationsAt, "empty: list at least one duration")
	}
	var durations []time.Duration
	for _, d := range s.durations {
		if d > 0 && !slices.Contains(durations, d) { // 0: the decoder reported it
			durations = append(durations, d)
		}
	}
	slices.Sort(durations)
	if s.maxAt == "" && len(durations) > 0 {
		s.maxDuration = durations[len(durations)-1]
	}
	switch {
	case s.maxAt == "":
	case s.owns(s.durationsAt) || !s.owns(s.maxAt):
		for k, d := range s.durations {
			if d > s.maxDuration {
				c.add(indexPath(s.durationsAt, k), "%s is longer than max_duration %s%s",
					access.FormatDuration(d), access.FormatDuration(s.maxDuration), s.from(s.durationsAt, s.maxAt))
			}
		}
	case len(durations) > 0 && durations[len(durations)-1] > s.maxDuration:
		// The durations are the policy's; the max this resource set is the mistake.
		c.add(s.maxAt, "%s is shorter than %s, one of the durations of policy %q",
			access.FormatDuration(s.maxDuration), access.FormatDuration(durations[len(durations)-1]), s.policy)
	}

	for _, p := range s.conflicts {
		c.add(p, "set either approvers or approval_steps, not both")
	}
	if s.stepsAt != "" {
		var approvers []string
		s.checked.steps, approvers = c.approvalSteps(s.stepsAt, s.steps)
		s.approvers = approvers // every step's, for who approves at all
	}
	switch {
	case s.stepsAt != "" || len(s.conflicts) > 0:
	case s.approversAt == "" && complete:
		c.add(s.owner+".approvers", "missing: list the people who may approve (emails, okta_group:<id> or slack_usergroup:<id>), or approval_steps")
	case s.approversAt != "" && len(s.approvers) == 0:
		c.add(s.approversAt, "empty: list at least one approver (an email, okta_group:<id> or slack_usergroup:<id>)")
	}
	approvers, groups := s.approvers, true
	if s.stepsAt == "" {
		approvers, groups = c.approverList(s.approversAt, s.approvers, "approver")
	}
	if s.notifyAt != "" && len(s.notify) == 0 {
		c.add(s.notifyAt, "empty: list who is sent requests, or leave notify out to send them to the approvers")
	}
	s.notify, _ = c.approverList(s.notifyAt, s.notify, "entry")
	if s.notifyMaxAt != "" && s.notifyMax < 1 {
		c.add(s.notifyMaxAt, "must be at least 1 (default %d)", access.DefaultNotifyMax)
	}
	s.checked.escalation = c.escalation(s.escalationAt, s.escalation)
	s.checked.onBehalf = c.onBehalf(s.onBehalfAt, s.onBehalf)

	switch {
	case s.minApprovals < 1:
		c.add(s.minAt, "must be at least 1")
	case !groups && len(s.approvers) > 0 && s.minApprovals > len(s.approvers):
		if s.owns(s.minAt) || !s.owns(s.approversAt) {
			c.add(s.minAt, "%d, but there are only %s%s", s.minApprovals, count(len(s.approvers), "approver"), s.from(s.minAt, s.approversAt))
		} else {
			c.add(s.approversAt, "%s, fewer than min_approvals %d of policy %q", count(len(s.approvers), "approver"), s.minApprovals, s.policy)
		}
	}
	if s.maxExtensions < 0 {
		c.add(s.maxExtensionsAt, "must be 0 or more")
	}
	return approvers, durations
}

// activity checks an activity block where it is written and returns the
// terms it sets; nil when there is none.
func (c *checker) activity(s *settings) *access.Activity {
	f := s.activity
	if f == nil || !s.owns(s.activityAt) {
		// Inherited from a policy: checked there, once.
		if f == nil || f.IdleAfter == nil || f.MaxAge == nil || *f.IdleAfter > *f.MaxAge {
			return nil
		}
		return &access.Activity{IdleAfter: *f.IdleAfter, MaxAge: *f.MaxAge}
	}
	at := s.activityAt
	if f.IdleAfter == nil {
		c.add(at+".idle_after", "missing: how long the access may go unused before it is removed, such as 7d")
	}
	if f.MaxAge == nil {
		c.add(at+".max_age", "missing: how long the access may last however much it is used, such as 90d; after it, it must be asked for and approved again")
	}
	if f.IdleAfter == nil || f.MaxAge == nil {
		return nil
	}
	if *f.IdleAfter > *f.MaxAge {
		c.add(at+".idle_after", "%s is longer than max_age %s", access.FormatDuration(*f.IdleAfter), access.FormatDuration(*f.MaxAge))
		return nil
	}
	return &access.Activity{IdleAfter: *f.IdleAfter, MaxAge: *f.MaxAge}
}

// policies checks each policy on its own, so a mistake in one no resource
// uses is still found.
func (c *checker) policies(policies map[string]filePolicy) map[string]filePolicy {
	for name, p := range policies {
		s := mergeSettings(keyPath("policies", name), nil, &p, name)
		c.checkSettings(s, false)
		c.activity(s)
	}
	return policies
}

func (c *checker) resources(list []fileResource, policies map[string]filePolicy, pagerDuty, sources bool) []access.Resource {
	if len(list) == 0 && !sources {
		c.add("resources", "none: add at least one resource people may ask for, or a resource_sources rule")
	}
	out := make([]access.Resource, 0, len(list))
	firstID := map[string]int{}
	for i := range list {
		f, path := &list[i], indexPath("resources", i)
		c.resourceID(f.ID, path, i, firstID)
		r := access.Resource{ID: f.ID, Name: strings.TrimSpace(f.Name), Description: f.Description}
		if r.Name == "" {
			r.Name = f.ID
		}
		if n := utf8.RuneCountInString(r.Name); n > maxNameLength {
			c.add(path+".name", "%d characters long; Slack shows at most %d", n, maxNameLength)
		}
		r.Target = c.target(f, path)

		var p *filePolicy
		complete := true
		if f.Policy != "" {
			if pol, ok := policies[f.Policy]; ok {
				p = &pol
			} else {
				c.add(path+".policy", "unknown policy %s (%s)", c.show(path+".policy", f.Policy), knownPolicies(policies))
				complete = false // what it would have inherited is unknown
			}
		}
		s := mergeSettings(path, f, p, f.Policy)
		r.Approvers, r.Durations = c.checkSettings(s, complete)
		r.MaxDuration, r.MinApprovals = s.maxDuration, s.minApprovals
		r.Notify, r.NotifyMax = s.notify, s.notifyMax
		r.Escalation = s.checked.escalation
		r.OnBehalf = s.checked.onBehalf
		r.Steps = s.checked.steps
		r.Extension = access.ExtensionPolicy{MaxExtensions: s.maxExtensions, RequiresApproval: s.requiresApproval}
		if f.OnCall != nil {
			r.OnCall = c.onCall(f.OnCall, path+".oncall", s, pagerDuty)
		}
		r.Activity = c.activity(s)
		if r.Activity != nil && r.OnCall != nil && (r.OnCall.AutoApprove || r.OnCall.BreakGlass) {
			const why = "access that lasts while it is used must be approved by a person, and is not for the most sensitive roles"
			if s.owns(s.activityAt) {
				c.add(s.activityAt, "not allowed on a resource with on-call auto-approval or break-glass: %s; remove activity or set oncall.auto_approve and oncall.break_glass to false", why)
			} else {
				c.add(path+".oncall", "auto-approval and break-glass are not allowed with the activity-based duration of policy %q: %s; set auto_approve and break_glass to false, or use a policy without activity", s.policy, why)
			}
		}
		r.UsageApps = c.usageApps(path+".usage_apps", f.UsageApps)
		switch strings.TrimSpace(f.Standing) {
		case "", "allowed":
		case "forbidden":
			r.StandingForbidden = true
		default:
			c.add(path+".standing", "%s is not a choice: use allowed (the default) or forbidden (anyone holding it other than through accessbot is reported)", c.show(path+".standing", f.Standing))
		}
		out = append(out, r)
	}
	return out
}

func (c *checker) resourceID(id, path string, i int, firstID map[string]int) {
	path += ".id"
	switch {
	case id == "":
		c.add(path, "missing: give the resource a short id people type in commands, such as aws-prod-read")
	case !resourceID.MatchString(id):
		c.add(path, "%s is not a valid id: use up to 63 lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (ids are typed in commands)", c.show(path, id))
	default:
		if j, dup := firstID[id]; dup {
			c.add(path, "duplicate id %s (also %s)", c.show(path, id), indexPath("resources", j))
			return
		}
		firstID[id] = i
	}
}

func (c *checker) target(f *fileResource, path string) access.Target {
	var t access.Target
	switch {
	case f.OktaGroup != "" && f.OktaApp != "":
		c.add(path+".okta_app", "set only one of okta_group and okta_app")
		return t
	case f.OktaGroup != "":
		t = access.Target{Kind: access.TargetGroup, ID: f.OktaGroup}
		path += ".okta_group"
	case f.OktaApp != "":
		t = access.Target{Kind: access.TargetApp, ID: f.OktaApp}
		path += ".okta_app"
	default:
		if !c.flagged[path+".okta_group"] && !c.flagged[path+".okta_app"] {
			c.add(path, "set one of okta_group (an Okta group id) or okta_app (an Okta app id)")
		}
		return t
	}
	if !oktaID.MatchString(t.ID) {
		c.add(path, "%s is not an Okta id: use the id from the Okta admin console, such as 00g1abcdEFGH", c.show(path, t.ID))
	}
	return t
}

func knownPolicies(policies map[string]filePolicy) string {
	if len(policies) == 0 {
		return "no policies are defined"
	}
	names := make([]string, 0, len(policies))
	for name := range policies {
		names = append(names, name)
	}
	slices.Sort(names)
	return "known: " + strings.Join(names, ", ")
}

func (c *checker) onCall(f *fileOnCall, path string, s *settings, pagerDuty bool) *access.OnCallPolicy {
	if !pagerDuty {
		c.add(path, "on-call features are off without a pagerduty section: add one, or remove this block")
	}
	p := &access.OnCallPolicy{
		Schedules:          c.ids(path+".schedules", f.Schedules),
		EscalationPolicies: c.ids(path+".escalation_policies", f.EscalationPolicies),
		AutoApprove:        f.AutoApprove,
		BreakGlass:         f.BreakGlass,
	}
	if len(f.Schedules) == 0 && len(f.EscalationPolicies) == 0 {
		c.add(path, "list at least one of schedules or escalation_policies")
	}
	if f.MaxEscalationLevel != nil {
		p.MaxEscalationLevel = *f.MaxEscalationLevel
		if p.MaxEscalationLevel < 0 {
			c.add(path+".max_escalation_level", "must be 1 or more (or 0, or left out, for any level)")
		}
	}
	switch {
	case f.BreakGlassDuration != nil:
		p.BreakGlassDuration = *f.BreakGlassDuration
		if s.maxDuration > 0 && p.BreakGlassDuration > s.maxDuration {
			c.add(path+".break_glass_duration", "%s is longer than max_duration %s%s",
				access.FormatDuration(p.BreakGlassDuration), access.FormatDuration(s.maxDuration), s.from(path+".break_glass_duration", s.maxAt))
		}
	case f.BreakGlass:
		p.BreakGlassDuration = access.DefaultBreakGlassDuration
		if s.maxDuration > 0 {
			p.BreakGlassDuration = min(p.BreakGlassDuration, s.maxDuration)
		}
	}
	return p
}

// usageApps checks a list of Okta app ids and returns them without repeats.
func (c *checker) usageApps(path string, list []string) []string {
	var out []string
	for i, id := range list {
		id = strings.TrimSpace(id)
		switch {
		case !oktaID.MatchString(id):
			c.add(indexPath(path, i), "%s is not an Okta app id: use the id from the Okta admin console, such as 0oa1abcdEFGH", c.show(indexPath(path, i), id))
		case !slices.Contains(out, id):
			out = append(out, id)
		}
	}
	return out
}

// ids checks a list of PagerDuty ids and returns them without repeats.
func (c *checker) ids(path string, list []string) []string {
	out := []string{}
	for i, id := range list {
		id = strings.TrimSpace(id)
		switch {
		case id == "":
			c.add(indexPath(path, i), "empty id")
		case !slices.Contains(out, id):
			out = append(out, id)
		}
	}
	return out
}
