package crash

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakepagerduty"
	"github.com/accessbot/accessbot/fake/fakeslack"
	"github.com/accessbot/accessbot/store/postgres/pgtest"
)

// The binary under test is built once per test run, into buildDir.
var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop() // the replica variant's database
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds ./cmd/accessbot (without -race: it is the product, run as
// a separate process) and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "accessbot-crash-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "accessbot")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/accessbot/accessbot/cmd/accessbot")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// person is one member of the test company, known to Slack and Okta.
type person struct {
	name, slackID, oktaID, email string
}

func newPerson(name string) person {
	up := strings.ToUpper(name)
	return person{name: name, slackID: "U0" + up, oktaID: "00u" + name, email: name + "@example.com"}
}

// dm is the fake's DM channel with p.
func (p person) dm() string { return "D" + p.slackID }

// resource is one resource of the test config and its Okta group.
type resource struct {
	id, group string
	// alt, when set, is a second Okta group the resource is re-pointed to
	// (and back) between some restarts, as an admin migrating it would.
	alt string
	// policy names the config policy (default "short").
	policy string
}

// groups returns the Okta groups the resource may point to.
func (r resource) groups() []string {
	if r.alt == "" {
		return []string{r.group}
	}
	return []string{r.group, r.alt}
}

// world is the fake Slack, Okta and PagerDuty and a config for the binary.
type world struct {
	t         *testing.T
	dir       string
	bin       string
	slack     *fakeslack.Server
	okta      *fakeokta.Server
	pd        *fakepagerduty.Server
	people    []person
	resources []resource
	approvers []person
	cfgPath   string
	storePath string
	auditPath string
	logPath   string
	starts    int
	// standing hold memberships of every group that the bot never granted.
	standing []person
	// repointed is set while the resources with an alt group point to it.
	repointed    bool
	cfgText      string // the config, with resourcesHere for the resources list
	approverList string

	deletes atomic.Int32 // Okta group removals that arrived (applied or not)
	// armed is the kill trigger waiting for its moment (killNow when none)
	// and target the process it kills.
	armed    atomic.Int32
	target   atomic.Pointer[proc]
	slackSrv atomic.Pointer[fakeslack.Server] // w.slack, for the hook running in the server's goroutines
}

// Kill triggers: the moment the next kill happens at.
const (
	killNow          int32 = iota // at a random moment chosen by the killer
	killOnOktaAdd                 // as Okta applies a group add, before the bot hears back
	killOnOktaRemove              // as Okta applies a group removal, before the bot hears back
	killOnApprovalDM              // as Slack posts an approval DM, before the bot records it
	killOnExtension               // as an approver's click on an extension request is acknowledged
)

// arm makes the next event of kind trigger kill the running process p (and
// no later one, however late the event comes).
func (w *world) arm(trigger int32, p *proc) {
	w.target.Store(p)
	w.armed.Store(trigger)
}

// fire kills the running process if trigger is armed. It only sends the
// signal: it runs inside the fakes' handlers and must not block.
func (w *world) fire(trigger int32) {
	if trigger == killNow || !w.armed.CompareAndSwap(trigger, killNow) {
		return
	}
	if p := w.target.Load(); p != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
}

// slackLog receives the fake Slack's log lines; the line written after a
// Web API call was served (and before its answer goes out) is the hook for
// killOnApprovalDM.
func (w *world) slackLog(format string, args ...any) {
	if w.armed.Load() != killOnApprovalDM || format != "fakeslack: %s -> %d %v" || len(args) == 0 || args[0] != "chat.postMessage" {
		return
	}
	srv := w.slackSrv.Load()
	if srv == nil {
		return
	}
	calls := srv.Calls("chat.postMessage")
	if len(calls) == 0 {
		return
	}
	ch := calls[len(calls)-1].Form.Get("channel")
	for _, a := range w.approvers {
		if ch == a.dm() || ch == a.slackID {
			w.fire(killOnApprovalDM)
			return
		}
	}
}

// oktaHook sees every Okta request as it arrives (before it is applied)
// and never faults it.
func (w *world) oktaHook(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/v1/groups/") {
		switch r.Method {
		case http.MethodPut:
			w.fire(killOnOktaAdd)
		case http.MethodDelete:
			w.deletes.Add(1)
			w.fire(killOnOktaRemove)
		}
	}
	return false
}

// worldOptions shape the config.
type worldOptions struct {
	requesters []person
	approvers  []person
	resources  []resource
	durations  string // YAML list, e.g. "[2s, 3s]"
	maxDur     string
	reminders  string // YAML list
	extra      string // appended to the config
	oktaOpts   string // extra keys under okta:, indented by two spaces
	policies   string // more policies, indented by two spaces
	// standing are people with memberships of every group (alt groups
	// too) made by hand, which the bot must never remove.
	standing []person
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	w := &world{
		t:         t,
		dir:       t.TempDir(),
		bin:       binary(t),
		okta:      fakeokta.New(fakeokta.Options{Token: "okta-crash-api-token"}),
		pd:        fakepagerduty.New(fakepagerduty.Options{Token: "pd-crash-api-token"}),
		resources: o.resources,
		approvers: o.approvers,
		standing:  o.standing,
	}
	w.slack = fakeslack.New(fakeslack.Options{BotToken: "xoxb-crash-bot-token", AppToken: "xapp-crash-app-token", Logf: w.slackLog})
	w.slackSrv.Store(w.slack)
	// Okta applies a write even when the client is gone, so a kill as the
	// request arrives lands between Okta's change and the bot's commit.
	w.okta.FailNextMatching(w.oktaHook, fakeokta.Fault{Times: 1 << 30})
	t.Cleanup(func() {
		w.slack.Close()
		w.okta.Close()
		w.pd.Close()
	})
	w.people = append(append([]person(nil), o.requesters...), o.approvers...)
	w.slack.AddChannel("C0AUDIT", "access-audit")
	for _, p := range append(append([]person(nil), w.people...), o.standing...) {
		w.slack.AddUser(fakeslack.User{ID: p.slackID, Name: p.name, RealName: p.name, Email: p.email})
		w.okta.AddUser(fakeokta.User{ID: p.oktaID, Login: p.email, Email: p.email, FirstName: p.name, LastName: "Crash", Status: "ACTIVE"})
		w.pd.AddUser(fakepagerduty.User{ID: "P" + strings.ToUpper(p.name), Name: p.name, Email: p.email})
	}
	var approvers []string
	for _, a := range o.approvers {
		approvers = append(approvers, a.email)
	}
	for _, r := range o.resources {
		for _, g := range r.groups() {
			w.okta.AddGroup(g, "group "+g+" of "+r.id)
			for _, s := range o.standing {
				w.okta.AddMember(g, s.oktaID)
			}
		}
	}
	w.approverList = strings.Join(approvers, ", ")
	w.storePath = filepath.Join(w.dir, "accessbot.db")
	w.auditPath = filepath.Join(w.dir, "audit.jsonl")
	w.logPath = filepath.Join(w.dir, "accessbot.log")
	w.cfgText = fmt.Sprintf(`slack:
  app_token: %s
  bot_token: %s
  api_url: %s
  allow_http: true
  audit_channel: C0AUDIT
okta:
  org_url: %s
  api_token: %s
  allow_http: true
%spagerduty:
  api_token: %s
  api_url: %s
  allow_http: true
store:
  path: %s
audit:
  path: %s
timing:
  check_interval: 1s
  reminders: %s
  pending_ttl: 1h
policies:
  short:
    durations: %s
    max_duration: %s
    min_approvals: 1
    extension: {max_extensions: 1, requires_approval: false}
%sresources:
%s%s`, w.slack.AppToken(), w.slack.BotToken(), w.slack.APIURL(), w.okta.URL(), w.okta.Token(), o.oktaOpts,
		w.pd.Token(), w.pd.URL(), w.storePath, w.auditPath, o.reminders, o.durations, o.maxDur, o.policies, resourcesHere, o.extra)
	w.cfgPath = filepath.Join(w.dir, "accessbot.yaml")
	w.writeConfig()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("accessbot log (last lines):\n%s", w.logTail(80))
		}
	})
	return w
}

// resourcesHere marks where the resources list goes in world.cfgText.
const resourcesHere = "\x00resources\x00"

// writeConfig writes the config file, with each resource that has an alt
// group pointing to it while w.repointed.
func (w *world) writeConfig() {
	w.t.Helper()
	var res strings.Builder
	for _, r := range w.resources {
		group, policy := r.group, r.policy
		if w.repointed && r.alt != "" {
			group = r.alt
		}
		if policy == "" {
			policy = "short"
		}
		fmt.Fprintf(&res, "  - id: %s\n    name: Resource %s\n    okta_group: %s\n    approvers: [%s]\n    policy: %s\n",
			r.id, r.id, group, w.approverList, policy)
	}
	if err := os.WriteFile(w.cfgPath, []byte(strings.Replace(w.cfgText, resourcesHere, res.String(), 1)), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// repoint points the resources that have an alt group to the other of
// their two groups, in the config file the next start reads.
func (w *world) repoint() {
	w.t.Helper()
	w.repointed = !w.repointed
	w.writeConfig()
}

// isStanding reports whether the Okta user id is one of the people whose
// memberships were made by hand.
func (w *world) isStanding(oktaID string) bool {
	for _, s := range w.standing {
		if s.oktaID == oktaID {
			return true
		}
	}
	return false
}

// proc is one run of the binary.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// start runs the binary on the world's config and store. Its output is
// appended to the world's log file.
func (w *world) start() *proc {
	w.t.Helper()
	return w.startWith(w.cfgPath, w.logPath)
}

// startWith runs the binary on the config at cfgPath, appending its
// output to logPath.
func (w *world) startWith(cfgPath, logPath string) *proc {
	w.t.Helper()
	w.starts++
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		w.t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== start %d at %s\n", w.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(w.bin, "run", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "ACCESSBOT_CONFIG=")
	if err := cmd.Start(); err != nil {
		logf.Close()
		w.t.Fatalf("start accessbot: %v", err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	w.t.Cleanup(func() { p.kill() })
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits at most d for the process to end and returns its exit code
// (-1 when it was killed by a signal), or an error when it did not end.
func (p *proc) wait(d time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(d):
		return 0, fmt.Errorf("accessbot did not exit within %s", d)
	}
	if p.err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, p.err
}

// waitConnected waits until the bot holds more Socket Mode connections
// than before (a fresh start has connected).
func (w *world) waitConnected(ctx context.Context, before int, p *proc) error {
	for {
		if w.slack.ConnectionCount() > before && w.slack.Connected() {
			return nil
		}
		if p.exited() {
			return errors.New("accessbot exited before it connected")
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return fmt.Errorf("accessbot did not connect to Slack: %w", err)
		}
	}
}

// logTail returns the last n lines of the bot's log.
func (w *world) logTail(n int) string {
	lines := w.logLines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logAbout returns the log lines that mention s.
func (w *world) logAbout(s string) string {
	var out []string
	for _, l := range w.logLines() {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// logCount counts the log lines that mention s.
func (w *world) logCount(s string) int {
	n := 0
	for _, l := range w.logLines() {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

func (w *world) logLines() []string {
	f, err := os.Open(w.logPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// sleepCtx waits d, or less when ctx ends (and then returns its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pollUntil checks cond every 10ms until it holds (true), d passes or ctx
// ends (false).
func pollUntil(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || sleepCtx(ctx, 10*time.Millisecond) != nil {
			return false
		}
	}
	return true
}
