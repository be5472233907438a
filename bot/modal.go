package bot

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

// Callback ids and block ids of the modals. Input block ids are stable so
// inline errors can point at them; the duration and approvers blocks carry
// the resource's key (its id, or "#<index>" for an id too long for an option
// value), so changing the resource drops the old choices.
const (
	CallbackRequest = "access_request"
	CallbackDeny    = "deny_reason"

	BlockResource           = "resource"
	BlockReason             = "reason"
	BlockDurationPrefix     = "duration_"  // + resource key
	BlockApproversPrefix    = "approvers_" // + resource key
	blockResourceInfoPrefix = "resource_info_"
	BlockDenyReason         = "deny_reason"
	// BlockForPrefix (+ resource key) holds the "For someone else" user
	// picker, on resources whose on_behalf lets someone ask for others.
	BlockForPrefix = "for_"
)

// requestMeta is the request modal's private_metadata.
type requestMeta struct {
	Channel  string `json:"channel,omitempty"` // where /access was typed, for answers
	Resource string `json:"resource"`          // key of the resource the blocks were drawn for
}

func (m requestMeta) encode() string {
	raw, _ := json.Marshal(m)
	if len(raw) > maxMetadata {
		return "{}"
	}
	return string(raw)
}

func parseRequestMeta(s string) requestMeta {
	var m requestMeta
	_ = json.Unmarshal([]byte(s), &m)
	return m
}

// resourceKey is how a resource is named in option values and block ids:
// its id, or "#<index>" when the id is too long for an option value.
func resourceKey(i int, res access.Resource) string {
	if res.ID != "" && len(res.ID) <= 64 && !strings.HasPrefix(res.ID, "#") {
		return res.ID
	}
	return "#" + strconv.Itoa(i)
}

// lookupResource finds the resource behind a key.
func lookupResource(cat *access.Catalog, key string) (access.Resource, bool) {
	if cat == nil || key == "" {
		return access.Resource{}, false
	}
	all := cat.All()
	if strings.HasPrefix(key, "#") {
		i, err := strconv.Atoi(key[1:])
		if err != nil || i < 0 || i >= len(all) {
			return access.Resource{}, false
		}
		return all[i], true
	}
	res, err := cat.Get(key)
	if err != nil {
		return access.Resource{}, false
	}
	return *res, true
}

// modalForm is what the request modal offers for one resource.
type modalForm struct {
	key       string
	res       access.Resource
	durations []string // RequestInput.Duration values
	approvers []string // emails the requester may choose
	onCall    bool
}

// catalogForm is the form from config alone, for opening the modal before
// the workflow (which may ask PagerDuty) has answered. requester, when
// known, is left out of the approvers.
func catalogForm(key string, res access.Resource, requester string) modalForm {
	f := modalForm{key: key, res: res}
	for _, d := range res.Durations {
		f.durations = append(f.durations, access.FormatDuration(d))
	}
	for _, e := range res.ApproverEntries() {
		// Groups are resolved by the workflow, whose form replaces this one.
		if !e.IsGroup() && !strings.EqualFold(e.Value, requester) {
			f.approvers = append(f.approvers, e.Value)
		}
	}
	return f
}

func workflowForm(key string, form workflow.Form) modalForm {
	return modalForm{key: key, res: form.Resource, durations: form.Durations, approvers: form.Approvers, onCall: form.OnCall}
}

func (f modalForm) same(o modalForm) bool {
	return f.key == o.key && strings.Join(f.durations, ",") == strings.Join(o.durations, ",") &&
		strings.Join(f.approvers, ",") == strings.Join(o.approvers, ",")
}

func durationLabel(d string) string {
	if d == workflow.DurationUntilShiftEnd {
		return "Until my on-call shift ends"
	}
	if d == access.DurationActivity {
		return "While I use it"
	}
	if x, err := access.ParseDuration(d); err == nil {
		return humanDuration(x)
	}
	return d
}

// humanDuration writes 90m as "1 hour 30 minutes".
func humanDuration(d time.Duration) string {
	units := []struct {
		d    time.Duration
		name string
	}{{7 * 24 * time.Hour, "week"}, {24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}}
	var parts []string
	for _, u := range units {
		if n := d / u.d; n > 0 {
			p := strconv.FormatInt(int64(n), 10) + " " + u.name
			if n > 1 {
				p += "s"
			}
			parts = append(parts, p)
			d %= u.d
		}
	}
	if len(parts) == 0 {
		return access.FormatDuration(d)
	}
	return strings.Join(parts, " ")
}

// requestModal is the /access modal for form f.
func requestModal(cat *access.Catalog, f modalForm, meta requestMeta) slack.ModalViewRequest {
	meta.Resource = f.key
	resSelect := resourceMenu(cat, f.key)
	resInput := slack.NewInputBlock(BlockResource, plainText("Resource"), nil, resSelect)
	resInput.DispatchAction = true
	blocks := []slack.Block{resInput}

	var info []string
	if d := strings.TrimSpace(f.res.Description); d != "" {
		info = append(info, esc(d, 1000))
	}
	need := f.res.RequiredApprovals()
	info = append(info, "Needs "+strconv.Itoa(need)+" approval"+plural(need)+".")
	blocks = append(blocks, slack.NewContextBlock(blockID(blockResourceInfoPrefix, f.key), mrkdwn(truncate(strings.Join(info, " "), maxContextText))))

	if len(f.durations) > 0 {
		var opts []*slack.OptionBlockObject
		for _, d := range f.durations {
			if len(opts) < maxOptions {
				opts = append(opts, option(d, durationLabel(d)))
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("How long?"), ActionDurationSelect, opts...)
		sel.InitialOption = opts[0]
		var hint *slack.TextBlockObject
		if f.onCall {
			hint = plainText("You are on call, so you may ask for access until your shift ends.")
		}
		blocks = append(blocks, slack.NewInputBlock(blockID(BlockDurationPrefix, f.key), plainText("Duration"), hint, sel))
	}

	reason := slack.NewPlainTextInputBlockElement(plainText("Why do you need it? Link the ticket or incident."), ActionReasonInput)
	reason.Multiline = true
	reason.MaxLength = workflow.MaxReasonLength
	blocks = append(blocks, slack.NewInputBlock(BlockReason, plainText("Reason"), nil, reason))

	var apOpts []*slack.OptionBlockObject
	for _, email := range f.approvers {
		switch i := indexOf(f.res.Approvers, email); {
		case len(apOpts) >= maxOptions:
		case i >= 0:
			apOpts = append(apOpts, option(strconv.Itoa(i), email))
		case len(email) <= maxOptionValue:
			// A member of an approver group: named by email, which the
			// workflow checks against the group as it is.
			apOpts = append(apOpts, option(email, email))
		}
	}
	if len(apOpts) > 0 {
		sel := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plainText("Everyone eligible"), ActionApprovers, apOpts...)
		in := slack.NewInputBlock(blockID(BlockApproversPrefix, f.key), plainText("Approvers (optional)"),
			plainText("Leave empty to ask every approver of "+plain(nonEmptyOr(f.res.Name, f.res.ID), 200)+"."), sel)
		in.Optional = true
		blocks = append(blocks, in)
	}
	if f.res.OnBehalf != access.OnBehalfOff {
		blocks = append(blocks, forSomeoneElse(f)) // people.go
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackRequest,
		Title:           plainText("Request access"),
		Submit:          plainText("Request"),
		Close:           plainText("Cancel"),
		Blocks:          slack.Blocks{BlockSet: capBlocks(blocks, maxViewBlocks)},
		PrivateMetadata: meta.encode(),
	}
}

// noticeModal is a modal that only says something (the request form could
// not be offered).
func noticeModal(title, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plainText(plain(title, maxModalTitle)),
		Close:  plainText("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{sectionBlock(text)}},
	}
}

func blockID(prefix, key string) string { return truncate(prefix+key, 255) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if strings.EqualFold(x, s) {
			return i
		}
	}
	return -1
}
