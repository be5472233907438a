package config

import "time"

// The file* types are the shape of the YAML file (DESIGN.md §5). The decoder
// fills them from the node tree by their yaml tags; a pointer or nil slice
// means the key is absent, so defaults and policy values can tell "not set"
// from "set to zero". Every exported field must have a yaml tag.

type fileConfig struct {
	Slack     *fileSlack            `yaml:"slack"`
	Okta      *fileOkta             `yaml:"okta"`
	PagerDuty *filePagerDuty        `yaml:"pagerduty"`
	Store     *fileStore            `yaml:"store"`
	Audit     *fileAudit            `yaml:"audit"`
	HTTP      *fileHTTP             `yaml:"http"`
	Admins    []string              `yaml:"admins"`
	Timing    *fileTiming           `yaml:"timing"`
	Policies  map[string]filePolicy `yaml:"policies"`
	Resources []fileResource        `yaml:"resources"`
	Identity  *fileIdentity         `yaml:"identity"`
	// ResourceSources discover resources from Okta (source.go).
	ResourceSources []fileSource `yaml:"resource_sources"`
	// Bundles grant several resources with one request (bundle.go).
	Bundles    []fileBundle    `yaml:"bundles"`
	Delegation *fileDelegation `yaml:"delegation"`
}

type fileDelegation struct {
	Max *time.Duration `yaml:"max"`
	To  string         `yaml:"to"`
}

type fileSlack struct {
	AppToken     string `yaml:"app_token"`
	BotToken     string `yaml:"bot_token"`
	APIURL       string `yaml:"api_url"`
	AllowHTTP    bool   `yaml:"allow_http"`
	AuditChannel string `yaml:"audit_channel"`
}

type fileOkta struct {
	OrgURL         string         `yaml:"org_url"`
	APIToken       string         `yaml:"api_token"`
	AllowHTTP      bool           `yaml:"allow_http"`
	DryRun         bool           `yaml:"dry_run"`
	RequestTimeout *time.Duration `yaml:"request_timeout"`
	RateLimitShare *float64       `yaml:"rate_limit_share"`
	// UsagePoll and ReconcileInterval: how often the System Log is read
	// for uses, and Okta's members compared with the grants.
	UsagePoll         *time.Duration `yaml:"usage_poll"`
	ReconcileInterval *time.Duration `yaml:"reconcile_interval"`
}

type filePagerDuty struct {
	APIToken  string         `yaml:"api_token"`
	APIURL    string         `yaml:"api_url"`
	AllowHTTP bool           `yaml:"allow_http"`
	CacheTTL  *time.Duration `yaml:"cache_ttl"`
}

type fileStore struct {
	Path *string `yaml:"path"`
	URL  *string `yaml:"url"`
}

type fileAudit struct {
	Path string `yaml:"path"`
}

type fileHTTP struct {
	Listen string `yaml:"listen"`
}

type fileTiming struct {
	CheckInterval     *time.Duration  `yaml:"check_interval"`
	Reminders         []time.Duration `yaml:"reminders"`
	PendingTTL        *time.Duration  `yaml:"pending_ttl"`
	RemovalAlertAfter *int            `yaml:"removal_alert_after"`
	NudgeAfter        *time.Duration  `yaml:"nudge_after"`
}

type fileEscalation struct {
	After     *time.Duration `yaml:"after"`
	Approvers []string       `yaml:"approvers"`
}

type fileExtension struct {
	MaxExtensions    *int  `yaml:"max_extensions"`
	RequiresApproval *bool `yaml:"requires_approval"`
}

// filePolicy holds the settings a resource can take from a named policy.
type filePolicy struct {
	Durations    []time.Duration `yaml:"durations"`
	MaxDuration  *time.Duration  `yaml:"max_duration"`
	MinApprovals *int            `yaml:"min_approvals"`
	Extension    *fileExtension  `yaml:"extension"`
	Approvers    []string        `yaml:"approvers"`
	Notify       []string        `yaml:"notify"`
	NotifyMax    *int            `yaml:"notify_max"`
	Escalation   *fileEscalation `yaml:"escalation"`
	OnBehalf     *string         `yaml:"on_behalf"`
	// ApprovalSteps replaces approvers: approval in order, step by step.
	ApprovalSteps []fileStep    `yaml:"approval_steps"`
	Activity      *fileActivity `yaml:"activity"`
}

type fileStep struct {
	Approvers    []string `yaml:"approvers"`
	MinApprovals *int     `yaml:"min_approvals"`
}

// fileActivity offers an activity-based duration: the grant stays while
// it is used.
type fileActivity struct {
	IdleAfter *time.Duration `yaml:"idle_after"`
	MaxAge    *time.Duration `yaml:"max_age"`
}

type fileResource struct {
	ID          string          `yaml:"id"`
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	OktaGroup   string          `yaml:"okta_group"`
	OktaApp     string          `yaml:"okta_app"`
	Approvers   []string        `yaml:"approvers"`
	Policy      string          `yaml:"policy"`
	Durations   []time.Duration `yaml:"durations"`
	MaxDuration *time.Duration  `yaml:"max_duration"`
	// MinApprovals and Extension override the policy's.
	MinApprovals *int           `yaml:"min_approvals"`
	Extension    *fileExtension `yaml:"extension"`
	OnCall       *fileOnCall    `yaml:"oncall"`
	// Notify and NotifyMax override the policy's.
	Notify     []string        `yaml:"notify"`
	NotifyMax  *int            `yaml:"notify_max"`
	Escalation *fileEscalation `yaml:"escalation"`
	OnBehalf   *string         `yaml:"on_behalf"`
	// ApprovalSteps replaces approvers (a resource sets one or the other).
	ApprovalSteps []fileStep    `yaml:"approval_steps"`
	Activity      *fileActivity `yaml:"activity"`
	// UsageApps are Okta app ids whose sign-ons count as uses.
	UsageApps []string `yaml:"usage_apps"`
	// Standing is "allowed" (the default) or "forbidden".
	Standing string `yaml:"standing"`
}

type fileOnCall struct {
	Schedules          []string       `yaml:"schedules"`
	EscalationPolicies []string       `yaml:"escalation_policies"`
	MaxEscalationLevel *int           `yaml:"max_escalation_level"`
	AutoApprove        bool           `yaml:"auto_approve"`
	BreakGlass         bool           `yaml:"break_glass"`
	BreakGlassDuration *time.Duration `yaml:"break_glass_duration"`
}
