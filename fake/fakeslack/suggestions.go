package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Option is one choice of a select menu.
type Option struct{ Text, Value string }

// OptionGroup is a labelled group of a select menu's options.
type OptionGroup struct {
	Label   string
	Options []Option
}

// Suggestions are the options an app answered a block_suggestion with:
// either a flat list or groups.
type Suggestions struct {
	Options []Option
	Groups  []OptionGroup
}

// defaultMinQueryLength is how many characters Slack waits for before it
// asks the app for options, when the element sets no min_query_length.
const defaultMinQueryLength = 3

// Suggest types text into the external_select (or multi_external_select)
// blockID/actionID of userID's open view viewID: it sends the
// block_suggestion envelope Slack sends, with the typed text as "value",
// waits for the ack and returns the options it carried. An answer that
// breaks Slack's limits (at most 100 options or groups, option text and
// value at most 75 characters) is recorded in Rejections and returned as
// an error, as Slack would show the person nothing. Options suggested can
// then be chosen with ViewAction or SubmitView.
func (s *Server) Suggest(ctx context.Context, userID, viewID, blockID, actionID, text string) (Suggestions, error) {
	s.mu.Lock()
	cur, found := s.views[viewID]
	if !found || !cur.Open {
		s.mu.Unlock()
		return Suggestions{}, fmt.Errorf("fakeslack: view %s is not open", viewID)
	}
	el, found := cur.Element(blockID, actionID)
	typ, _ := el["type"].(string)
	if !found || typ != "external_select" && typ != "multi_external_select" {
		s.mu.Unlock()
		return Suggestions{}, fmt.Errorf("fakeslack: no external select %s/%s in view %s", blockID, actionID, viewID)
	}
	minLen := defaultMinQueryLength
	if n, set := el["min_query_length"].(float64); set {
		minLen = int(n)
	}
	if utf8.RuneCountInString(text) < minLen {
		s.mu.Unlock()
		return Suggestions{}, fmt.Errorf("fakeslack: Slack asks for options only once %d characters are typed, not for %q", minLen, text)
	}
	p := map[string]any{
		"type":                  "block_suggestion",
		"user":                  s.payloadUserLocked(userID),
		"container":             map[string]any{"type": "view", "view_id": cur.ID},
		"api_app_id":            AppID,
		"token":                 VerificationToken,
		"action_id":             actionID,
		"block_id":              blockID,
		"value":                 text,
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise":            s.enterpriseJSONLocked(),
		"is_enterprise_install": false,
		"view":                  viewJSON(*cur),
	}
	s.mu.Unlock()
	ack, err := s.sendPayload(ctx, "interactive", true, p)
	if err != nil {
		return Suggestions{}, err
	}
	sugg, options, errs := parseSuggestions(ack.Payload)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(errs) > 0 {
		s.rejectLocked("block_suggestion", "invalid_options", errs)
		return Suggestions{}, fmt.Errorf("fakeslack: the answer to block_suggestion breaks Slack's limits: %v", errs)
	}
	s.suggested[suggestionKey(viewID, blockID, actionID)] = options
	return sugg, nil
}

func suggestionKey(viewID, blockID, actionID string) string {
	return viewID + "/" + blockID + "/" + actionID
}

// withSuggestionsLocked is el with the options last suggested for it, when
// it is an external select, so choosing one works as with a static select.
func (s *Server) withSuggestionsLocked(viewID, blockID string, el map[string]any) map[string]any {
	typ, _ := el["type"].(string)
	if typ != "external_select" && typ != "multi_external_select" {
		return el
	}
	actionID, _ := el["action_id"].(string)
	out := make(map[string]any, len(el)+1)
	for k, v := range el {
		out[k] = v
	}
	var options []any
	for _, o := range s.suggested[suggestionKey(viewID, blockID, actionID)] {
		options = append(options, o)
	}
	// The initial options were chosen once too, so they stay choosable.
	if o, present := el["initial_option"]; present && o != nil {
		options = append(options, o)
	}
	if list, present := el["initial_options"].([]any); present {
		options = append(options, list...)
	}
	out["options"] = options
	return out
}

// parseSuggestions checks the ack payload of a block_suggestion and returns
// its options, also as option objects (flattened) for later choices, or
// Slack-style error messages.
func parseSuggestions(payload json.RawMessage) (Suggestions, []map[string]any, []string) {
	if len(payload) == 0 {
		return Suggestions{}, nil, nil // an ack without options: the menu shows none
	}
	var body map[string]any
	if err := json.Unmarshal(payload, &body); err != nil {
		return Suggestions{}, nil, []string{"[ERROR] the response must be a JSON object"}
	}
	v := newBlockValidator()
	_, hasOptions := body["options"]
	_, hasGroups := body["option_groups"]
	if hasOptions && hasGroups {
		v.errorf("", "must provide either options or option_groups, not both")
	}
	var sugg Suggestions
	var flat []map[string]any
	for i, o := range v.list(body, "options", "", 0, maxOptions, false) {
		v.option(o, fmt.Sprintf("/options/%d", i), true)
		if m, _ := o.(map[string]any); m != nil {
			sugg.Options = append(sugg.Options, optionOf(m))
			flat = append(flat, m)
		}
	}
	for i, g := range v.list(body, "option_groups", "", 0, maxOptions, false) {
		gp := fmt.Sprintf("/option_groups/%d", i)
		gm, _ := g.(map[string]any)
		if gm == nil {
			v.errorf(gp, "must be an object")
			continue
		}
		v.textObject(gm, "label", gp, true, maxOptionText, true)
		label, _ := gm["label"].(map[string]any)
		group := OptionGroup{}
		group.Label, _ = label["text"].(string)
		for j, o := range v.list(gm, "options", gp, 1, maxOptions, true) {
			v.option(o, fmt.Sprintf("%s/options/%d", gp, j), true)
			if m, _ := o.(map[string]any); m != nil {
				group.Options = append(group.Options, optionOf(m))
				flat = append(flat, m)
			}
		}
		sugg.Groups = append(sugg.Groups, group)
	}
	if len(v.errs) > 0 {
		return Suggestions{}, nil, v.errs
	}
	return sugg, flat, nil
}

func optionOf(m map[string]any) Option {
	text, _ := m["text"].(map[string]any)
	o := Option{}
	o.Text, _ = text["text"].(string)
	o.Value, _ = m["value"].(string)
	return o
}
