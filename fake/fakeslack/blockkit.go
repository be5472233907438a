package fakeslack

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// Rejection is a request the fake refused because its content broke Slack's
// rules (Block Kit limits, message length). Tests usually assert there were
// none.
type Rejection struct {
	Method string // e.g. "chat.postMessage", "views.open", "response_url"
	Error  string // "invalid_blocks", "invalid_arguments", "msg_too_long", ...
	// Messages are Slack's response_metadata.messages, e.g.
	// "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
	Messages []string
	Time     time.Time
}

// Rejections returns every content rejection so far, oldest first.
func (s *Server) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rejection(nil), s.rejections...)
}

func (s *Server) rejectLocked(method, code string, messages []string) apiResult {
	s.rejections = append(s.rejections, Rejection{Method: method, Error: code, Messages: messages, Time: time.Now()})
	s.logf("%s rejected: %s %v", method, code, messages)
	return failWithMessages(code, messages)
}

// Limits enforced, from Slack's Block Kit reference (see API-NOTES §2.3).
const (
	maxMessageBlocks   = 50
	maxViewBlocks      = 100
	maxMessageText     = 40000
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxButtonText      = 75
	maxButtonValue     = 2000
	maxURL             = 3000
	maxID              = 255
	maxOptions         = 100
	maxOptionText      = 75
	maxOptionValue     = 75
	maxPlaceholder     = 150
	maxActionsElements = 25
	maxContextElements = 10
	maxLabel           = 2000
	maxModalTitle      = 24
	maxPrivateMetadata = 3000
	maxAltText         = 2000
	maxInputLength     = 3000
)

// blockValidator collects Slack-style error messages for one message or view.
type blockValidator struct {
	errs     []string
	blockIDs map[string]bool
}

func newBlockValidator() *blockValidator {
	return &blockValidator{blockIDs: map[string]bool{}}
}

func (v *blockValidator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), path))
}

// maxLen checks a string's length in characters.
func (v *blockValidator) maxLen(path, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		v.errorf(path, "must be less than %d characters", n+1)
	}
}

// optString checks an optional string field and returns it.
func (v *blockValidator) optString(obj map[string]any, key, path string, n int) string {
	raw, present := obj[key]
	if !present || raw == nil {
		return ""
	}
	s, isString := raw.(string)
	if !isString {
		v.errorf(path+"/"+key, "must be a string")
		return ""
	}
	v.maxLen(path+"/"+key, s, n)
	return s
}

// reqString checks a required, non-empty string field.
func (v *blockValidator) reqString(obj map[string]any, key, path string, n int) string {
	raw, present := obj[key]
	if !present || raw == nil {
		v.errorf(path, "missing required field: %s", key)
		return ""
	}
	s, isString := raw.(string)
	switch {
	case !isString:
		v.errorf(path+"/"+key, "must be a string")
	case s == "":
		v.errorf(path+"/"+key, "must be more than 0 characters")
	default:
		v.maxLen(path+"/"+key, s, n)
	}
	return s
}

// list checks that obj[key] is an array of at most max items.
func (v *blockValidator) list(obj map[string]any, key, path string, min, max int, required bool) []any {
	raw, present := obj[key]
	if !present || raw == nil {
		if required {
			v.errorf(path, "missing required field: %s", key)
		}
		return nil
	}
	items, isList := raw.([]any)
	if !isList {
		v.errorf(path+"/"+key, "must be an array")
		return nil
	}
	if len(items) > max {
		v.errorf(path+"/"+key, "must be no more than %d items", max)
	}
	if len(items) < min {
		v.errorf(path+"/"+key, "must provide at least %d items", min)
	}
	return items
}

// textObject checks a composition text object at obj[key].
func (v *blockValidator) textObject(obj map[string]any, key, path string, plainOnly bool, max int, required bool) {
	raw, present := obj[key]
	if !present || raw == nil {
		if required {
			v.errorf(path, "missing required field: %s", key)
		}
		return
	}
	v.text(raw, path+"/"+key, plainOnly, max)
}

func (v *blockValidator) text(raw any, path string, plainOnly bool, max int) {
	t, isObj := raw.(map[string]any)
	if !isObj {
		v.errorf(path, "must be an object")
		return
	}
	typ, _ := t["type"].(string)
	switch {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	default:
		v.errorf(path+"/type", "must be a valid enum value")
	}
	v.reqString(t, "text", path, max)
	if e, present := t["emoji"]; present && typ == "mrkdwn" && e != nil {
		v.errorf(path+"/emoji", "unsupported field for mrkdwn text")
	}
}

func (v *blockValidator) validateBlocks(blocks []any, path string) {
	for i, raw := range blocks {
		v.block(raw, fmt.Sprintf("%s/%d", path, i))
	}
}

func (v *blockValidator) block(raw any, path string) {
	b, isObj := raw.(map[string]any)
	if !isObj {
		v.errorf(path, "must be an object")
		return
	}
	if id := v.optString(b, "block_id", path, maxID); id != "" {
		if v.blockIDs[id] {
			v.errorf(path+"/block_id", "duplicate block_id: %s", id)
		}
		v.blockIDs[id] = true
	}
	actionIDs := map[string]bool{}
	typ, _ := b["type"].(string)
	switch typ {
	case "section":
		_, hasText := b["text"]
		_, hasFields := b["fields"]
		if !hasText && !hasFields {
			v.errorf(path, "must provide either text or fields")
		}
		v.textObject(b, "text", path, false, maxSectionText, false)
		for i, f := range v.list(b, "fields", path, 1, maxSectionFields, false) {
			v.text(f, fmt.Sprintf("%s/fields/%d", path, i), false, maxFieldText)
		}
		if acc, present := b["accessory"]; present && acc != nil {
			v.element(acc, path+"/accessory", accessoryElements, actionIDs)
		}
	case "actions":
		for i, el := range v.list(b, "elements", path, 1, maxActionsElements, true) {
			v.element(el, fmt.Sprintf("%s/elements/%d", path, i), actionsElements, actionIDs)
		}
	case "context":
		for i, el := range v.list(b, "elements", path, 1, maxContextElements, true) {
			p := fmt.Sprintf("%s/elements/%d", path, i)
			if m, _ := el.(map[string]any); m != nil && m["type"] == "image" {
				v.element(el, p, contextElements, actionIDs)
			} else {
				v.text(el, p, false, maxSectionText)
			}
		}
	case "divider":
	case "header":
		v.textObject(b, "text", path, true, maxHeaderText, true)
	case "image":
		v.imageFields(b, path)
		v.textObject(b, "title", path, true, maxLabel, false)
	case "input":
		v.textObject(b, "label", path, true, maxLabel, true)
		v.textObject(b, "hint", path, true, maxLabel, false)
		if el, present := b["element"]; !present || el == nil {
			v.errorf(path, "missing required field: element")
		} else {
			v.element(el, path+"/element", inputElements, actionIDs)
		}
	case "":
		v.errorf(path, "missing required field: type")
	default:
		v.errorf(path+"/type", "unsupported type: %s", typ)
	}
}

func (v *blockValidator) imageFields(obj map[string]any, path string) {
	if _, hasFile := obj["slack_file"]; !hasFile {
		v.reqString(obj, "image_url", path, maxURL)
	}
	v.reqString(obj, "alt_text", path, maxAltText)
}

// Element types allowed in each place.
var (
	actionsElements = setOf("button", "static_select", "multi_static_select", "overflow", "datepicker",
		"users_select", "multi_users_select", "radio_buttons", "checkboxes", "external_select", "multi_external_select")
	accessoryElements = setOf("button", "static_select", "multi_static_select", "overflow", "datepicker",
		"users_select", "multi_users_select", "radio_buttons", "checkboxes", "external_select", "multi_external_select", "image")
	inputElements = setOf("plain_text_input", "static_select", "multi_static_select", "datepicker",
		"users_select", "multi_users_select", "radio_buttons", "checkboxes", "external_select", "multi_external_select")
	contextElements = setOf("image")
)

func setOf(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func (v *blockValidator) element(raw any, path string, allowed map[string]bool, actionIDs map[string]bool) {
	el, isObj := raw.(map[string]any)
	if !isObj {
		v.errorf(path, "must be an object")
		return
	}
	typ, _ := el["type"].(string)
	if typ == "" {
		v.errorf(path, "missing required field: type")
		return
	}
	if !allowed[typ] {
		v.errorf(path+"/type", "unsupported type: %s", typ)
		return
	}
	if typ == "image" {
		v.imageFields(el, path)
		return
	}
	if id := v.optString(el, "action_id", path, maxID); id != "" {
		if actionIDs[id] {
			v.errorf(path+"/action_id", "duplicate action_id: %s", id)
		}
		actionIDs[id] = true
	}
	switch typ {
	case "button":
		v.textObject(el, "text", path, true, maxButtonText, true)
		v.optString(el, "value", path, maxButtonValue)
		v.optString(el, "url", path, maxURL)
		if st := v.optString(el, "style", path, 10); st != "" && st != "primary" && st != "danger" {
			v.errorf(path+"/style", "must be a valid enum value")
		}
	case "static_select", "multi_static_select":
		v.textObject(el, "placeholder", path, true, maxPlaceholder, false)
		_, hasOptions := el["options"]
		_, hasGroups := el["option_groups"]
		if !hasOptions && !hasGroups {
			v.errorf(path, "must provide either options or option_groups")
		}
		for i, o := range v.list(el, "options", path, 0, maxOptions, false) {
			v.option(o, fmt.Sprintf("%s/options/%d", path, i), true)
		}
		for i, g := range v.list(el, "option_groups", path, 0, maxOptions, false) {
			gp := fmt.Sprintf("%s/option_groups/%d", path, i)
			gm, _ := g.(map[string]any)
			if gm == nil {
				v.errorf(gp, "must be an object")
				continue
			}
			v.textObject(gm, "label", gp, true, maxOptionText, true)
			for j, o := range v.list(gm, "options", gp, 1, maxOptions, true) {
				v.option(o, fmt.Sprintf("%s/options/%d", gp, j), true)
			}
		}
	case "overflow":
		for i, o := range v.list(el, "options", path, 1, 5, true) {
			v.option(o, fmt.Sprintf("%s/options/%d", path, i), true)
		}
	case "radio_buttons", "checkboxes":
		for i, o := range v.list(el, "options", path, 1, 10, true) {
			v.option(o, fmt.Sprintf("%s/options/%d", path, i), false)
		}
	case "plain_text_input":
		v.textObject(el, "placeholder", path, true, maxPlaceholder, false)
		v.optString(el, "initial_value", path, maxInputLength)
		for _, key := range []string{"min_length", "max_length"} {
			if n, present := el[key].(float64); present && (n < 0 || n > maxInputLength) {
				v.errorf(path+"/"+key, "must be between 0 and %d", maxInputLength)
			}
		}
	case "datepicker":
		v.textObject(el, "placeholder", path, true, maxPlaceholder, false)
		if d := v.optString(el, "initial_date", path, 10); d != "" && !datePattern.MatchString(d) {
			v.errorf(path+"/initial_date", "must match the format YYYY-MM-DD")
		}
	case "users_select", "multi_users_select":
		v.textObject(el, "placeholder", path, true, maxPlaceholder, false)
	case "external_select", "multi_external_select":
		// Options come later, from the app's answers to block_suggestion.
		v.textObject(el, "placeholder", path, true, maxPlaceholder, false)
		if n, present := el["min_query_length"]; present {
			if f, isNumber := n.(float64); !isNumber || f < 0 || f != float64(int(f)) {
				v.errorf(path+"/min_query_length", "must be a non-negative integer")
			}
		}
		if o, present := el["initial_option"]; present && o != nil {
			v.option(o, path+"/initial_option", true)
		}
		for i, o := range v.list(el, "initial_options", path, 0, maxOptions, false) {
			v.option(o, fmt.Sprintf("%s/initial_options/%d", path, i), true)
		}
	}
}

func (v *blockValidator) option(raw any, path string, plainOnly bool) {
	o, isObj := raw.(map[string]any)
	if !isObj {
		v.errorf(path, "must be an object")
		return
	}
	v.textObject(o, "text", path, plainOnly, maxOptionText, true)
	v.textObject(o, "description", path, plainOnly, maxOptionText, false)
	v.reqString(o, "value", path, maxOptionValue)
	v.optString(o, "url", path, maxURL)
}

// validateMessageBlocks checks a message's blocks; errors point at /blocks/...
func validateMessageBlocks(blocks []any) []string {
	v := newBlockValidator()
	if len(blocks) > maxMessageBlocks {
		v.errorf("/blocks", "must be no more than %d items", maxMessageBlocks)
	}
	v.validateBlocks(blocks, "/blocks")
	return v.errs
}

// validateView checks a view object; errors point at /view/...
// wantType is "modal" or "home" ("" accepts either).
func validateView(view map[string]any, wantType string) []string {
	v := newBlockValidator()
	const path = "/view"
	typ, _ := view["type"].(string)
	if typ != "modal" && typ != "home" || wantType != "" && typ != wantType {
		v.errorf(path+"/type", "must be a valid enum value")
	}
	v.optString(view, "private_metadata", path, maxPrivateMetadata)
	v.optString(view, "callback_id", path, maxID)
	v.optString(view, "external_id", path, maxID)
	if typ == "modal" {
		v.textObject(view, "title", path, true, maxModalTitle, true)
		v.textObject(view, "close", path, true, maxModalTitle, false)
		v.textObject(view, "submit", path, true, maxModalTitle, false)
	}
	blocks := v.list(view, "blocks", path, 0, maxViewBlocks, true)
	v.validateBlocks(blocks, path+"/blocks")
	if typ == "modal" {
		if sub, present := view["submit"]; !present || sub == nil {
			for i, b := range blocks {
				if m, _ := b.(map[string]any); m != nil && m["type"] == "input" {
					v.errorf(path+"/blocks/"+strconv.Itoa(i)+"/input", "must define submit to use input block")
					break
				}
			}
		}
	}
	return v.errs
}

// assignIDs fills in missing block_ids and action_ids the way Slack does
// when it stores a message or view, so every block and interactive element
// can be addressed by a block_actions payload.
func assignIDs(blocks []any) {
	used := map[string]bool{}
	for _, raw := range blocks {
		if b, _ := raw.(map[string]any); b != nil {
			if id, _ := b["block_id"].(string); id != "" {
				used[id] = true
			}
		}
	}
	n := 0
	for i, raw := range blocks {
		b, _ := raw.(map[string]any)
		if b == nil {
			continue
		}
		if id, _ := b["block_id"].(string); id == "" {
			for {
				n++
				id = fmt.Sprintf("fkb%d", n)
				if !used[id] {
					break
				}
			}
			used[id] = true
			b["block_id"] = id
		}
		for j, el := range blockElements(b) {
			if _, hasID := el["action_id"].(string); !hasID && el["type"] != "image" {
				el["action_id"] = fmt.Sprintf("fka%d.%d", i, j)
			}
		}
	}
}

// blockElements returns a block's interactive elements: actions elements,
// a section accessory or an input element.
func blockElements(b map[string]any) []map[string]any {
	var out []map[string]any
	if els, _ := b["elements"].([]any); b["type"] == "actions" {
		for _, e := range els {
			if m, _ := e.(map[string]any); m != nil {
				out = append(out, m)
			}
		}
	}
	for _, key := range []string{"accessory", "element"} {
		if m, _ := b[key].(map[string]any); m != nil {
			out = append(out, m)
		}
	}
	return out
}
