package bot

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/accessbot/accessbot/access"
)

// Block Kit limits, in characters (API-NOTES §2.3). Lengths are counted in
// UTF-16 code units, the way Slack's own clients count them, which is never
// less than the number of runes.
const (
	maxSectionText  = 3000
	maxFieldText    = 2000
	maxHeaderText   = 150
	maxButtonText   = 75
	maxOptionText   = 75
	maxOptionValue  = 75
	maxPlaceholder  = 150
	maxLabel        = 2000
	maxModalTitle   = 24
	maxMessageBlock = 50
	maxViewBlocks   = 100
	maxActions      = 25
	maxOptions      = 100
	maxMetadata     = 3000
	maxContextText  = 2000
	maxFallbackText = 3000 // a message's plain text, kept well under Slack's 40,000
	maxErrorText    = 1000 // one inline modal error; acks must stay under 20 KB
)

const ellipsis = "…"

// textLen counts s the way Slack limits it: UTF-16 code units.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// clean makes user text safe to measure and show: invalid UTF-8 becomes
// U+FFFD and control characters other than newline and tab are dropped.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// isBidiControl reports whether r is a bidirectional embedding, override or
// isolate control: in a reason or name they can make an approver read text
// in another order than it was written ("Trojan Source").
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// truncate cuts s to at most max characters, ending in "…" when it cut. It
// never splits a rune.
func truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	out, cut := cutTo(s, max)
	if cut {
		return out + ellipsis
	}
	return out
}

// cutTo returns the longest prefix of s that fits max characters, leaving
// room for an ellipsis when s does not fit whole.
func cutTo(s string, max int) (string, bool) {
	if max <= 0 {
		return "", s != ""
	}
	if textLen(s) <= max {
		return s, false
	}
	budget := max - 1 // room for the ellipsis
	n, cut := 0, 0
	for i, r := range s {
		w := utf16Len(r)
		if n+w > budget {
			break
		}
		n += w
		cut = i + utf8.RuneLen(r)
	}
	return s[:cut], true
}

// escape makes user text inert in mrkdwn: &, < and > become entities, so
// "<!channel>" or "<@U123>" typed by someone shows as text instead of
// pinging anyone.
func escape(s string) string {
	return mrkdwnEscaper.Replace(clean(s))
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// unescape undoes Slack's escaping of &, < and > in text it sends us (slash
// command text arrives escaped).
func unescape(s string) string {
	return mrkdwnUnescaper.Replace(s)
}

var mrkdwnUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// esc escapes user text and cuts it to max characters, never leaving half
// of an entity that escape produced.
func esc(s string, max int) string {
	out, cut := cutTo(escape(s), max)
	if !cut {
		return out
	}
	if amp := strings.LastIndexByte(out, '&'); amp >= 0 && !strings.Contains(out[amp:], ";") {
		out = out[:amp]
	}
	return out + ellipsis
}

// plain cleans user text for plain_text objects (no escaping: Slack does not
// interpret plain_text) and cuts it to max characters.
func plain(s string, max int) string { return truncate(strings.TrimSpace(clean(s)), max) }

// oneLine folds user text into a single line, for places like list items.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// mention names a person: a Slack mention when the id is known, else the
// (escaped) email or name.
func mention(u access.User) string {
	if isSlackID(u.SlackID) {
		return "<@" + u.SlackID + ">"
	}
	if u.Email != "" {
		return escape(u.Email)
	}
	if u.Name != "" {
		return escape(u.Name)
	}
	return "someone"
}

// isSlackID reports whether s looks like a Slack user id (U… or W…), so a
// value from storage can never smuggle markup into a mention.
func isSlackID(s string) bool {
	if len(s) < 2 || len(s) > 30 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// when renders t for Slack: each reader sees it in their own time zone; the
// fallback after "|" is RFC 3339 UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^{date_short_pretty} {time}|" + t.UTC().Format(time.RFC3339) + ">"
}

// duration renders a request's duration for people.
func duration(r access.Request) string {
	if r.Activity != nil {
		return "as long as it is used, removed after " + access.FormatDuration(r.Activity.IdleAfter) + " unused"
	}
	if r.UntilShiftEnd {
		return "until the on-call shift ends"
	}
	return access.FormatDuration(r.Duration)
}

// packLines joins lines into chunks of at most max characters each, for
// several sections when one would be too long. A single over-long line is cut.
func packLines(lines []string, max int) []string {
	var out []string
	var cur strings.Builder
	curLen := 0
	for _, l := range lines {
		l = truncate(l, max)
		n := textLen(l)
		if curLen > 0 && curLen+1+n > max {
			out = append(out, cur.String())
			cur.Reset()
			curLen = 0
		}
		if curLen > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(l)
		curLen += n
	}
	if curLen > 0 {
		out = append(out, cur.String())
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
