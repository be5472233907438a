// Package config reads accessbot's YAML configuration (DESIGN.md §5): it
// expands ${VAR} references, rejects unknown keys, applies defaults, merges
// policies into resources, and reports every problem at once with the key
// path it concerns. cmd/ turns a Config into each adapter's own options; no
// other package imports this one.
package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Config is a checked configuration with every default applied. Parse and
// Load return one only when the file has no problems.
type Config struct {
	Slack     Slack
	Okta      Okta
	PagerDuty *PagerDuty // nil when the file has no pagerduty section: on-call features are off
	Store     Store
	Audit     Audit
	HTTP      HTTP
	Admins    []string // emails, lower case, of people who may revoke any grant
	// Timings is the timing section. The Timing method gives the part of it
	// the workflow needs, in the domain's type.
	Timings Timing
	// Identity says who may request and approve beyond having a Slack account.
	Identity Identity
	// Delegation says how far ahead a delegation may end and to whom.
	Delegation access.DelegationPolicy

	resources []access.Resource
	sources   []access.SourceRule
	bundles   []access.Resource
	policies  int
}

// Slack says how to reach Slack.
type Slack struct {
	AppToken     string // app-level token (xapp-…), for Socket Mode
	BotToken     string // bot token (xoxb-…)
	APIURL       string // Web API base URL; always ends with "/"; https unless AllowHTTP
	AllowHTTP    bool   // for a local test server only
	AuditChannel string // channel id for audit posts; "" for none
}

// Okta says how to reach Okta.
type Okta struct {
	OrgURL         string // scheme and host, no trailing slash; https unless AllowHTTP
	APIToken       string
	AllowHTTP      bool          // for a local test server only
	DryRun         bool          // log and audit grants and removals, make none
	RequestTimeout time.Duration // per API call
	RateLimitShare float64       // part of each Okta rate limit accessbot uses, in (0, 1]
	// UsagePoll is how often the System Log is read for uses of grants.
	UsagePoll time.Duration
	// ReconcileInterval is how often Okta's members are compared with the grants.
	ReconcileInterval time.Duration
}

// PagerDuty says how to reach PagerDuty.
type PagerDuty struct {
	APIToken  string
	APIURL    string        // base URL, no trailing slash; https unless AllowHTTP
	AllowHTTP bool          // for a local test server only
	CacheTTL  time.Duration // how long an on-call answer may be reused
}

// Store says where the database lives: a bbolt file (Path) or a
// PostgreSQL database (URL), exactly one of them.
type Store struct {
	Path string
	URL  string // postgres://…, for several replicas; may hold a password
}

// String prints the section with the URL's password redacted.
func (s Store) String() string {
	u := s.URL
	if p, err := url.Parse(u); err == nil {
		u = p.Redacted()
	} else if u != "" {
		u = "[redacted]"
	}
	return fmt.Sprintf("{Path:%s URL:%s}", s.Path, u)
}

// GoString redacts the password for %#v as String does for %v.
func (s Store) GoString() string { return "config.Store" + s.String() }

// Audit says where the JSON-lines mirror of the audit trail is appended.
type Audit struct {
	Path string // by default accessbot-audit.jsonl beside the store file
}

// HTTP says where the health and metrics endpoints listen.
type HTTP struct {
	Listen string // host:port; "" turns the endpoints off
}

// Timing says when the bot acts on its own.
type Timing struct {
	CheckInterval time.Duration   // how often expiries and reminders are checked
	Reminders     []time.Duration // lead times before expiry, longest first, no repeats; may be empty
	PendingTTL    time.Duration   // unanswered requests time out after this
	// RemovalAlertAfter failed removal attempts, the audit channel is told loudly.
	RemovalAlertAfter int
	// NudgeAfter a request was filed, approvers who have not answered are reminded.
	NudgeAfter time.Duration
}

// Resources returns the resources in config order, each with its policy
// merged in: approvers lower case, durations ascending, MaxDuration,
// MinApprovals and Extension set, OnCall nil unless the resource has an
// oncall block. The result is a copy the caller may keep or change.
func (c *Config) Resources() []access.Resource {
	out := make([]access.Resource, len(c.resources))
	for i, r := range c.resources {
		r.Approvers = slices.Clone(r.Approvers)
		r.Notify = slices.Clone(r.Notify)
		r.Steps = slices.Clone(r.Steps)
		for j := range r.Steps {
			r.Steps[j].Approvers = slices.Clone(r.Steps[j].Approvers)
		}
		if r.Escalation != nil {
			esc := *r.Escalation
			esc.Approvers = slices.Clone(esc.Approvers)
			r.Escalation = &esc
		}
		r.Durations = slices.Clone(r.Durations)
		if r.OnCall != nil {
			oc := *r.OnCall
			oc.Schedules = slices.Clone(oc.Schedules)
			oc.EscalationPolicies = slices.Clone(oc.EscalationPolicies)
			r.OnCall = &oc
		}
		if r.Activity != nil {
			a := *r.Activity
			r.Activity = &a
		}
		r.UsageApps = slices.Clone(r.UsageApps)
		out[i] = r
	}
	return out
}

// Timing returns what the workflow needs to know about time: the pending
// time-out and the reminder lead times, longest first.
func (c *Config) Timing() access.Timing {
	return access.Timing{
		PendingTTL: c.Timings.PendingTTL,
		Reminders:  slices.Clone(c.Timings.Reminders),
		NudgeAfter: c.Timings.NudgeAfter,
	}
}

// Summary describes a valid config in one line, for `accessbot validate`:
// "config OK: 4 resources (3 groups, 1 app), 2 policies, on-call on for 2 resources".
func (c *Config) Summary() string {
	groups, apps, oncall := 0, 0, 0
	for _, r := range c.resources {
		if r.Target.Kind == access.TargetApp {
			apps++
		} else {
			groups++
		}
		if r.OnCall != nil {
			oncall++
		}
	}
	s := fmt.Sprintf("config OK: %s (%s, %s), %s, ",
		count(len(c.resources), "resource"), count(groups, "group"), count(apps, "app"),
		count(c.policies, "policy"))
	if len(c.bundles) > 0 {
		s += count(len(c.bundles), "bundle") + ", "
	}
	if len(c.sources) > 0 {
		s += count(len(c.sources), "resource source") + " (resources discovered from Okta), "
	}
	if c.PagerDuty == nil {
		s += "on-call off (no pagerduty section)"
	} else {
		s += "on-call on for " + count(oncall, "resource")
	}
	if c.Okta.DryRun {
		s += ", Okta dry run (no changes will be made)"
	}
	return s
}

// count writes n and a noun, plural unless n is 1.
func count(n int, noun string) string {
	switch {
	case n == 1:
	case strings.HasSuffix(noun, "y"):
		noun = strings.TrimSuffix(noun, "y") + "ies"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// The sections that hold tokens print them redacted, so a config logged by
// mistake with %v, %+v or %#v leaks nothing. (Encoding a Config as JSON
// would still show them: log the fields you need, never the whole Config.)

// String prints the section with its tokens redacted.
func (s Slack) String() string {
	return fmt.Sprintf("{AppToken:%s BotToken:%s APIURL:%s AllowHTTP:%t AuditChannel:%s}",
		redact(s.AppToken), redact(s.BotToken), s.APIURL, s.AllowHTTP, s.AuditChannel)
}

// GoString redacts tokens for %#v as String does for %v.
func (s Slack) GoString() string { return "config.Slack" + s.String() }

// String prints the section with its token redacted.
func (o Okta) String() string {
	return fmt.Sprintf("{OrgURL:%s APIToken:%s AllowHTTP:%t DryRun:%t RequestTimeout:%s RateLimitShare:%g UsagePoll:%s ReconcileInterval:%s}",
		o.OrgURL, redact(o.APIToken), o.AllowHTTP, o.DryRun, o.RequestTimeout, o.RateLimitShare, o.UsagePoll, o.ReconcileInterval)
}

// GoString redacts tokens for %#v as String does for %v.
func (o Okta) GoString() string { return "config.Okta" + o.String() }

// String prints the section with its token redacted.
func (p PagerDuty) String() string {
	return fmt.Sprintf("{APIToken:%s APIURL:%s AllowHTTP:%t CacheTTL:%s}", redact(p.APIToken), p.APIURL, p.AllowHTTP, p.CacheTTL)
}

// GoString redacts tokens for %#v as String does for %v.
func (p PagerDuty) GoString() string { return "config.PagerDuty" + p.String() }

func redact(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[redacted]"
}
