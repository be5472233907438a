package fakeslack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func decodeBlocks(t *testing.T, s string) []any {
	t.Helper()
	var blocks []any
	if err := json.Unmarshal([]byte(s), &blocks); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return blocks
}

func TestValidateMessageBlocks(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	button := func(text, value string) string {
		return fmt.Sprintf(`{"type":"button","action_id":"a","text":{"type":"plain_text","text":%q},"value":%q}`, text, value)
	}
	many := func(n int, item string) string {
		return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
	}
	option := func(text, value string) string {
		return fmt.Sprintf(`{"text":{"type":"plain_text","text":%q},"value":%q}`, text, value)
	}
	tests := []struct {
		name   string
		blocks string
		want   string // "" = valid; else a substring of the single error
	}{
		{"section ok", `[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`, ""},
		{"section 3000", `[{"type":"section","text":{"type":"mrkdwn","text":"` + x(3000) + `"}}]`, ""},
		{"section 3001", `[{"type":"section","text":{"type":"mrkdwn","text":"` + x(3001) + `"}}]`,
			"[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"section empty text", `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, "must be more than 0 characters [json-pointer:/blocks/0/text/text]"},
		{"section neither", `[{"type":"section"}]`, "must provide either text or fields [json-pointer:/blocks/0]"},
		{"text bad type", `[{"type":"section","text":{"type":"markdown","text":"a"}}]`, "[json-pointer:/blocks/0/text/type]"},
		{"fields 11", `[{"type":"section","fields":[` + many(11, `{"type":"mrkdwn","text":"f"}`) + `]}]`, "must be no more than 10 items [json-pointer:/blocks/0/fields]"},
		{"field 2001", `[{"type":"section","fields":[{"type":"mrkdwn","text":"` + x(2001) + `"}]}]`, "[json-pointer:/blocks/0/fields/0/text]"},
		{"header 151", `[{"type":"header","text":{"type":"plain_text","text":"` + x(151) + `"}}]`, "must be less than 151 characters [json-pointer:/blocks/0/text/text]"},
		{"header mrkdwn", `[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]`, "[json-pointer:/blocks/0/text/type]"},
		{"button text 76", `[{"type":"actions","elements":[` + button(x(76), "v") + `]}]`, "[json-pointer:/blocks/0/elements/0/text/text]"},
		{"button value 2001", `[{"type":"actions","elements":[` + button("ok", x(2001)) + `]}]`, "[json-pointer:/blocks/0/elements/0/value]"},
		{"button bad style", `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"b"},"style":"green"}]}]`, "[json-pointer:/blocks/0/elements/0/style]"},
		{"actions 26", `[{"type":"actions","elements":[` + many(26, `{"type":"button","text":{"type":"plain_text","text":"b"}}`) + `]}]`, "must be no more than 25 items [json-pointer:/blocks/0/elements]"},
		{"duplicate action_id", `[{"type":"actions","elements":[` + button("a", "1") + `,` + button("b", "2") + `]}]`, "duplicate action_id"},
		{"block_id 256", `[{"type":"divider","block_id":"` + x(256) + `"}]`, "[json-pointer:/blocks/0/block_id]"},
		{"duplicate block_id", `[{"type":"divider","block_id":"d"},{"type":"divider","block_id":"d"}]`, "duplicate block_id: d [json-pointer:/blocks/1/block_id]"},
		{"unknown block", `[{"type":"table"}]`, "unsupported type: table [json-pointer:/blocks/0/type]"},
		{"unknown element", `[{"type":"actions","elements":[{"type":"rich_text_input","action_id":"r"}]}]`, "[json-pointer:/blocks/0/elements/0/type]"},
		{"option value 76", `[{"type":"section","text":{"type":"mrkdwn","text":"s"},"accessory":{"type":"static_select","options":[` + option("o", x(76)) + `]}}]`,
			"must be less than 76 characters [json-pointer:/blocks/0/accessory/options/0/value]"},
		{"option text 76", `[{"type":"section","text":{"type":"mrkdwn","text":"s"},"accessory":{"type":"static_select","options":[` + option(x(76), "v") + `]}}]`,
			"[json-pointer:/blocks/0/accessory/options/0/text/text]"},
		{"options 101", `[{"type":"section","text":{"type":"mrkdwn","text":"s"},"accessory":{"type":"static_select","options":[` + many(101, option("o", "v")) + `]}}]`,
			"must be no more than 100 items [json-pointer:/blocks/0/accessory/options]"},
		{"external select ok", `[{"type":"actions","elements":[{"type":"external_select","action_id":"e","min_query_length":0,"initial_option":` + option("Bob", "U0BOB") + `}]}]`, ""},
		{"external select bad min_query_length", `[{"type":"actions","elements":[{"type":"external_select","action_id":"e","min_query_length":-1}]}]`,
			"must be a non-negative integer [json-pointer:/blocks/0/elements/0/min_query_length]"},
		{"external select initial option 76", `[{"type":"actions","elements":[{"type":"multi_external_select","action_id":"e","initial_options":[` + option(x(76), "v") + `]}]}]`,
			"[json-pointer:/blocks/0/elements/0/initial_options/0/text/text]"},
		{"placeholder 151", `[{"type":"actions","elements":[{"type":"users_select","placeholder":{"type":"plain_text","text":"` + x(151) + `"}}]}]`,
			"[json-pointer:/blocks/0/elements/0/placeholder/text]"},
		{"input without label", `[{"type":"input","element":{"type":"plain_text_input"}}]`, "missing required field: label [json-pointer:/blocks/0]"},
		{"input without element", `[{"type":"input","label":{"type":"plain_text","text":"l"}}]`, "missing required field: element"},
		{"context ok", `[{"type":"context","elements":[{"type":"mrkdwn","text":"c"},{"type":"image","image_url":"https://x/y.png","alt_text":"y"}]}]`, ""},
		{"image without alt", `[{"type":"image","image_url":"https://x/y.png"}]`, "missing required field: alt_text"},
		{"mrkdwn with emoji", `[{"type":"section","text":{"type":"mrkdwn","text":"a","emoji":true}}]`, "[json-pointer:/blocks/0/text/emoji]"},
		{"51 blocks", `[` + many(51, `{"type":"divider"}`) + `]`, "must be no more than 50 items [json-pointer:/blocks]"},
		{"datepicker bad date", `[{"type":"actions","elements":[{"type":"datepicker","initial_date":"01/02/2024"}]}]`, "[json-pointer:/blocks/0/elements/0/initial_date]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := validateMessageBlocks(decodeBlocks(t, tc.blocks))
			if tc.want == "" {
				if len(errs) != 0 {
					t.Errorf("unexpected errors %q", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Errorf("errors %q, want one containing %q", errs, tc.want)
			}
		})
	}
}

func TestValidateView(t *testing.T) {
	input := `{"type":"input","block_id":"b","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input","action_id":"a"}}`
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name, view, want string
	}{
		{"modal ok", `{"type":"modal","title":{"type":"plain_text","text":"T"},"submit":{"type":"plain_text","text":"S"},"blocks":[` + input + `]}`, ""},
		{"no title", `{"type":"modal","blocks":[]}`, "missing required field: title [json-pointer:/view]"},
		{"close 25", `{"type":"modal","title":{"type":"plain_text","text":"T"},"close":{"type":"plain_text","text":"` + x(25) + `"},"blocks":[]}`, "[json-pointer:/view/close/text]"},
		{"metadata 3001", `{"type":"modal","title":{"type":"plain_text","text":"T"},"private_metadata":"` + x(3001) + `","blocks":[]}`, "[json-pointer:/view/private_metadata]"},
		{"callback 256", `{"type":"home","callback_id":"` + x(256) + `","blocks":[]}`, "[json-pointer:/view/callback_id]"},
		{"home 101 blocks", `{"type":"home","blocks":[` + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 101), ",") + `]}`, "must be no more than 100 items [json-pointer:/view/blocks]"},
		{"label 2001", `{"type":"home","blocks":[{"type":"input","label":{"type":"plain_text","text":"` + x(2001) + `"},"element":{"type":"plain_text_input"}}]}`, "[json-pointer:/view/blocks/0/label/text]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var view map[string]any
			if err := json.Unmarshal([]byte(tc.view), &view); err != nil {
				t.Fatal(err)
			}
			errs := validateView(view, "")
			if tc.want == "" {
				if len(errs) != 0 {
					t.Errorf("unexpected errors %q", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0], tc.want) {
				t.Errorf("errors %q, want one containing %q", errs, tc.want)
			}
		})
	}
}

func TestAssignIDs(t *testing.T) {
	blocks := decodeBlocks(t, `[{"type":"divider"},{"type":"actions","block_id":"fkb1","elements":[{"type":"button","text":{"type":"plain_text","text":"b"}}]}]`)
	assignIDs(blocks)
	first := blocks[0].(map[string]any)["block_id"]
	if first == "" || first == "fkb1" {
		t.Errorf("generated block_id %v", first)
	}
	btn := blocks[1].(map[string]any)["elements"].([]any)[0].(map[string]any)
	if id, _ := btn["action_id"].(string); id == "" {
		t.Errorf("no action_id generated: %v", btn)
	}
}
