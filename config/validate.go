package config

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for keys left out of the file (DESIGN.md §5).
const (
	defaultSlackAPIURL       = "https://slack.com/api/"
	defaultPagerDutyAPIURL   = "https://api.pagerduty.com"
	defaultStorePath         = "accessbot.db"
	defaultAuditFile         = "accessbot-audit.jsonl" // beside the store file
	defaultCheckInterval     = 30 * time.Second
	defaultPendingTTL        = 24 * time.Hour
	defaultRemovalAlertAfter = 5
	defaultCacheTTL          = 30 * time.Second
	defaultRequestTimeout    = 30 * time.Second
	defaultNudgeAfter        = time.Hour
	defaultRateLimitShare    = 0.5 // what Okta lets one API token use by default
	defaultUsagePoll         = 5 * time.Minute
	defaultReconcile         = 15 * time.Minute
)

var defaultReminders = []time.Duration{time.Hour, 10 * time.Minute}

// checker applies the rules to a decoded file and builds the Config,
// collecting every problem.
type checker struct {
	probs    *problemList
	flagged  map[string]bool   // paths the decoder already reported
	expanded map[string]string // paths whose value came from the environment → the text as written
}

// show quotes the value at path for a message. A value that came from the
// environment is shown as written in the file ("${NAME}"), since it may be a
// secret pasted into the wrong key.
func (c *checker) show(path, value string) string {
	if raw, ok := c.expanded[path]; ok {
		return fmt.Sprintf("%q (after expanding variables)", clip(raw))
	}
	return strconv.Quote(clip(value))
}

// add reports a problem at path, unless decoding already reported one there
// or at an enclosing key: an unset variable should not also be called
// "missing", nor a list given for a resource make its every key "missing".
func (c *checker) add(path, format string, args ...any) {
	for p := path; ; p = parentPath(p) {
		if c.flagged[p] {
			return
		}
		if p == "" {
			break
		}
	}
	c.probs.add(path, fmt.Sprintf(format, args...))
}

// build checks f and returns the Config it describes; the Config is only
// meaningful when no problem was reported.
func build(f *fileConfig, c *checker) *Config {
	cfg := &Config{
		Slack:   c.slack(deref(f.Slack)),
		Okta:    c.okta(deref(f.Okta)),
		Admins:  c.emails("admins", f.Admins, "admin"),
		Timings: c.timing(deref(f.Timing)),
		HTTP:    c.http(deref(f.HTTP)),
	}
	cfg.Identity = c.identity(deref(f.Identity))
	cfg.Delegation = c.delegation(deref(f.Delegation))
	if f.PagerDuty != nil {
		cfg.PagerDuty = c.pagerDuty(*f.PagerDuty)
	}
	cfg.Store, cfg.Audit = c.storage(deref(f.Store), deref(f.Audit))
	policies := c.policies(f.Policies)
	cfg.policies = len(policies)
	// A pagerduty section that is there but malformed was reported already;
	// resources should not also be told it is missing.
	cfg.resources = c.resources(f.Resources, policies, cfg.PagerDuty != nil || c.flagged["pagerduty"], len(f.ResourceSources) > 0)
	cfg.sources = c.sources(f.ResourceSources, policies)
	cfg.bundles = c.bundles(f.Bundles, cfg.resources)
	return cfg
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func (c *checker) slack(f fileSlack) Slack {
	c.token("slack.app_token", f.AppToken, "xapp-", "the app-level token (xapp-…) used for Socket Mode")
	c.token("slack.bot_token", f.BotToken, "xoxb-", "the bot token (xoxb-…)")
	s := Slack{
		AppToken:     f.AppToken,
		BotToken:     f.BotToken,
		APIURL:       c.baseURL("slack.api_url", f.APIURL, defaultSlackAPIURL, f.AllowHTTP),
		AllowHTTP:    f.AllowHTTP,
		AuditChannel: f.AuditChannel,
	}
	if !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/"
	}
	if ch := f.AuditChannel; ch != "" && !channelID.MatchString(ch) {
		if strings.HasPrefix(ch, "#") {
			c.add("slack.audit_channel", "use the channel's id (such as C0123456789, shown in the channel's details), not its name")
		} else {
			c.add("slack.audit_channel", "%s is not a Slack channel id: use C or G followed by capital letters and digits, such as C0123456789", c.show("slack.audit_channel", ch))
		}
	}
	return s
}

var channelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)

// slackTokenKinds names the other Slack tokens, to say which one was pasted
// in the wrong place.
var slackTokenKinds = map[string]string{
	"xapp-": "an app-level token",
	"xoxb-": "a bot token",
	"xoxp-": "a user token",
}

// token checks a Slack token without ever quoting it.
func (c *checker) token(path, value, prefix, what string) {
	switch {
	case value == "":
		c.add(path, "missing: set it to %s", what)
	case strings.ContainsAny(value, " \t\r\n"):
		c.add(path, "contains spaces or line breaks; check how the token was copied")
	case !strings.HasPrefix(value, prefix):
		for p, kind := range slackTokenKinds {
			if strings.HasPrefix(value, p) {
				c.add(path, "this is %s (%s…); it must be %s", kind, p, what)
				return
			}
		}
		c.add(path, "must start with %s: set it to %s", prefix, what)
	}
}

// secret checks an API token without ever quoting it.
func (c *checker) secret(path, value string) {
	switch {
	case value == "":
		c.add(path, "missing")
	case strings.ContainsAny(value, " \t\r\n"):
		c.add(path, "contains spaces or line breaks; check how the token was copied")
	}
}

// baseURL checks an optional http(s) base URL and returns it, or def when
// unset. Plain http needs allowHTTP (the section's allow_http), because the
// token would travel in clear to anything but a local test server.
func (c *checker) baseURL(path, value, def string, allowHTTP bool) string {
	if value == "" {
		return def
	}
	u, err := url.Parse(value)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		c.add(path, "%s is not an http or https URL such as %s", c.show(path, value), def)
	case u.Scheme == "http" && !allowHTTP:
		section, _, _ := strings.Cut(path, ".")
		c.add(path, "must use https (set %s.allow_http: true only for a local test server)", section)
	}
	return value
}

func (c *checker) okta(f fileOkta) Okta {
	o := Okta{
		OrgURL:         strings.TrimSuffix(f.OrgURL, "/"),
		APIToken:       f.APIToken,
		AllowHTTP:      f.AllowHTTP,
		DryRun:         f.DryRun,
		RequestTimeout: durationOr(f.RequestTimeout, defaultRequestTimeout),
		RateLimitShare: defaultRateLimitShare,

		UsagePoll:         durationOr(f.UsagePoll, defaultUsagePoll),
		ReconcileInterval: durationOr(f.ReconcileInterval, defaultReconcile),
	}
	if f.RateLimitShare != nil {
		o.RateLimitShare = *f.RateLimitShare
		if o.RateLimitShare <= 0 || o.RateLimitShare > 1 {
			c.add("okta.rate_limit_share", "must be more than 0 and at most 1, such as 0.5 for half of each of Okta's rate limits")
		}
	}
	c.orgURL(f.OrgURL, f.AllowHTTP)
	c.secret("okta.api_token", f.APIToken)
	return o
}

func (c *checker) orgURL(value string, allowHTTP bool) {
	const path = "okta.org_url"
	if value == "" {
		c.add(path, "missing: set it to your Okta org's URL, such as https://acme.okta.com")
		return
	}
	u, err := url.Parse(value)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		c.add(path, "%s is not a URL such as https://acme.okta.com", c.show(path, value))
	case u.Scheme == "http" && !allowHTTP:
		c.add(path, "must use https (set okta.allow_http: true only for a local test server)")
	case strings.Contains(u.Host, "-admin."):
		c.add(path, "this is the admin console's URL; use the org URL, without -admin")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "":
		c.add(path, "must be the org's base URL, such as https://acme.okta.com, with no path")
	}
}

func (c *checker) pagerDuty(f filePagerDuty) *PagerDuty {
	c.secret("pagerduty.api_token", f.APIToken)
	return &PagerDuty{
		APIToken:  f.APIToken,
		APIURL:    strings.TrimSuffix(c.baseURL("pagerduty.api_url", f.APIURL, defaultPagerDutyAPIURL, f.AllowHTTP), "/"),
		AllowHTTP: f.AllowHTTP,
		CacheTTL:  durationOr(f.CacheTTL, defaultCacheTTL),
	}
}

func (c *checker) storage(fs fileStore, fa fileAudit) (Store, Audit) {
	s := Store{Path: defaultStorePath}
	if fs.URL != nil && *fs.URL != "" {
		s = Store{URL: *fs.URL}
		c.storeURL(s.URL, fs.Path != nil)
	} else if fs.Path != nil {
		s.Path = *fs.Path
		if strings.TrimSpace(s.Path) == "" {
			c.add("store.path", "empty: name the database file, such as %s", defaultStorePath)
		}
	}
	a := Audit(fa)
	if a.Path == "" {
		a.Path = filepath.Join(filepath.Dir(s.Path), defaultAuditFile)
	}
	if s.Path != "" && filepath.Clean(a.Path) == filepath.Clean(s.Path) {
		c.add("audit.path", "must not be the store file")
	}
	return s, a
}

// storeURL checks a PostgreSQL URL without ever quoting it: it may hold a
// password. An empty store.url means the file (store.path), so that the
// example can show both keys.
func (c *checker) storeURL(value string, pathToo bool) {
	const example = "postgres://accessbot:${PGPASSWORD}@db.example.com:5432/accessbot"
	u, err := url.Parse(value)
	switch {
	case pathToo:
		c.add("store.url", "set either store.path (a bbolt file) or store.url (a PostgreSQL database), not both")
	case err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql"):
		c.add("store.url", "is not a postgres:// URL, such as %s", example)
	}
}

func (c *checker) http(f fileHTTP) HTTP {
	if f.Listen != "" {
		host, port, err := net.SplitHostPort(f.Listen)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " /") {
			c.add("http.listen", "%s is not host:port, such as 127.0.0.1:9090 or :9090", c.show("http.listen", f.Listen))
		}
	}
	return HTTP(f)
}

func (c *checker) timing(f fileTiming) Timing {
	t := Timing{
		CheckInterval:     durationOr(f.CheckInterval, defaultCheckInterval),
		PendingTTL:        durationOr(f.PendingTTL, defaultPendingTTL),
		RemovalAlertAfter: defaultRemovalAlertAfter,
		Reminders:         slices.Clone(defaultReminders),
	}
	if t.CheckInterval < time.Second {
		c.add("timing.check_interval", "must be at least 1s")
	}
	if t.PendingTTL <= 0 {
		c.add("timing.pending_ttl", "must be more than zero")
	}
	if f.Reminders != nil {
		t.Reminders = []time.Duration{}
		for i, d := range f.Reminders {
			if d <= 0 { // reported by the decoder: not a positive duration
				c.add(indexPath("timing.reminders", i), "must be more than zero")
				continue
			}
			if !slices.Contains(t.Reminders, d) {
				t.Reminders = append(t.Reminders, d)
			}
		}
		slices.SortFunc(t.Reminders, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	}
	t.NudgeAfter = durationOr(f.NudgeAfter, defaultNudgeAfter)
	if t.NudgeAfter <= 0 {
		c.add("timing.nudge_after", "must be more than zero, such as 1h or 90s")
	}
	if f.RemovalAlertAfter != nil {
		t.RemovalAlertAfter = *f.RemovalAlertAfter
		if t.RemovalAlertAfter < 1 {
			c.add("timing.removal_alert_after", "must be 1 or more (failed removal attempts before the audit channel is alerted)")
		}
	}
	return t
}

func durationOr(d *time.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return *d
}

// emails checks a list of email addresses and returns them in lower case.
// noun names one entry in messages ("approver", "admin").
func (c *checker) emails(path string, list []string, noun string) []string {
	out := make([]string, 0, len(list))
	first := map[string]string{} // lower-case email → path of its first entry
	for i, e := range list {
		p := indexPath(path, i)
		e = strings.TrimSpace(e)
		if !isEmail(e) {
			c.add(p, "%s is not an email", c.show(p, e))
			continue
		}
		lower := strings.ToLower(e)
		if prev, dup := first[lower]; dup {
			c.add(p, "duplicate %s %s (also %s)", noun, c.show(p, lower), prev)
			continue
		}
		first[lower] = p
		out = append(out, lower)
	}
	return out
}

// isEmail reports whether s is a plain address such as alice@acme.com (no
// display name, a domain with a dot).
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.ContainsAny(s, " \t\r\n<>()[],;:\"\\") || strings.Contains(domain, "@") {
		return false
	}
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}
