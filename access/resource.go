package access

import (
	"slices"
	"strings"
	"time"
)

// TargetKind says what a grant changes in the identity provider.
type TargetKind string

const (
	TargetGroup TargetKind = "group" // membership of an Okta group
	TargetApp   TargetKind = "app"   // assignment to an Okta app
)

// Target is the thing in the identity provider that a grant adds a user to.
type Target struct {
	Kind TargetKind `json:"kind"`
	ID   string     `json:"id"`
}

// ParseTarget reads what Target.String wrote ("group 00g…", "app 0oa…").
func ParseTarget(s string) (Target, bool) {
	kind, id, ok := strings.Cut(s, " ")
	t := Target{Kind: TargetKind(kind), ID: id}
	if !ok || id == "" || (t.Kind != TargetGroup && t.Kind != TargetApp) {
		return Target{}, false
	}
	return t, true
}

// IsZero reports whether t names nothing.
func (t Target) IsZero() bool { return t.ID == "" }

func (t Target) String() string { return string(t.Kind) + " " + t.ID }

// ExtensionPolicy says how a grant may be extended.
type ExtensionPolicy struct {
	MaxExtensions    int
	RequiresApproval bool
}

// DefaultExtensionPolicy applies when a resource and its policy say nothing.
var DefaultExtensionPolicy = ExtensionPolicy{MaxExtensions: 2, RequiresApproval: true}

// OnCallPolicy says which PagerDuty on-call entries a resource trusts.
type OnCallPolicy struct {
	Schedules          []string
	EscalationPolicies []string
	MaxEscalationLevel int // 0: any level
	AutoApprove        bool
	BreakGlass         bool
	BreakGlassDuration time.Duration
}

// DefaultBreakGlassDuration applies when a resource allows break-glass without
// saying for how long.
const DefaultBreakGlassDuration = time.Hour

// Trusts reports whether an on-call shift qualifies under this policy.
func (p *OnCallPolicy) Trusts(s Shift) bool {
	if p == nil {
		return false
	}
	if p.MaxEscalationLevel > 0 && s.Level > p.MaxEscalationLevel {
		return false
	}
	return (s.ScheduleID != "" && slices.Contains(p.Schedules, s.ScheduleID)) ||
		(s.EscalationPolicyID != "" && slices.Contains(p.EscalationPolicies, s.EscalationPolicyID))
}

// Resource is something people can ask for: an Okta group or app, with the
// policy (already merged from config) that governs it.
type Resource struct {
	ID          string
	Name        string
	Description string
	Target      Target
	// Approvers may decide its requests: emails (lower case) and groups,
	// as config writes them (see ParseApproverEntry).
	Approvers []string
	// Notify, when set, names who is sent a request (same syntax); when
	// empty, the approvers are. Either way at most NotifyMax of them.
	Notify []string
	// NotifyMax caps how many people a request is sent to; see AskedMax.
	NotifyMax   int
	Durations   []time.Duration // the choices offered, ascending
	MaxDuration time.Duration
	// MinApprovals distinct approvers must approve; at least 1.
	MinApprovals int
	Extension    ExtensionPolicy
	OnCall       *OnCallPolicy // nil: the resource does not trust on-call
	// Escalation asks more people when a request stays undecided; nil: never.
	Escalation *Escalation
	// OnBehalf says who may ask for it for someone else (default: nobody).
	OnBehalf OnBehalf
	// Steps, when set, approve its requests in order, each step asked once
	// the previous one approved; Approvers then lists every step's
	// approvers, and MinApprovals is not used.
	Steps []ApprovalStep
	// Activity, when set, offers "while I use it" beside the durations.
	Activity *Activity
	// UsageApps are Okta app ids whose sign-ons count as uses of the
	// resource, beside (for a group) the apps assigned to the group.
	UsageApps []string
	// StandingForbidden: nobody may hold the resource except through
	// accessbot; a reconcile reports anyone else it finds (never removes).
	StandingForbidden bool
	// Members makes the resource a bundle (bundle.go): the ids of the
	// resources it grants together; Target is then zero.
	Members []string
}

// RequiredApprovals is how many distinct approvers must approve a request
// for r: MinApprovals, and at least one.
func (r *Resource) RequiredApprovals() int { return max(r.MinApprovals, 1) }

// DefaultNotifyMax is how many people a request is sent to when a resource
// and its policy say nothing: a large group is reached by nudges and the
// Home tab rather than by a DM to everyone.
const DefaultNotifyMax = 10

// AskedMax is how many people a request for r is sent to at most.
func (r *Resource) AskedMax() int {
	if r.NotifyMax > 0 {
		return r.NotifyMax
	}
	return DefaultNotifyMax
}

// ApproverEntries returns the approvers list, parsed.
func (r *Resource) ApproverEntries() []ApproverEntry { return ParseApproverEntries(r.Approvers) }

// NotifyEntries returns who a request is sent to, parsed: Notify, else the approvers.
func (r *Resource) NotifyEntries() []ApproverEntry {
	if len(r.Notify) > 0 {
		return ParseApproverEntries(r.Notify)
	}
	return r.ApproverEntries()
}

// IsApprover reports whether email is listed by itself among r's approvers
// (group members are found by resolving the groups: see ApproverSet).
func (r *Resource) IsApprover(email string) bool {
	return email != "" && slices.Contains(r.Approvers, strings.ToLower(email))
}

// AllowsDuration reports whether d is one of the offered choices.
func (r *Resource) AllowsDuration(d time.Duration) bool {
	return slices.Contains(r.Durations, d)
}

// BreakGlassDuration is how long a break-glass grant lasts: the configured
// time (default one hour), never above MaxDuration.
func (r *Resource) BreakGlassDuration() time.Duration {
	d := DefaultBreakGlassDuration
	if r.OnCall != nil && r.OnCall.BreakGlassDuration > 0 {
		d = r.OnCall.BreakGlassDuration
	}
	if r.MaxDuration > 0 && d > r.MaxDuration {
		d = r.MaxDuration
	}
	return d
}

// Catalog is the set of resources people may request: the configured ones
// in config order, then those discovered from Okta (MergeCatalog).
type Catalog struct {
	list []Resource
	byID map[string]int
}

// NewCatalog indexes resources by id. Config validation guarantees ids are unique.
func NewCatalog(resources []Resource) *Catalog {
	c := &Catalog{list: resources, byID: make(map[string]int, len(resources))}
	for i, r := range resources {
		c.byID[r.ID] = i
	}
	return c
}

// Get returns the resource with id, or an ENOTFOUND error.
func (c *Catalog) Get(id string) (*Resource, error) {
	i, ok := c.byID[id]
	if !ok {
		ids := make([]string, 0, len(c.list))
		for _, r := range c.list {
			ids = append(ids, r.ID)
		}
		return nil, &Error{Code: ENOTFOUND, Field: "resource", Reason: ReasonUnknownResource, Params: Params{Value: id, Names: ids}}
	}
	return &c.list[i], nil
}

// Lookup returns the resource with id, if there is one.
func (c *Catalog) Lookup(id string) (*Resource, bool) {
	i, ok := c.byID[id]
	if !ok {
		return nil, false
	}
	return &c.list[i], true
}

// All returns every resource in config order. Callers must not modify it.
func (c *Catalog) All() []Resource { return c.list }

// ListedApprovers returns the approvers listed by email, without asking any
// directory; its groups, unresolved, count as unreadable.
func (r *Resource) ListedApprovers() ApproverSet {
	var s ApproverSet
	for _, e := range r.ApproverEntries() {
		if e.IsGroup() {
			s.Unreadable = append(s.Unreadable, e)
			continue
		}
		s.Add(User{Email: e.Value})
	}
	return s
}
