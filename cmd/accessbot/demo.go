package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/fake/fakeokta"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// demoStepTimeout bounds the wait for what one step should cause. The fakes
// answer in milliseconds; the bound only turns a broken build into a clear
// failure instead of a hang.
const demoStepTimeout = 10 * time.Second

// demoCommand is `accessbot demo`: the real bot (the same Main that `run`
// starts) against the Sandbox — local stand-ins for Slack, Okta and
// PagerDuty — playing the main stories as people would, and printing what
// each person and Okta see. The store lives in a temporary directory that is
// removed at exit. Time moves on the sandbox's clock, not the wall clock, so
// the demo takes well under a second. The exit code is non-zero if any step does not
// happen as it should, so CI can run it.
func demoCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flagSet("demo", stderr)
	verbose := fs.Bool("verbose", false, "show the bot's log (console format) on stderr")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "accessbot demo: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	dir, err := os.MkdirTemp(getenv("TMPDIR"), "accessbot-demo-")
	if err != nil {
		fmt.Fprintln(stderr, "accessbot demo:", err)
		return exitFailed
	}
	defer os.RemoveAll(dir)

	var logOut io.Writer
	var logFile *os.File
	if *verbose {
		logOut = zerolog.ConsoleWriter{Out: zerolog.SyncWriter(stderr), TimeFormat: time.TimeOnly, NoColor: !demoIsTerminal(stderr)}
	} else {
		if logFile, err = os.OpenFile(filepath.Join(dir, "accessbot.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
			fmt.Fprintln(stderr, "accessbot demo:", err)
			return exitFailed
		}
		defer logFile.Close()
		logOut = logFile
	}

	d, err := startDemo(ctx, dir, stdout, zerolog.New(logOut).Level(zerolog.DebugLevel).With().Timestamp().Logger())
	if err == nil {
		err = d.play(ctx)
		if serr := d.stop(); err == nil {
			err = serr
		}
	}
	if err != nil {
		fmt.Fprintf(stdout, "\n✗ demo failed: %v\n", err)
		if logFile != nil {
			fmt.Fprintf(stderr, "the bot's log, last lines (run with --verbose for all of it):\n%s", demoTail(filepath.Join(dir, "accessbot.log"), 30))
		}
		return exitFailed
	}
	fmt.Fprintf(stdout, "\n✓ every story played as it should, in %s of real time (the sandbox clock moved %s).\n",
		time.Since(d.began).Round(10*time.Millisecond), demoDuration(d.sb.Clock.Now().Sub(d.start)))
	fmt.Fprintln(stdout, "Nothing is left behind: the temporary store and the local stand-ins are gone.")
	fmt.Fprintln(stdout, "Next: accessbot init accessbot.yaml, then see the README's \"Setting up\".")
	return exitOK
}

// demo is a running demo: the sandbox, the bot, and what was printed so far.
type demo struct {
	out   io.Writer
	sb    *Sandbox
	m     *Main
	names map[string]string // Slack and Okta user ids → first names
	shown map[string]string // channel|ts → the content last printed for that message
	// approvals are bob's and carol's approval requests of story 1, which
	// follow the grant to its end.
	approvals [2]fakeslack.Message
	// targets names Okta groups and apps by the resource they back.
	targets map[string]string

	stepTimeout  time.Duration // demoStepTimeout; tests shorten it
	began, start time.Time
	cancel       context.CancelFunc
	done         chan error

	pending   []demoLine // emitted, not printed yet
	printed   int        // Slack message log position printed up to
	oktaSeen  int        // Okta writes printed
	mark      int        // Slack message log position when the current step began
	stepStart time.Time  // wall time the current step began, for Okta calls
}

// startDemo starts the sandbox and the bot in dir and waits until the bot is
// connected to the fake Slack.
func startDemo(ctx context.Context, dir string, out io.Writer, logger zerolog.Logger) (*demo, error) {
	d := &demo{out: out, stepTimeout: demoStepTimeout, began: time.Now(), names: map[string]string{}, shown: map[string]string{}, targets: map[string]string{}}
	d.sb = NewSandbox(dir, time.Time{})
	d.sb.Okta.AddGroup(demoGroupStaging, "Staging admin")
	d.start = d.sb.Clock.Now()
	demoDiscoveredOkta(d.sb)
	cfg, err := config.Parse([]byte(d.sb.ConfigYAML(demoUsageResource+demoStagingYAML+demoSources)), func(string) string { return "" })
	if err != nil {
		d.sb.Close()
		return nil, fmt.Errorf("sandbox config: %w", err)
	}
	for _, p := range SandboxPeople {
		d.names[p.SlackID] = p.Name
		d.names[p.OktaID] = p.Name
	}
	for _, r := range cfg.Resources() {
		d.targets[r.Target.ID] = r.Name
	}
	d.targets[demoGroupBilling] = "JIT AWS Billing, discovered"

	d.m = NewMain(cfg, logger)
	d.m.Now = d.sb.Clock.Now
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel, d.done = cancel, make(chan error, 1)
	m := d.m
	go func() {
		err := m.Run(runCtx)
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		d.done <- err
	}()
	wctx, wcancel := context.WithTimeout(ctx, demoStepTimeout)
	defer wcancel()
	select {
	case <-m.Started():
	case err := <-d.done:
		d.done <- err
		d.stop()
		return nil, fmt.Errorf("accessbot did not start: %w", err)
	case <-wctx.Done():
		d.stop()
		return nil, errors.New("accessbot did not start in time")
	}
	if err := d.sb.Slack.WaitConnected(wctx); err != nil {
		d.stop()
		return nil, fmt.Errorf("accessbot did not connect to Slack: %w", err)
	}
	return d, nil
}

// stop stops the bot, prints what it did last, then stops the stand-ins,
// and returns how the bot ended.
func (d *demo) stop() error {
	defer d.sb.Close()
	if d.cancel == nil {
		return nil
	}
	d.cancel()
	d.cancel = nil
	select {
	case err := <-d.done:
		d.flush()
		if err != nil {
			return fmt.Errorf("accessbot stopped with an error: %w", err)
		}
		return nil
	case <-time.After(demoStepTimeout):
		return errors.New("accessbot did not stop in time")
	}
}

// play runs the stories in order; the first step that does not happen as it
// should ends the demo with an error naming it.
func (d *demo) play(ctx context.Context) error {
	d.intro()
	stories := []struct {
		title string
		play  func(ctx context.Context) error
	}{
		{"Request and approval", d.storyRequest},
		{"On-call auto-approval", d.storyOnCall},
		{"Break-glass", d.storyBreakGlass},
		{"Reminder and extension", d.storyExtend},
		{"Expiry", d.storyExpiry},
		{"Use: access that follows it, and the report", d.storyUse},
		{"Delegation while away", d.storyDelegation}, // demo_people.go
		{"A request for someone else", d.storyOnBehalf},
		{"Discovered from Okta", d.storyDiscovered},
		{"A bundle", d.storyBundle},
	}
	for i, s := range stories {
		d.emit("\n━━ %d. %s ━━ (sandbox clock %s)", i+1, s.title, demoClock(d.sb.Clock.Now()))
		if err := s.play(ctx); err != nil {
			return fmt.Errorf("story %d (%s): %w", i+1, s.title, err)
		}
	}
	return nil
}

func (d *demo) intro() {
	fmt.Fprint(d.out, `accessbot demo: the real bot, run against local stand-ins for Slack, Okta and
PagerDuty, with a temporary store. Nothing here touches a real service.

The company: alice (on call in PagerDuty), bob and carol (approvers), dave (an
engineer), erin (admin), mallory. What they can ask for:
  db-prod        Production database, Okta group 00gdbprod; bob or carol approve
  aws-prod-read  AWS Production (read), Okta group 00gprodread; on-call people are
                 auto-approved and may use break-glass
  grafana-admin  Grafana admin, Okta app 0oagrafana; needs both bob and carol
  staging-admin  Staging admin, Okta group 00gstaging; bob or carol approve, and
                 an approver may ask for it for someone else
  jit-aws-…      every Okta group named "JIT AWS …", discovered by a
                 resource_sources rule; bob or carol approve
  incident-kit   a bundle of db-prod and grafana-admin: one request, one
                 approval (bob or carol), both granted and ended together

Read "name › …" as what a person does and "name ‹ …" as what they see in Slack.
`)
}

// Story 1: dave asks through the form; bob approves; Okta adds him.
func (d *demo) storyRequest(ctx context.Context) error {
	d.begin()
	d.act(Dave, "/access")
	if _, err := d.sb.Slack.SlashCommand(ctx, Dave.SlackID, "/access", "", "C0GENERAL"); err != nil {
		return fmt.Errorf("/access: %w", err)
	}
	v, err := d.waitView(ctx, "the request form", func(v fakeslack.View) bool {
		return v.User == Dave.SlackID && v.Open && v.CallbackID == bot.CallbackRequest
	})
	if err != nil {
		return err
	}
	d.see(Dave, "a form, %q: Resource · Duration · Reason · Approvers (optional)", v.Title)
	d.act(Dave, "picks Resource: Production database")
	if _, err := d.sb.Slack.ViewAction(ctx, Dave.SlackID, v.ID, bot.BlockResource, bot.ActionResourceSelect, "db-prod"); err != nil {
		return fmt.Errorf("pick the resource: %w", err)
	}
	v, err = d.waitView(ctx, "the form to offer db-prod's durations", func(u fakeslack.View) bool {
		sel, ok := u.Element(bot.BlockResource, bot.ActionResourceSelect)
		init, _ := sel["initial_option"].(map[string]any)
		return u.ID == v.ID && ok && init != nil && init["value"] == "db-prod" && demoBlock(u, bot.BlockDurationPrefix) != ""
	})
	if err != nil {
		return err
	}
	reason := "migrate the orders table (CHG-1042)"
	d.act(Dave, "submits the form: Duration 4h, Reason “%s”", reason)
	ack, err := d.sb.Slack.SubmitView(ctx, Dave.SlackID, v.ID, map[string]map[string]any{
		bot.BlockResource:                     {bot.ActionResourceSelect: fakeslack.SelectValue("db-prod")},
		demoBlock(v, bot.BlockDurationPrefix): {bot.ActionDurationSelect: fakeslack.SelectValue("4h")},
		bot.BlockReason:                       {bot.ActionReasonInput: fakeslack.TextValue(reason)},
	})
	if err != nil {
		return fmt.Errorf("submit the form: %w", err)
	}
	if ack.ResponseAction() == "errors" {
		return fmt.Errorf("the form was refused: %v", ack.Errors())
	}
	bobDM, carolDM := &d.approvals[0], &d.approvals[1]
	var confirmation fakeslack.Message
	if err := d.expect(ctx,
		d.dmWith(Bob, "an approval request with Approve and Deny", bobDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Carol, "an approval request with Approve and Deny", carolDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Dave, "a confirmation that the request was sent", &confirmation, demoHasWords("sent to")),
	); err != nil {
		return err
	}

	d.begin()
	d.click(ctx, Bob, *bobDM, bot.ActionApprove)
	return d.expect(ctx,
		d.oktaWrite("dave added to group 00gdbprod", http.MethodPut, "/api/v1/groups/"+SandboxGroupDB+"/users/"+Dave.OktaID),
		d.dmWith(Dave, "a DM that access is granted, with Revoke now", nil, demoHasButtons(bot.ActionRevoke)),
		d.updateOf(*bobDM, "bob's approval request to show the access active, with Revoke instead of Approve", demoActiveApproval),
		d.updateOf(*carolDM, "carol's approval request to show bob approved, with Revoke instead of Approve", demoActiveApproval),
		d.updateOf(confirmation, "dave's confirmation to show the access active, without Cancel", func(m fakeslack.Message) bool {
			return !demoHasButton(m, bot.ActionCancel) && demoHasWords("active")(m)
		}),
		d.audited("the grant", "granted", "db-prod"),
	)
}

// Story 2: alice is on call, so her request is approved at once; she ends it herself.
func (d *demo) storyOnCall(ctx context.Context) error {
	d.emit("%s· alice is on call: level 1 of schedule %s until %s", demoPad("pagerduty"), SandboxSchedule, demoClock(d.start.Add(8*time.Hour)))
	d.begin()
	var granted fakeslack.Message
	if err := d.slash(ctx, Alice, "/access", "request aws-prod-read 1h INC-2211 checking the 5xx spike"); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.oktaWrite("alice added to group 00gprodread", http.MethodPut, "/api/v1/groups/"+SandboxGroupProdRead+"/users/"+Alice.OktaID),
		d.replyTo(Alice, "word that she was auto-approved", demoHasWords("auto-approved")),
		d.dmWith(Alice, "a DM that access is granted, with Revoke now", &granted, demoHasButtons(bot.ActionRevoke)),
		d.dmWith(Bob, "an FYI that alice was auto-approved, without buttons", nil, demoFYI),
		d.dmWith(Carol, "an FYI that alice was auto-approved, without buttons", nil, demoFYI),
		d.audited("the auto-approved grant", "granted", "aws-prod-read"),
	); err != nil {
		return err
	}

	d.begin()
	d.click(ctx, Alice, granted, bot.ActionRevoke)
	return d.expect(ctx,
		d.oktaWrite("alice removed from group 00gprodread", http.MethodDelete, "/api/v1/groups/"+SandboxGroupProdRead+"/users/"+Alice.OktaID),
		d.dmWith(Alice, "a DM that her access was revoked", nil, demoHasWords("revoked")),
		d.updateOf(granted, "the DM she clicked to say it was revoked, without Revoke now", demoEnded),
		d.audited("the revocation", "revoked", "aws-prod-read"),
	)
}

// Story 3: break-glass is refused to someone not on call, granted to alice
// and announced loudly; bob revokes it.
func (d *demo) storyBreakGlass(ctx context.Context) error {
	d.begin()
	if err := d.slash(ctx, Mallory, "/breakglass", "aws-prod-read need prod now"); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.replyTo(Mallory, "a refusal: break-glass is only for people on call", demoHasWords("on call")),
		d.audited("the refused attempt", "break-glass", "<@"+Mallory.SlackID+">"),
	); err != nil {
		return err
	}
	if len(d.sb.Okta.Writes()) != d.oktaSeen {
		return errors.New("break-glass was refused, yet Okta was changed")
	}

	d.begin()
	var bobDM, carolDM fakeslack.Message
	if err := d.slash(ctx, Alice, "/access", "breakglass aws-prod-read INC-2212 primary database down, failing over"); err != nil {
		return err
	}
	if err := d.expect(ctx,
		d.oktaWrite("alice added to group 00gprodread", http.MethodPut, "/api/v1/groups/"+SandboxGroupProdRead+"/users/"+Alice.OktaID),
		d.replyTo(Alice, "word that break-glass access is granted", demoHasWords("break-glass")),
		d.dmWith(Alice, "a DM that access is granted, with Revoke now", nil, demoHasButtons(bot.ActionRevoke)),
		d.inChannel(SandboxAuditChannel, "a loud break-glass post with Revoke in the audit channel",
			func(m fakeslack.Message) bool {
				return demoHasWords("break-glass")(m) && demoHasButton(m, bot.ActionRevoke)
			}),
		d.dmWith(Bob, "a loud break-glass DM with Revoke", &bobDM, demoHasButtons(bot.ActionRevoke)),
		d.dmWith(Carol, "a loud break-glass DM with Revoke", &carolDM, demoHasButtons(bot.ActionRevoke)),
	); err != nil {
		return err
	}

	d.begin()
	d.click(ctx, Bob, bobDM, bot.ActionRevoke)
	return d.expect(ctx,
		d.oktaWrite("alice removed from group 00gprodread", http.MethodDelete, "/api/v1/groups/"+SandboxGroupProdRead+"/users/"+Alice.OktaID),
		d.dmWith(Alice, "a DM that bob revoked her access", nil, demoHasWords("revoked", "<@"+Bob.SlackID+">")),
		d.audited("the revocation", "revoked", "<@"+Bob.SlackID+">"),
		d.updateOf(bobDM, "bob's break-glass DM to lose its Revoke button", demoEnded),
		d.updateOf(carolDM, "carol's break-glass DM to lose its Revoke button", demoEnded),
	)
}

// Story 4: an hour before dave's grant ends he is reminded, asks for one
// more hour, and carol approves the extension.
func (d *demo) storyExtend(ctx context.Context) error {
	d.begin()
	d.advance(3 * time.Hour)
	var reminder fakeslack.Message
	if err := d.expect(ctx, d.dmWith(Dave, "a reminder with Extend buttons", &reminder, demoHasExtend)); err != nil {
		return err
	}
	extend, ok := demoExtendButton(reminder, "1h")
	if !ok {
		return fmt.Errorf("the reminder has no “Extend 1h” button: %s", d.content(reminder))
	}

	d.begin()
	d.act(Dave, "clicks [%s]", extend.Text)
	if _, err := d.sb.Slack.ClickButtonValue(ctx, Dave.SlackID, reminder, extend.ActionID, extend.Value); err != nil {
		return fmt.Errorf("click %s: %w", extend.Text, err)
	}
	var carolDM fakeslack.Message
	if err := d.expect(ctx,
		d.dmWith(Bob, "an extension request with Approve and Deny", nil, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Carol, "an extension request with Approve and Deny", &carolDM, demoHasButtons(bot.ActionApprove, bot.ActionDeny)),
		d.dmWith(Dave, "a confirmation that the extension request was sent", nil, demoHasWords("extend", "sent to")),
		d.updateOf(reminder, "the reminder he clicked to say the extension was asked for", demoHasWords("extend", "sent to")),
	); err != nil {
		return err
	}

	d.begin()
	d.click(ctx, Carol, carolDM, bot.ActionApprove)
	return d.expect(ctx,
		d.dmWith(Dave, "a DM that the access was extended", nil, demoHasWords("extended")),
		d.updateOf(carolDM, "carol's extension request to show it done", func(m fakeslack.Message) bool {
			return demoEnded(m) && demoHasWords("extended")(m)
		}),
		d.audited("the extension", "extended", "db-prod"),
	)
}

// Story 5: the extended grant runs out; Okta removes dave.
func (d *demo) storyExpiry(ctx context.Context) error {
	d.begin()
	d.advance(2 * time.Hour)
	if err := d.expect(ctx,
		d.oktaWrite("dave removed from group 00gdbprod", http.MethodDelete, "/api/v1/groups/"+SandboxGroupDB+"/users/"+Dave.OktaID),
		d.dmWith(Dave, "a DM that the access expired", nil, demoHasWords("expired")),
		d.updateOf(d.approvals[0], "bob's approval request to show the access expired", demoHasWords("expired")),
		d.updateOf(d.approvals[1], "carol's approval request to show the access expired", demoHasWords("expired")),
	); err != nil {
		return err
	}
	for _, g := range []string{SandboxGroupDB, SandboxGroupProdRead} {
		if members := d.sb.Okta.Members(g); len(members) > 0 {
			return fmt.Errorf("okta group %s still has members %v", g, members)
		}
	}
	if users := d.sb.Okta.AppUsers(SandboxAppGrafana); len(users) > 0 {
		return fmt.Errorf("okta app %s still has users %v", SandboxAppGrafana, users)
	}
	d.emit("%s· no temporary access is left in any group or app", demoPad("okta"))
	return nil
}

// begin starts a step: what happens from here on is the step's.
func (d *demo) begin() {
	d.mark = d.sb.Slack.Mark()
	d.stepStart = time.Now()
}

// emit adds a line to the transcript, at the time it happened.
func (d *demo) emit(format string, args ...any) {
	d.pending = append(d.pending, demoLine{time.Now(), fmt.Sprintf(format, args...)})
}

func (d *demo) act(p SandboxPerson, format string, args ...any) {
	d.emit("%s› %s", demoPad(p.Name), fmt.Sprintf(format, args...))
}

func (d *demo) see(p SandboxPerson, format string, args ...any) {
	d.emit("%s‹ %s", demoPad(p.Name), fmt.Sprintf(format, args...))
}

// slash types a slash command as p.
func (d *demo) slash(ctx context.Context, p SandboxPerson, command, text string) error {
	d.act(p, "%s %s", command, text)
	if _, err := d.sb.Slack.SlashCommand(ctx, p.SlackID, command, text, "C0GENERAL"); err != nil {
		return fmt.Errorf("%s %s: %w", command, text, err)
	}
	return nil
}

// click presses the button actionID of msg as p. A failure to deliver the
// click shows up as the expected outcome not happening.
func (d *demo) click(ctx context.Context, p SandboxPerson, msg fakeslack.Message, actionID string) {
	b, _ := msg.Button(actionID)
	d.act(p, "clicks [%s]", b.Text)
	if _, err := d.sb.Slack.ClickButton(ctx, p.SlackID, msg, actionID); err != nil {
		d.emit("  (the click failed: %v)", err)
	}
}

// advance moves the sandbox clock and has the bot look at once, as its
// check_interval timer would.
func (d *demo) advance(by time.Duration) {
	d.sb.Clock.Advance(by)
	d.emit("⏩ %s later (sandbox clock %s)", demoDuration(by), demoClock(d.sb.Clock.Now()))
	d.m.Workflow().Kick()
}

// demoExpectation is something a step should cause, and how to wait for it.
type demoExpectation struct {
	what string
	wait func(ctx context.Context) error
}

// expect waits for every expectation, then prints what Slack and Okta showed.
func (d *demo) expect(ctx context.Context, exps ...demoExpectation) error {
	ctx, cancel := context.WithTimeout(ctx, d.stepTimeout)
	defer cancel()
	var err error
	for _, e := range exps {
		if werr := e.wait(ctx); werr != nil {
			err = fmt.Errorf("expected %s, but it did not happen (%v)", e.what, werr)
			break
		}
	}
	d.flush()
	return err
}

// demoLine is a line of the transcript and when it happened.
type demoLine struct {
	at   time.Time
	text string
}

// flush prints the lines emitted, every Slack message and every Okta change
// not printed yet, in the order they happened (so a message that arrives
// late still lands before the step that followed it). A redraw that changes
// nothing a person would see is left out.
func (d *demo) flush() {
	lines := d.pending
	d.pending = nil
	for _, m := range d.sb.Slack.MessageLog() {
		if m.Seq <= d.printed {
			continue
		}
		d.printed = m.Seq
		text := d.describe(m)
		key := m.Channel + "|" + m.TS
		if text == "" || m.Kind == fakeslack.KindUpdated && d.shown[key] == d.content(m) {
			continue
		}
		d.shown[key] = d.content(m)
		lines = append(lines, demoLine{m.Time, text})
	}
	writes := d.sb.Okta.Writes()
	for _, c := range writes[min(d.oktaSeen, len(writes)):] {
		lines = append(lines, demoLine{c.Time, d.describeOkta(c)})
	}
	d.oktaSeen = len(writes)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
	for _, l := range lines {
		fmt.Fprintln(d.out, l.text)
	}
}

// describe renders a Slack message as the person who sees it would read it.
func (d *demo) describe(m fakeslack.Message) string {
	var who, where string
	switch {
	case m.Kind == fakeslack.KindDeleted || m.Deleted:
		return ""
	case m.Channel == SandboxAuditChannel:
		who, where = "#access-audit", "post"
	case strings.HasPrefix(m.Channel, "D"):
		who, where = d.name(strings.TrimPrefix(m.Channel, "D")), "DM"
	case m.User != "":
		who, where = d.name(m.User), "only you see"
	default:
		who, where = m.Channel, "post"
	}
	if m.Kind == fakeslack.KindUpdated {
		where += ", updated"
	}
	return demoPad(who) + "‹ " + where + ": " + d.content(m)
}

// content is a message's text and buttons, as shown. A redraw whose
// notification text did not change shows its last section too, where the
// outcome ("Revoked by @bob") is.
func (d *demo) content(m fakeslack.Message) string {
	s := d.clean(m)
	if m.Kind == fakeslack.KindUpdated {
		if last := d.cleanText(demoLastSection(m)); last != "" && !strings.Contains(s, last) {
			s += " → " + last
		}
	}
	for _, b := range m.Buttons() {
		s += " [" + b.Text + "]"
	}
	return s
}

// demoPad left-aligns a name in the transcript's first column.
func demoPad(name string) string {
	if n := len([]rune(name)); n < 8 {
		return name + strings.Repeat(" ", 8-n)
	}
	return name + " "
}

// describeOkta says what an Okta write did, by name.
func (d *demo) describeOkta(c fakeokta.Call) string {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(c.Path, "/api/v1/"), "/"), "/")
	what := c.Method + " " + c.Path
	if len(parts) >= 3 && parts[2] == "users" {
		target := parts[1]
		if name := d.targets[target]; name != "" {
			target += " (" + name + ")"
		}
		user := "someone"
		if len(parts) == 4 {
			user = d.name(parts[3])
		} else if m := demoOktaUserID.FindSubmatch(c.Body); m != nil {
			user = d.name(string(m[1]))
		}
		switch {
		case parts[0] == "groups" && c.Method == http.MethodPut:
			what = user + " added to group " + target
		case parts[0] == "groups" && c.Method == http.MethodDelete:
			what = user + " removed from group " + target
		case parts[0] == "apps" && c.Method == http.MethodPost:
			what = user + " assigned to app " + target
		case parts[0] == "apps" && c.Method == http.MethodDelete:
			what = user + " unassigned from app " + target
		}
	}
	if c.Status >= 300 || c.Status == 0 {
		what += fmt.Sprintf(" — refused (HTTP %d)", c.Status)
	}
	return demoPad("okta") + "· " + what
}

var demoOktaUserID = regexp.MustCompile(`"id"\s*:\s*"([^"]+)"`)

func (d *demo) name(id string) string {
	if n := d.names[id]; n != "" {
		return n
	}
	return id
}

var (
	demoMention = regexp.MustCompile(`<@([A-Z0-9]+)>`)
	demoDate    = regexp.MustCompile(`<!date\^[^|>]*\|([^>]*)>`)
	demoLink    = regexp.MustCompile(`<[^|>]+\|([^>]*)>`)
	demoSpaces  = regexp.MustCompile(`\s+`)
)

// clean turns a message's text (its notification text, which the bot writes
// as a one-line summary) from Slack markup into plain words.
func (d *demo) clean(m fakeslack.Message) string {
	if m.RawText == "" {
		return d.cleanText(m.Text())
	}
	return d.cleanText(m.RawText)
}

// cleanText turns Slack markup into plain words on one line.
func (d *demo) cleanText(s string) string {
	s = demoMention.ReplaceAllStringFunc(s, func(x string) string { return "@" + d.name(demoMention.FindStringSubmatch(x)[1]) })
	s = demoDate.ReplaceAllStringFunc(s, func(x string) string {
		fallback := demoDate.FindStringSubmatch(x)[1]
		if t, err := time.Parse(time.RFC3339, fallback); err == nil {
			return demoClock(t)
		}
		return fallback
	})
	s = demoLink.ReplaceAllString(s, "$1")
	s = strings.NewReplacer("*", "", "`", "").Replace(s)
	s = html.UnescapeString(s)
	s = strings.TrimSpace(demoSpaces.ReplaceAllString(s, " "))
	if r := []rune(s); len(r) > 240 {
		s = string(r[:240]) + "…"
	}
	return s
}

// waitView waits for a view (modal) matching pred.
func (d *demo) waitView(ctx context.Context, what string, pred func(fakeslack.View) bool) (fakeslack.View, error) {
	ctx, cancel := context.WithTimeout(ctx, d.stepTimeout)
	defer cancel()
	v, err := d.sb.Slack.WaitView(ctx, pred)
	if err != nil {
		return v, fmt.Errorf("expected %s, but it did not appear (%v)", what, err)
	}
	return v, nil
}

// dmWith expects a message in p's DM since the step began, matching pred;
// found (if not nil) receives it.
func (d *demo) dmWith(p SandboxPerson, what string, found *fakeslack.Message, pred func(fakeslack.Message) bool) demoExpectation {
	return d.message(p.Name+" to get "+what, found, func(m fakeslack.Message) bool {
		return m.Channel == demoDM(p) && m.Kind == fakeslack.KindPosted && pred(m)
	})
}

// replyTo expects an answer to p's command or click that only p sees.
func (d *demo) replyTo(p SandboxPerson, what string, pred func(fakeslack.Message) bool) demoExpectation {
	return d.message(p.Name+" to get "+what, nil, func(m fakeslack.Message) bool {
		reply := m.Kind == fakeslack.KindEphemeral || m.Kind == fakeslack.KindResponseURL || m.Kind == fakeslack.KindCommandAck
		return reply && m.User == p.SlackID && pred(m)
	})
}

// audited expects a post in the audit channel about what words say.
func (d *demo) audited(what string, words ...string) demoExpectation {
	return d.inChannel(SandboxAuditChannel, what+" posted in the audit channel", demoHasWords(words...))
}

func (d *demo) inChannel(channel, what string, pred func(fakeslack.Message) bool) demoExpectation {
	return d.message(what, nil, func(m fakeslack.Message) bool { return m.Channel == channel && pred(m) })
}

// updateOf expects msg to be redrawn to match pred.
func (d *demo) updateOf(msg fakeslack.Message, what string, pred func(fakeslack.Message) bool) demoExpectation {
	return d.message(what, nil, func(m fakeslack.Message) bool {
		return m.Kind == fakeslack.KindUpdated && m.Channel == msg.Channel && m.TS == msg.TS && pred(m)
	})
}

func (d *demo) message(what string, found *fakeslack.Message, pred func(fakeslack.Message) bool) demoExpectation {
	mark := d.mark
	return demoExpectation{what: what, wait: func(ctx context.Context) error {
		m, err := d.sb.Slack.WaitMessageAfter(ctx, mark, pred)
		if err == nil && found != nil {
			*found = m
		}
		return err
	}}
}

// oktaWrite expects Okta to be asked for method path since the step began, and to agree.
func (d *demo) oktaWrite(what, method, path string) demoExpectation {
	since := d.stepStart
	return demoExpectation{what: "okta: " + what, wait: func(ctx context.Context) error {
		c, err := d.sb.Okta.WaitCall(ctx, func(c fakeokta.Call) bool {
			return c.Method == method && c.Path == path && !c.Time.Before(since)
		})
		if err == nil && (c.Status < 200 || c.Status >= 300) {
			return fmt.Errorf("okta answered HTTP %d", c.Status)
		}
		return err
	}}
}

// demoDM is the id of p's DM channel with the bot in the fake Slack.
func demoDM(p SandboxPerson) string { return "D" + p.SlackID }

func demoHasButton(m fakeslack.Message, actionID string) bool {
	_, ok := m.Button(actionID)
	return ok
}

func demoHasButtons(actionIDs ...string) func(fakeslack.Message) bool {
	return func(m fakeslack.Message) bool {
		for _, a := range actionIDs {
			if !demoHasButton(m, a) {
				return false
			}
		}
		return true
	}
}

func demoHasWords(words ...string) func(fakeslack.Message) bool {
	return func(m fakeslack.Message) bool {
		text := strings.ToLower(m.Text())
		for _, w := range words {
			if !strings.Contains(text, strings.ToLower(w)) {
				return false
			}
		}
		return true
	}
}

// demoFYI matches the no-action notice approvers get about an auto-approval.
func demoFYI(m fakeslack.Message) bool {
	return demoHasWords("auto-approved")(m) && !demoHasButton(m, bot.ActionApprove)
}

// demoActiveApproval matches an approval request redrawn once the access is active.
func demoActiveApproval(m fakeslack.Message) bool {
	return !demoHasButton(m, bot.ActionApprove) && demoHasButton(m, bot.ActionRevoke)
}

// demoEnded matches a message redrawn once its request is over: no buttons left
// that act on it.
func demoEnded(m fakeslack.Message) bool {
	return !demoHasButton(m, bot.ActionRevoke) && !demoHasButton(m, bot.ActionApprove)
}

func demoHasExtend(m fakeslack.Message) bool {
	_, ok := demoExtendButton(m, "")
	return ok
}

// demoExtendButton finds the reminder's Extend button for d ("" for any).
func demoExtendButton(m fakeslack.Message, d string) (fakeslack.Button, bool) {
	for _, b := range m.Buttons() {
		if strings.HasPrefix(b.ActionID, bot.ActionExtend) && (d == "" || strings.HasSuffix(b.Value, "|"+d)) {
			return b, true
		}
	}
	return fakeslack.Button{}, false
}

// demoLastSection returns the text of the message's last section block.
func demoLastSection(m fakeslack.Message) string {
	last := ""
	for _, b := range m.Blocks {
		if b["type"] != "section" {
			continue
		}
		if t, ok := b["text"].(map[string]any); ok {
			// A labelled section ("*Reason*\n> …") is a detail, not an outcome.
			if s, _ := t["text"].(string); s != "" && !strings.HasPrefix(s, "*") {
				last = s
			}
		}
	}
	return last
}

// demoBlock returns the id of the view's first block whose id starts with prefix.
func demoBlock(v fakeslack.View, prefix string) string {
	for _, b := range v.Blocks {
		if id, _ := b["block_id"].(string); strings.HasPrefix(id, prefix) {
			return id
		}
	}
	return ""
}

// demoClock shows a sandbox time of day.
func demoClock(t time.Time) string { return t.UTC().Format("Mon 15:04 UTC") }

// demoDuration formats a duration the way people type one (4h, 90m).
func demoDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// demoIsTerminal reports whether w is a terminal (colours help there only).
func demoIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// demoTail returns the last n lines of the file at path.
func demoTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n"))) + "\n"
}
