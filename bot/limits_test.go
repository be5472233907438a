package bot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// Block Kit limits as Slack documents them (API-NOTES §2.3), checked on the
// JSON the bot would send.

func checkMessage(t *testing.T, name string, m message) {
	t.Helper()
	if m.text == "" {
		t.Errorf("%s: no fallback text", name)
	}
	if n := textLen(m.text); n > maxFallbackText {
		t.Errorf("%s: fallback text has %d characters", name, n)
	}
	checkInert(t, name+" text", m.text)
	if len(m.blocks) > 50 {
		t.Errorf("%s: %d blocks, more than 50", name, len(m.blocks))
	}
	for _, p := range checkBlocks(t, m.blocks) {
		t.Errorf("%s: %s", name, p)
	}
}

func checkModal(t *testing.T, name string, v slack.ModalViewRequest) {
	t.Helper()
	var problems []string
	for what, txt := range map[string]*slack.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
		if txt != nil && (textLen(txt.Text) > 24 || txt.Text == "") {
			problems = append(problems, fmt.Sprintf("%s %q not 1..24 characters", what, txt.Text))
		}
	}
	if len(v.PrivateMetadata) > 3000 {
		problems = append(problems, "private_metadata longer than 3000")
	}
	if len(v.Blocks.BlockSet) > 100 {
		problems = append(problems, "more than 100 blocks")
	}
	problems = append(problems, checkBlocks(t, v.Blocks.BlockSet)...)
	for _, p := range problems {
		t.Errorf("%s: %s", name, p)
	}
}

func checkBlocks(t *testing.T, blocks []slack.Block) []string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatalf("marshal blocks: %v", err)
	}
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("unmarshal blocks: %v", err)
	}
	var problems []string
	bad := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}
	text := func(path string, obj any, max int) {
		m, _ := obj.(map[string]any)
		if m == nil {
			bad(path, "missing text object")
			return
		}
		s, _ := m["text"].(string)
		if s == "" || textLen(s) > max {
			bad(path, "text of %d characters, want 1..%d", textLen(s), max)
		}
		if m["type"] == "mrkdwn" {
			if _, has := m["emoji"]; has {
				bad(path, "emoji on mrkdwn")
			}
			checkInert(t, path, s)
		}
	}
	ids := map[string]bool{}
	for i, b := range list {
		p := fmt.Sprintf("/blocks/%d", i)
		if id, _ := b["block_id"].(string); id != "" {
			if len(id) > 255 || ids[id] {
				bad(p, "bad or duplicate block_id %q", id)
			}
			ids[id] = true
		}
		switch b["type"] {
		case "section":
			if b["text"] != nil {
				text(p+"/text", b["text"], 3000)
			}
			fields, _ := b["fields"].([]any)
			if b["text"] == nil && len(fields) == 0 {
				bad(p, "section with neither text nor fields")
			}
			if len(fields) > 10 {
				bad(p, "%d fields", len(fields))
			}
			for j, f := range fields {
				text(fmt.Sprintf("%s/fields/%d", p, j), f, 2000)
			}
		case "header":
			text(p+"/text", b["text"], 150)
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				bad(p, "%d context elements", len(els))
			}
			for j, e := range els {
				text(fmt.Sprintf("%s/elements/%d", p, j), e, 3000)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				bad(p, "%d action elements", len(els))
			}
			for j, e := range els {
				element(fmt.Sprintf("%s/elements/%d", p, j), e, text, bad)
			}
		case "input":
			text(p+"/label", b["label"], 2000)
			if b["hint"] != nil {
				text(p+"/hint", b["hint"], 2000)
			}
			element(p+"/element", b["element"], text, bad)
		case "divider":
		default:
			bad(p, "unexpected block type %v", b["type"])
		}
	}
	return problems
}

func element(p string, raw any, text func(string, any, int), bad func(string, string, ...any)) {
	e, _ := raw.(map[string]any)
	if id, _ := e["action_id"].(string); len(id) > 255 {
		bad(p, "action_id too long")
	}
	switch e["type"] {
	case "button":
		text(p+"/text", e["text"], 75)
		if v, _ := e["value"].(string); len(v) > 2000 {
			bad(p, "button value of %d", len(v))
		}
		if st, _ := e["style"].(string); st != "" && st != "primary" && st != "danger" {
			bad(p, "style %q", st)
		}
	case "static_select", "multi_static_select":
		opts, _ := e["options"].([]any)
		if len(opts) == 0 || len(opts) > 100 {
			bad(p, "%d options", len(opts))
		}
		for j, o := range opts {
			om, _ := o.(map[string]any)
			text(fmt.Sprintf("%s/options/%d/text", p, j), om["text"], 75)
			if v, _ := om["value"].(string); v == "" || textLen(v) > 75 {
				bad(p, "option value %q", v)
			}
		}
		if e["placeholder"] != nil {
			text(p+"/placeholder", e["placeholder"], 150)
		}
	case "external_select":
		if e["placeholder"] != nil {
			text(p+"/placeholder", e["placeholder"], 150)
		}
		if o, _ := e["initial_option"].(map[string]any); o != nil {
			text(p+"/initial_option/text", o["text"], 75)
		}
	case "plain_text_input":
		if n, _ := e["max_length"].(float64); n > 3000 {
			bad(p, "max_length %v", n)
		}
	default:
		bad(p, "unexpected element %v", e["type"])
	}
}

// Mentions the renderer makes itself; anything else in <…> is an injection.
var allowedMarkup = regexp.MustCompile(`<(@U[A-Z0-9]+|!date\^[0-9-]+\^\{date_short_pretty\} \{time\}\|[0-9TZ:-]+)>`)

func checkInert(t *testing.T, where, s string) {
	t.Helper()
	if !inert(s) {
		t.Errorf("%s: markup that is not ours: %q", where, truncate(s, 300))
	}
}

// inert reports whether s holds no markup but the mentions and dates the
// renderer makes itself.
func inert(s string) bool {
	return !strings.ContainsAny(allowedMarkup.ReplaceAllString(s, ""), "<>")
}

func TestLimitCheckerCatchesViolations(t *testing.T) {
	long := strings.Repeat("x", 3001)
	bad := []slack.Block{
		slack.NewSectionBlock(mrkdwn(long), nil, nil),
		slack.NewHeaderBlock(plainText(strings.Repeat("h", 151))),
		slack.NewActionBlock("a", slack.NewButtonBlockElement("b", "v", plainText(strings.Repeat("b", 76)))),
		slack.NewSectionBlock(mrkdwn("<!channel>"), nil, nil),
	}
	if got := len(checkBlocks(t, bad[:3])); got != 3 {
		t.Errorf("checker found %d problems in 3 bad blocks", got)
	}
	if inert("<!channel>") || inert("<@U1|x>") || !inert("<@U0BOB> &lt;!here&gt;") {
		t.Error("inert misjudges markup")
	}
}
