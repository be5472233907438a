package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/accessbot/accessbot/access"
)

// commandKind names what a slash command asks for.
type commandKind string

const (
	cmdOpen       commandKind = "open" // no text: open the request modal
	cmdRequest    commandKind = "request"
	cmdList       commandKind = "list"
	cmdCancel     commandKind = "cancel"
	cmdRevoke     commandKind = "revoke"
	cmdExtend     commandKind = "extend"
	cmdBreakGlass commandKind = "breakglass"
	cmdHelp       commandKind = "help"
	cmdApprove    commandKind = "approve"     // people.go
	cmdNudge      commandKind = "nudge"       // people.go
	cmdDelegate   commandKind = "delegate"    // people.go
	cmdRequestFor commandKind = "request-for" // people.go; runs as cmdRequest with Person set
	cmdReport     commandKind = "report"      // admins: utilization of granted access
	cmdRevokeAll  commandKind = "revoke-all"
	cmdPause      commandKind = "pause"
	cmdResume     commandKind = "resume"
)

// command is a parsed /access (or /breakglass) command.
type command struct {
	Kind      commandKind
	Resource  string        // request, breakglass: lower case
	Duration  string        // request: as typed, lower case ("4h", "oncall"); checked by the workflow
	Extend    time.Duration // extend
	RequestID string        // cancel, revoke, extend: lower case
	Reason    string        // request, breakglass, revoke-all, pause: the rest of the text, trimmed
	// Person is the Slack id a revoke-all names (escaped <@U…> or typed
	// U…); PersonName the name typed as @name, looked up later.
	Person     string
	PersonName string
	// Who is who a command names (delegate, request-for): a Slack id from
	// an escaped mention, an email, or a @handle as typed.
	Who       string
	Until     string   // delegate: a date or a duration, as typed
	Resources []string // delegate: resource ids, lower case
	Off       bool     // delegate off
}

// Usage lines, one per subcommand; errors show the one that applies.
const (
	usageOpen       = "`/access`"
	usageRequest    = "`/access request <resource-id> <duration> <reason…>`"
	usageList       = "`/access list`"
	usageCancel     = "`/access cancel <request-id>`"
	usageRevoke     = "`/access revoke <request-id>`"
	usageExtend     = "`/access extend <request-id> <duration>`"
	usageBreakGlass = "`/access breakglass <resource-id> <reason…>`"
	usageHelp       = "`/access help`"
	usageReport     = "`/access report [resource-id]`"
	usageRevokeAll  = "`/access revoke-all <resource-id|@someone> <reason…>`"
	usagePause      = "`/access pause <resource-id> [reason…]`"
	usageResume     = "`/access resume <resource-id>`"
)

// usageError is a command people typed wrong: what is wrong, and the usage
// line that shows how to write it.
type usageError struct {
	msg   string
	usage string // "" for an unknown subcommand: show them all
}

func (e *usageError) Error() string {
	if e.usage == "" {
		return e.msg
	}
	return e.msg + " Usage: " + e.usage
}

var subcommands = map[string]commandKind{
	"request": cmdRequest, "req": cmdRequest, "new": cmdRequest,
	"list": cmdList, "ls": cmdList, "status": cmdList,
	"cancel": cmdCancel,
	"revoke": cmdRevoke, "remove": cmdRevoke,
	"extend":     cmdExtend,
	"breakglass": cmdBreakGlass, "break-glass": cmdBreakGlass, "break_glass": cmdBreakGlass, "bg": cmdBreakGlass,
	"approve": cmdApprove,
	"nudge":   cmdNudge, "remind": cmdNudge,
	"delegate":    cmdDelegate,
	"request-for": cmdRequestFor, "request_for": cmdRequestFor, "requestfor": cmdRequestFor,
	"revoke-all": cmdRevokeAll, "revokeall": cmdRevokeAll, "revoke_all": cmdRevokeAll,
	"pause": cmdPause, "resume": cmdResume, "unpause": cmdResume,
	"help": cmdHelp, "-h": cmdHelp, "--help": cmdHelp, "?": cmdHelp, "usage": cmdHelp,
	"report": cmdReport,
}

// parseCommand parses the text after /access. It is tolerant of extra
// spaces and of case in subcommands and ids; a missing or wrong argument
// gives a *usageError naming it.
func parseCommand(text string) (command, error) {
	word, rest := nextField(text)
	if word == "" {
		return command{Kind: cmdOpen}, nil
	}
	kind, known := subcommands[strings.ToLower(word)]
	if !known {
		return command{Kind: cmdHelp}, &usageError{msg: fmt.Sprintf("I don't know the command %q.", truncate(clean(word), 40))}
	}
	c := command{Kind: kind}
	switch kind {
	case cmdList, cmdHelp:
		return c, nil
	case cmdDelegate:
		return parseDelegate(c, rest)
	case cmdRequestFor:
		who, more := nextField(rest)
		if who == "" {
			return c, &usageError{"Missing who the access is for.", usageRequestFor}
		}
		c, err := parseCommand("request " + more)
		c.Who = personRef(who)
		if ue, ok := err.(*usageError); ok {
			ue.usage = usageRequestFor
		}
		return c, err
	case cmdReport:
		c.Resource, rest = nextField(rest)
		c.Resource = cleanID(c.Resource)
		if extra, _ := nextField(rest); extra != "" {
			return c, &usageError{fmt.Sprintf("Unexpected %q after the resource id.", truncate(clean(extra), 40)), usageReport}
		}
	case cmdRequest:
		var dur string
		c.Resource, rest = nextField(rest)
		dur, rest = nextField(rest)
		c.Resource, c.Duration, c.Reason = cleanID(c.Resource), strings.ToLower(cleanID(dur)), strings.TrimSpace(rest)
		switch {
		case c.Resource == "":
			return c, &usageError{"Missing the resource id.", usageRequest}
		case c.Duration == "":
			return c, &usageError{"Missing the duration (e.g. 4h, 1d, or oncall).", usageRequest}
		case c.Reason == "":
			return c, &usageError{"Missing the reason: approvers and auditors need to know why.", usageRequest}
		}
	case cmdBreakGlass:
		c.Resource, rest = nextField(rest)
		c.Resource, c.Reason = cleanID(c.Resource), strings.TrimSpace(rest)
		switch {
		case c.Resource == "":
			return c, &usageError{"Missing the resource id.", usageBreakGlass}
		case c.Reason == "":
			return c, &usageError{"Missing the reason: everyone who is told needs to know why.", usageBreakGlass}
		}
	case cmdRevokeAll:
		var target string
		target, rest = nextField(rest)
		c.Resource, c.Person, c.PersonName = parseTarget(target)
		c.Reason = strings.TrimSpace(rest)
		switch {
		case c.Resource == "" && c.Person == "" && c.PersonName == "":
			return c, &usageError{"Missing what to revoke: a resource id, or a person as @name.", usageRevokeAll}
		case c.Reason == "":
			return c, &usageError{"Missing the reason: the holders, the approvers and auditors need to know why.", usageRevokeAll}
		}
	case cmdPause, cmdResume:
		usage := map[commandKind]string{cmdPause: usagePause, cmdResume: usageResume}[kind]
		c.Resource, rest = nextField(rest)
		c.Resource, c.Reason = cleanID(c.Resource), strings.TrimSpace(rest)
		if c.Resource == "" {
			return c, &usageError{"Missing the resource id.", usage}
		}
		if kind == cmdResume && c.Reason != "" {
			return c, &usageError{fmt.Sprintf("Unexpected %q after the resource id.", truncate(clean(c.Reason), 40)), usage}
		}
	case cmdCancel, cmdRevoke, cmdExtend, cmdApprove, cmdNudge:
		usage := map[commandKind]string{cmdCancel: usageCancel, cmdRevoke: usageRevoke, cmdExtend: usageExtend, cmdApprove: usageApprove, cmdNudge: usageNudge}[kind]
		var id string
		id, rest = nextField(rest)
		c.RequestID = cleanID(id)
		if c.RequestID == "" {
			return c, &usageError{"Missing the request id (see `/access list`).", usage}
		}
		if kind == cmdExtend {
			var dur string
			dur, rest = nextField(rest)
			if dur = cleanID(dur); dur == "" {
				return c, &usageError{"Missing the duration to extend by (e.g. 1h).", usage}
			}
			d, err := access.ParseDuration(dur)
			if err != nil {
				return c, &usageError{fmt.Sprintf("%q is not a duration: use a number and a unit (m, h, d, w), e.g. 1h.", truncate(clean(dur), 40)), usage}
			}
			c.Extend = d
		}
		if extra, _ := nextField(rest); extra != "" {
			return c, &usageError{fmt.Sprintf("Unexpected %q after the arguments.", truncate(clean(extra), 40)), usage}
		}
	}
	return c, nil
}

// nextField returns the first space-separated word of s and the rest of s
// after it (rest keeps its inner spacing, for reasons).
func nextField(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(s, unicode.IsSpace)
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}

// cleanID lower-cases an id and drops what people paste around it
// (backticks, quotes, brackets, trailing punctuation).
func cleanID(s string) string {
	return strings.ToLower(strings.Trim(clean(s), "`'\"“”‘’<>()[]{}.,;:!?"))
}
