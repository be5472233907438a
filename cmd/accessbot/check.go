package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/config"
	"github.com/accessbot/accessbot/oncall"
	"github.com/accessbot/accessbot/provisioner"
)

// The start-up checks ask Slack, Okta and PagerDuty whether the config can
// work: each token is accepted, every approver and admin email is a Slack
// user and an Okta user, every Okta group and app exists, and every
// approver group (okta_group:, slack_usergroup:) can be read and has members. They also read
// the store, when it exists and no running bot holds it, for active grants of
// resources the config removed or re-pointed (stranded.go).
//
// What is fatal (the bot refuses to start, `accessbot check` exits 1):
//   - a token a service refuses, or a Slack bot token without the scopes
//     accessbot needs;
//   - an Okta group or app that does not exist or that the token may not read;
//   - an approver group that does not exist or whose members may not be read;
//   - a resource with fewer approvers in Slack than its min_approvals: no
//     request for it could ever be approved.
//
// What is a warning: an empty approver group, an approver or admin missing from Slack or from Okta
// (as long as each resource keeps enough approvers), active grants of a
// removed or re-pointed resource, a store that could not be read, and a service that
// cannot be reached or answers with an error — `accessbot run` starts anyway
// so that an outage does not become a crash loop (the bot retries Okta and
// falls back to approvers without PagerDuty), while `accessbot check` is
// strict and counts any service it cannot reach as fatal.

// checkTimeout bounds the start-up checks as a whole; callTimeout one call.
const (
	checkTimeout = time.Minute
	callTimeout  = 15 * time.Second
	checkWorkers = 8
)

// slackChecker is what the checks need of the Slack adapter (*bot.Bot).
type slackChecker interface {
	CheckToken(ctx context.Context) (bot.TokenInfo, error)
	CheckAppToken(ctx context.Context) error
	UserByEmail(ctx context.Context, email string) (access.User, error)
}

// oktaChecker is what the checks need of the Okta adapter (*provisioner.Okta).
type oktaChecker interface {
	CheckToken(ctx context.Context) error
	CheckUser(ctx context.Context, email string) error
	CheckGroup(ctx context.Context, id string) error
	CheckApp(ctx context.Context, id string) error
}

// onCallChecker is what the checks need of the PagerDuty adapter (*oncall.PagerDuty).
type onCallChecker interface {
	CheckToken(ctx context.Context) error
}

var (
	_ slackChecker  = (*bot.Bot)(nil)
	_ oktaChecker   = (*provisioner.Okta)(nil)
	_ onCallChecker = (*oncall.PagerDuty)(nil)
)

// checker runs the start-up checks of one config against its services.
type checker struct {
	cfg       *config.Config
	slack     slackChecker
	okta      oktaChecker
	pagerDuty onCallChecker // nil: no pagerduty section
	// appToken also checks the Slack app-level token with
	// apps.connections.open, which Slack rate-limits tightly: `accessbot
	// check` does, Run leaves it to the Socket Mode connection.
	appToken bool
	// strict makes a service that cannot be reached fatal (`accessbot check`).
	strict bool
	// storePath is the store to read for stranded grants; "" skips it.
	storePath string
	// oktaGroups and slackGroups read approver groups; nil skips them.
	oktaGroups  oktaGroupReader
	slackGroups slackGroupReader
}

// checkProblem is one finding, printed as one line.
type checkProblem struct {
	Fatal   bool
	Subject string // what it is about, with its id or email
	Message string
}

func (p checkProblem) String() string {
	level := "WARNING"
	if p.Fatal {
		level = "FATAL  "
	}
	return level + "  " + p.Subject + ": " + p.Message
}

// checkReport is what the checks found: what passed and what did not.
type checkReport struct {
	Passed   []string // one line per check that passed
	Problems []checkProblem
}

func (r *checkReport) pass(format string, args ...any) {
	r.Passed = append(r.Passed, fmt.Sprintf(format, args...))
}

func (r *checkReport) add(fatal bool, subject, format string, args ...any) {
	r.Problems = append(r.Problems, checkProblem{Fatal: fatal, Subject: subject, Message: fmt.Sprintf(format, args...)})
}

// Fatal returns the fatal problems.
func (r *checkReport) Fatal() []checkProblem {
	var out []checkProblem
	for _, p := range r.Problems {
		if p.Fatal {
			out = append(out, p)
		}
	}
	return out
}

// Summary says in one line how the checks went.
func (r *checkReport) Summary() string {
	fatal := len(r.Fatal())
	warnings := len(r.Problems) - fatal
	switch {
	case len(r.Problems) == 0:
		return "checks OK: accessbot can start with this config"
	case fatal == 0:
		return fmt.Sprintf("checks OK with %s: accessbot can start with this config", nounCount(warnings, "warning"))
	}
	return fmt.Sprintf("checks failed: %s, %s", nounCount(fatal, "fatal problem"), nounCount(warnings, "warning"))
}

// Write prints the report: what passed, then one line per problem, then the summary.
func (r *checkReport) Write(w io.Writer) {
	for _, line := range r.Passed {
		fmt.Fprintln(w, "ok       "+line)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, p.String())
	}
	fmt.Fprintln(w, r.Summary())
}

// nounCount writes n and a noun, plural unless n is 1.
func nounCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// checkPerson is an email the config names, and as what.
type checkPerson struct {
	email      string
	approverOf []string // resource ids
	admin      bool
	// inSlack is false only when Slack said for sure that no user has the
	// email; a lookup that failed otherwise leaves it true.
	inSlack bool
}

// run runs every check and returns what they found. Calls run
// concurrently (at most checkWorkers at once); the report's order does not
// depend on which answers first.
func (c checker) run(ctx context.Context) *checkReport {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	rep := &checkReport{}
	// Tokens first: without a working token every other check of that
	// service would fail the same way, so they are skipped.
	slackOK, oktaOK := c.checkTokens(ctx, rep)

	resources := c.cfg.Resources()
	people := checkPeopleOf(c.cfg, resources)
	slackErrs := make([]error, len(people))
	oktaErrs := make([]error, len(people))
	targetErrs := make([]error, len(resources))
	groups := checkGroupsOf(resources)
	calls := c.groupCalls(ctx, groups, slackOK, oktaOK)
	for i, p := range people {
		if slackOK {
			calls = append(calls, func() {
				slackErrs[i] = checkCall(ctx, func(ctx context.Context) error { _, err := c.slack.UserByEmail(ctx, p.email); return err })
			})
		}
		if oktaOK {
			calls = append(calls, func() {
				oktaErrs[i] = checkCall(ctx, func(ctx context.Context) error { return c.okta.CheckUser(ctx, p.email) })
			})
		}
	}
	if oktaOK {
		seen := map[access.Target]int{} // each target is asked for once
		for i, r := range resources {
			if j, dup := seen[r.Target]; dup {
				targetErrs[i] = targetSame{j}
				continue
			}
			seen[r.Target] = i
			check := c.okta.CheckGroup
			if r.Target.Kind == access.TargetApp {
				check = c.okta.CheckApp
			}
			calls = append(calls, func() {
				targetErrs[i] = checkCall(ctx, func(ctx context.Context) error { return check(ctx, r.Target.ID) })
			})
		}
	}
	checkConcurrently(calls)

	if oktaOK {
		c.targetResults(rep, resources, targetErrs)
		c.usageChecks(ctx, rep, resources)
	}
	if slackOK || oktaOK {
		c.peopleResults(rep, people, slackOK, oktaOK, slackErrs, oktaErrs)
	}
	c.groupResults(rep, groups)
	if slackOK {
		checkApprovers(rep, resources, people, groupMembers(groups))
	}
	c.strandedGrants(ctx, rep, resources)
	return rep
}

// strandedGrants warns of active grants that resources removed from the
// config or re-pointed still have. A store that cannot be read is a warning
// too: the count is advice, and the bot itself reports a store it cannot open.
func (c checker) strandedGrants(ctx context.Context, rep *checkReport, resources []access.Resource) {
	if c.storePath == "" {
		return
	}
	warnings, err := readStrandedGrants(ctx, c.storePath, resources)
	if err != nil {
		rep.add(false, "store.path", "could not read the store to count the active grants of removed or re-pointed resources: %v", err)
	}
	for _, w := range warnings {
		rep.add(false, w.Path, "%s", w.Message)
	}
}

// checkTokens asks each service whether its token works, reports what it
// found, and says whether the Slack and Okta tokens work.
func (c checker) checkTokens(ctx context.Context, rep *checkReport) (slackOK, oktaOK bool) {
	var (
		info                             bot.TokenInfo
		slackErr, appErr, oktaErr, pdErr error
	)
	calls := []func(){
		func() {
			slackErr = checkCall(ctx, func(ctx context.Context) (err error) { info, err = c.slack.CheckToken(ctx); return err })
		},
		func() { oktaErr = checkCall(ctx, c.okta.CheckToken) },
	}
	if c.appToken {
		calls = append(calls, func() { appErr = checkCall(ctx, c.slack.CheckAppToken) })
	}
	if c.pagerDuty != nil {
		calls = append(calls, func() { pdErr = checkCall(ctx, c.pagerDuty.CheckToken) })
	}
	checkConcurrently(calls)

	slackOK = c.tokenResult(rep, "slack bot token", "Slack", slackErr,
		"set slack.bot_token to the app's Bot User OAuth Token (xoxb-…)", c.cfg.Slack.APIURL)
	if slackOK {
		rep.pass("slack bot token accepted: workspace %s (%s), bot user %s", checkQuoteName(info.Team), info.TeamID, info.BotUserID)
		if missing := info.MissingScopes(); len(missing) > 0 {
			rep.add(true, "slack bot token", "lacks the scope(s) %s; add them (see slack-app-manifest.yaml) and reinstall the app",
				strings.Join(missing, ", "))
		}
	}
	if c.appToken && c.tokenResult(rep, "slack app-level token", "Slack", appErr,
		"set slack.app_token to an app-level token (xapp-…) with the connections:write scope", c.cfg.Slack.APIURL) {
		rep.pass("slack app-level token accepted (Socket Mode)")
	}
	oktaOK = c.tokenResult(rep, "okta api token", "Okta", oktaErr,
		"set okta.api_token to an API token of an admin who can manage the configured groups and apps", c.cfg.Okta.OrgURL)
	if oktaOK {
		rep.pass("okta api token accepted: %s", c.cfg.Okta.OrgURL)
	}
	if pd := c.cfg.PagerDuty; c.pagerDuty != nil && pd != nil {
		if access.ErrorCode(pdErr) == access.EUNAVAILABLE && !c.strict {
			rep.add(false, "pagerduty api token", "could not reach PagerDuty at %s (%s); on-call requests go to the approvers until it answers", pd.APIURL, checkCause(pdErr))
		} else if c.tokenResult(rep, "pagerduty api token", "PagerDuty", pdErr,
			"set pagerduty.api_token to a REST API key (read-only is enough)", pd.APIURL) {
			rep.pass("pagerduty api token accepted: %s", pd.APIURL)
		}
	}
	return slackOK, oktaOK
}

// tokenResult reports a token check's error, if any, and says whether the
// token works. fix says what to set.
func (c checker) tokenResult(rep *checkReport, subject, service string, err error, fix, url string) bool {
	switch access.ErrorCode(err) {
	case "":
		return true
	case access.EUNAUTHORIZED:
		rep.add(true, subject, "%s refused it (%s); %s", service, checkCause(err), fix)
	case access.EUNAVAILABLE:
		rep.add(c.strict, subject, "could not reach %s at %s (%s)", service, url, checkCause(err))
	default:
		rep.add(true, subject, "could not check it: %s", checkCause(err))
	}
	return false
}

// targetSame marks a resource whose target another resource checked.
type targetSame struct{ index int }

func (targetSame) Error() string { return "checked with another resource" }

func (c checker) targetResults(rep *checkReport, resources []access.Resource, errs []error) {
	groups, apps := 0, 0
	for i, r := range resources {
		err := errs[i]
		if same, ok := err.(targetSame); ok {
			err = errs[same.index]
			if err == nil {
				continue
			}
		}
		kind := string(r.Target.Kind)
		subject := "okta " + kind + " " + r.Target.ID + " (resource " + r.ID + ")"
		key := "okta_" + kind
		switch access.ErrorCode(err) {
		case "":
			if r.Target.Kind == access.TargetApp {
				apps++
			} else {
				groups++
			}
		case access.ENOTFOUND:
			rep.add(true, subject, "Okta has no %s with this id; check %s (the id is in the Okta admin console URL)", kind, key)
		case access.EFORBIDDEN:
			rep.add(true, subject, "the Okta token may not read this %s; the admin role of the token's owner must cover it (%s)", kind, checkCause(err))
		case access.EUNAVAILABLE:
			rep.add(c.strict, subject, "could not check it: %s", checkCause(err))
		default:
			rep.add(true, subject, "could not check it: %s", checkCause(err))
		}
	}
	if groups+apps > 0 {
		rep.pass("okta: %s and %s exist", nounCount(groups, "group"), nounCount(apps, "app"))
	}
}

func (c checker) peopleResults(rep *checkReport, people []*checkPerson, slackOK, oktaOK bool, slackErrs, oktaErrs []error) {
	found := 0
	for i, p := range people {
		subject := p.subject()
		ok := true
		if slackOK {
			switch err := slackErrs[i]; access.ErrorCode(err) {
			case "":
			case access.ENOTFOUND:
				p.inSlack = false
				ok = false
				msg := access.ErrorMessage(err)
				if msg == "" {
					msg = "No Slack user has this email."
				}
				rep.add(false, subject, "not in Slack: %s", strings.TrimSuffix(msg, "."))
			default:
				ok = false
				rep.add(false, subject, "could not look it up in Slack: %s", checkCause(err))
			}
		}
		if oktaOK {
			switch err := oktaErrs[i]; access.ErrorCode(err) {
			case "":
			case access.ENOTFOUND:
				ok = false
				rep.add(false, subject, "not in Okta: no Okta user has this email as login or email (they can approve in Slack, but not get access)")
			default:
				ok = false
				rep.add(false, subject, "could not look it up in Okta: %s", checkCause(err))
			}
		}
		if ok {
			found++
		}
	}
	if found > 0 {
		where := "Slack and Okta"
		switch {
		case !oktaOK:
			where = "Slack"
		case !slackOK:
			where = "Okta"
		}
		rep.pass("%d of %d approvers and admins found in %s", found, len(people), where)
	}
}

// checkApprovers makes it fatal for a resource to have fewer approvers in
// Slack than it needs approvals. A group counts with its members (read in
// members); a resource with a group that could not be read is not judged,
// that group's problem is reported already.
func checkApprovers(rep *checkReport, resources []access.Resource, people []*checkPerson, members map[access.ApproverEntry]int) {
	inSlack := map[string]bool{}
	for _, p := range people {
		inSlack[p.email] = p.inSlack
	}
next:
	for _, r := range resources {
		n := 0
		for _, e := range r.ApproverEntries() {
			if !e.IsGroup() {
				if inSlack[e.Value] {
					n++
				}
				continue
			}
			m, read := members[e]
			if !read {
				continue next
			}
			n += m
		}
		need := r.RequiredApprovals()
		switch {
		case n == 0:
			rep.add(true, "resource "+r.ID, "none of its approvers (%s) is in Slack, so no request for it can be approved", strings.Join(r.Approvers, ", "))
		case n < need:
			rep.add(true, "resource "+r.ID, "only %d of its approvers are in Slack, and it needs %d approvals (min_approvals)", n, need)
		}
	}
}

// checkPeopleOf lists every approver and admin email once, in config order.
func checkPeopleOf(cfg *config.Config, resources []access.Resource) []*checkPerson {
	var out []*checkPerson
	byEmail := map[string]*checkPerson{}
	get := func(email string) *checkPerson {
		email = strings.ToLower(strings.TrimSpace(email))
		p := byEmail[email]
		if p == nil {
			p = &checkPerson{email: email, inSlack: true}
			byEmail[email] = p
			out = append(out, p)
		}
		return p
	}
	for _, r := range resources {
		for _, e := range r.ApproverEntries() {
			if !e.IsGroup() {
				p := get(e.Value)
				p.approverOf = append(p.approverOf, r.ID)
			}
		}
	}
	for _, a := range cfg.Admins {
		get(a).admin = true
	}
	return out
}

// subject names a person in the report: "bob@acme.com (approver of db-prod, grafana-admin; admin)".
func (p *checkPerson) subject() string {
	var roles []string
	if len(p.approverOf) > 0 {
		roles = append(roles, "approver of "+strings.Join(p.approverOf, ", "))
	}
	if p.admin {
		roles = append(roles, "admin")
	}
	return p.email + " (" + strings.Join(roles, "; ") + ")"
}

// checkCall runs fn under callTimeout.
func checkCall(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return fn(ctx)
}

// checkConcurrently runs fns, at most checkWorkers at a time, and waits for them all.
func checkConcurrently(fns []func()) {
	var g errgroup.Group
	g.SetLimit(checkWorkers)
	for _, fn := range fns {
		g.Go(func() error { fn(); return nil })
	}
	_ = g.Wait()
}

// checkCause is an adapter error without its code prefix: what the service said.
func checkCause(err error) string {
	var ae *access.Error
	if errors.As(err, &ae) {
		switch {
		case ae.Err != nil:
			return ae.Err.Error()
		case ae.Message != "":
			return ae.Message
		}
	}
	return err.Error()
}

func checkQuoteName(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", s)
}

// startupChecks runs the checks before Run starts anything, logs one line
// per problem, and returns an error when any is fatal. It uses adapters of
// its own, so that the running ones start with nothing cached from the
// checks. The app-level token is left to the Socket Mode connection, and an
// unreachable service is only a warning (see the top of this file).
func (m *Main) startupChecks(ctx context.Context) error {
	log := m.Logger.With().Str("component", "checks").Logger()
	c, err := newChecker(ctx, m.Config, false)
	if err != nil {
		return err
	}
	start := time.Now()
	rep := c.run(ctx)
	for _, p := range rep.Problems {
		lvl := zerolog.WarnLevel
		if p.Fatal {
			lvl = zerolog.ErrorLevel
		}
		log.WithLevel(lvl).Str("check", p.Subject).Bool("fatal", p.Fatal).Msg(p.Message)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fatal := rep.Fatal()
	if len(fatal) == 0 {
		log.Info().Dur("took", time.Since(start)).Int("warnings", len(rep.Problems)).Msg(rep.Summary())
		return nil
	}
	return fmt.Errorf("start-up checks found %s (each logged above; fix them, or start with --skip-checks): first: %s: %s",
		nounCount(len(fatal), "fatal problem"), fatal[0].Subject, fatal[0].Message)
}

// checkCommand is `accessbot check`: the start-up checks, without starting.
func checkCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flagSet("check", stderr)
	path := fs.String("config", "", "config file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, code := loadConfig(*path, stderr, getenv)
	if cfg == nil {
		return code
	}
	c, err := newChecker(ctx, cfg, true)
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitFailed
	}
	rep := c.run(ctx)
	rep.Write(stdout)
	sourcesOK := writeSourceYields(ctx, stdout, cfg)
	if ctx.Err() != nil || len(rep.Fatal()) > 0 || !sourcesOK {
		return exitFailed
	}
	return exitOK
}

// newChecker builds adapters for cfg that only the checks use. strict is
// for `accessbot check`: an unreachable service is fatal, and the app-level
// token is tried too.
func newChecker(ctx context.Context, cfg *config.Config, strict bool) (checker, error) {
	nop := zerolog.Nop()
	prov, err := provisioner.New(ctx, provisioner.Options{
		OrgURL: cfg.Okta.OrgURL, Token: cfg.Okta.APIToken, AllowHTTP: cfg.Okta.AllowHTTP,
		RequestTimeout: cfg.Okta.RequestTimeout, Logger: nop,
	})
	if err != nil {
		return checker{}, err
	}
	slack := bot.NewSlack(bot.Options{BotToken: cfg.Slack.BotToken, AppToken: cfg.Slack.AppToken, APIURL: cfg.Slack.APIURL}, nop)
	c := checker{
		cfg:       cfg,
		okta:      prov,
		slack:     slack,
		appToken:  strict,
		strict:    strict,
		storePath: cfg.Store.Path,
		// approver groups are read with the same adapters
		oktaGroups:  prov,
		slackGroups: slack,
	}
	if pd := cfg.PagerDuty; pd != nil {
		c.pagerDuty = oncall.New(oncall.Options{Token: pd.APIToken, APIURL: pd.APIURL, Logger: nop})
	}
	return c, nil
}
