package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakepagerduty"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// Sandbox is a small company of local stand-ins for Slack, Okta and
// PagerDuty, and a config that points accessbot at them. The end-to-end
// tests and `accessbot demo` run the real Main against it.
type Sandbox struct {
	Slack     *fakeslack.Server
	Okta      *fakeokta.Server
	PagerDuty *fakepagerduty.Server
	Dir       string // holds the store and the audit file
	Clock     *ManualClock
}

// SandboxPerson is one person of the sandbox company, known to all three services.
type SandboxPerson struct {
	Name, SlackID, OktaID, PagerDutyID, Email string
}

// The sandbox company. Alice is primary on call, Dave second level; Bob and
// Carol approve; Erin is an admin; Mallory approves nothing.
var (
	Alice   = SandboxPerson{"alice", "U0ALICE", "00ualice", "PALICE", "alice@example.com"}
	Bob     = SandboxPerson{"bob", "U0BOB", "00ubob", "PBOB", "bob@example.com"}
	Carol   = SandboxPerson{"carol", "U0CAROL", "00ucarol", "PCAROL", "carol@example.com"}
	Dave    = SandboxPerson{"dave", "U0DAVE", "00udave", "PDAVE", "dave@example.com"}
	Erin    = SandboxPerson{"erin", "U0ERIN", "00uerin", "PERIN", "erin@example.com"}
	Mallory = SandboxPerson{"mallory", "U0MALLORY", "00umallory", "PMALLORY", "mallory@example.com"}

	SandboxPeople = []SandboxPerson{Alice, Bob, Carol, Dave, Erin, Mallory}
)

// Sandbox identifiers in Okta, PagerDuty and Slack.
const (
	SandboxGroupProdRead = "00gprodread"
	SandboxGroupDB       = "00gdbprod"
	SandboxAppGrafana    = "0oagrafana"
	SandboxSchedule      = "PSCHED1"
	SandboxEscalation    = "PESC1"
	SandboxAuditChannel  = "C0AUDIT"
)

// NewSandbox starts the stand-ins with the sandbox company in them. dir holds
// the store; the clock starts at start (its zero value: now).
func NewSandbox(dir string, start time.Time) *Sandbox {
	if start.IsZero() {
		start = time.Now()
	}
	s := &Sandbox{
		Slack:     fakeslack.New(fakeslack.Options{}),
		Okta:      fakeokta.New(fakeokta.Options{}),
		PagerDuty: fakepagerduty.New(fakepagerduty.Options{}),
		Dir:       dir,
		Clock:     &ManualClock{now: start.UTC()},
	}
	s.Slack.AddChannel(SandboxAuditChannel, "access-audit")
	for _, p := range SandboxPeople {
		s.Slack.AddUser(fakeslack.User{ID: p.SlackID, Name: p.Name, RealName: strings.ToUpper(p.Name[:1]) + p.Name[1:], Email: p.Email})
		s.Okta.AddUser(fakeokta.User{ID: p.OktaID, Login: p.Email, Email: p.Email, FirstName: p.Name, LastName: "Example", Status: "ACTIVE"})
		s.PagerDuty.AddUser(fakepagerduty.User{ID: p.PagerDutyID, Name: p.Name, Email: p.Email})
	}
	s.Okta.AddGroup(SandboxGroupProdRead, "AWS prod read")
	s.Okta.AddGroup(SandboxGroupDB, "Production database")
	s.Okta.AddApp(SandboxAppGrafana, "Grafana")
	s.PagerDuty.AddSchedule(SandboxSchedule, "Primary")
	s.PagerDuty.AddEscalationPolicy(SandboxEscalation, "Production")
	s.SetOnCall(start.Add(8*time.Hour), Alice)
	return s
}

// SetOnCall makes primary level-1 on call on the sandbox schedule until end,
// with Dave as level 2.
func (s *Sandbox) SetOnCall(end time.Time, primary SandboxPerson) {
	since := s.Clock.Now().Add(-time.Hour)
	s.PagerDuty.SetOnCalls([]fakepagerduty.OnCall{
		{UserID: primary.PagerDutyID, ScheduleID: SandboxSchedule, EscalationPolicyID: SandboxEscalation, Level: 1, Start: &since, End: &end},
		{UserID: Dave.PagerDutyID, EscalationPolicyID: SandboxEscalation, Level: 2, Start: &since, End: &end},
	})
}

// ConfigYAML returns a config for the sandbox. extra is appended under
// resources' siblings' level, e.g. "admins: [erin@example.com]\n".
func (s *Sandbox) ConfigYAML(extra string) string {
	return fmt.Sprintf(`slack:
  app_token: %s
  bot_token: %s
  api_url: %s
  allow_http: true
  audit_channel: %s
okta:
  org_url: %s
  api_token: %s
  allow_http: true
  request_timeout: 5s
pagerduty:
  api_token: %s
  api_url: %s
  allow_http: true
  cache_ttl: 1s
store:
  path: %s
admins: [erin@example.com]
timing:
  check_interval: 1s
  reminders: [1h, 10m]
  pending_ttl: 24h
  removal_alert_after: 3
policies:
  standard:
    durations: [1h, 4h, 1d]
    max_duration: 1d
    min_approvals: 1
    extension: {max_extensions: 2, requires_approval: true}
resources:
  - id: aws-prod-read
    name: AWS Production (read)
    description: Read-only role in the production account
    okta_group: %s
    approvers: [alice@example.com, bob@example.com, carol@example.com]
    policy: standard
    oncall:
      schedules: [%s]
      max_escalation_level: 1
      auto_approve: true
      break_glass: true
      break_glass_duration: 1h
  - id: grafana-admin
    name: Grafana admin
    okta_app: %s
    approvers: [bob@example.com, carol@example.com]
    policy: standard
    min_approvals: 2
    extension: {max_extensions: 1, requires_approval: false}
  - id: db-prod
    name: Production database
    okta_group: %s
    approvers: [bob@example.com, carol@example.com]
    policy: standard
%s`, s.Slack.AppToken(), s.Slack.BotToken(), s.Slack.APIURL(), SandboxAuditChannel,
		s.Okta.URL(), s.Okta.Token(), s.PagerDuty.Token(), s.PagerDuty.URL(),
		filepath.Join(s.Dir, "accessbot.db"), SandboxGroupProdRead, SandboxSchedule, SandboxAppGrafana, SandboxGroupDB, extra)
}

// Config parses ConfigYAML(extra), with edit applied to the YAML text first.
func (s *Sandbox) Config(extra string) (*config.Config, error) {
	return config.Parse([]byte(s.ConfigYAML(extra)), os.Getenv)
}

// Close stops the stand-ins.
func (s *Sandbox) Close() {
	s.Slack.Close()
	s.Okta.Close()
	s.PagerDuty.Close()
}

// ManualClock is a clock that moves only when told to.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
