package bot

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/workflow"
)

func TestModalsKeepLimits(t *testing.T) {
	var resources []access.Resource
	for i := range 150 {
		_, res := hostile(access.StatePending)
		if i%2 == 0 {
			res.ID = "res-" + strconv.Itoa(i)
		} else {
			res.ID = strings.Repeat("long-id-", 20) + strconv.Itoa(i)
		}
		res.Durations = []time.Duration{time.Hour, 4 * time.Hour}
		resources = append(resources, res)
	}
	cat := access.NewCatalog(resources)
	for i, res := range []access.Resource{resources[0], resources[1]} {
		key := resourceKey(i, res)
		f := catalogForm(key, res, "")
		f.durations = append(f.durations, workflow.DurationUntilShiftEnd)
		f.onCall = true
		v := requestModal(cat, f, requestMeta{Channel: "C0GENERAL"})
		checkModal(t, "request modal "+key, v)
		if !slack.ValidateUniqueBlockID(v) {
			t.Errorf("request modal %s: duplicate input block ids", key)
		}
		got, ok := lookupResource(cat, key)
		if !ok || got.ID != res.ID {
			t.Errorf("key %q does not lead back to %q", key, res.ID)
		}
	}
	r, res := hostile(access.StatePending)
	checkModal(t, "deny modal", denyModal(&r, res))
	checkModal(t, "notice modal", noticeModal(strings.Repeat("t", 100), esc(strings.Repeat("<!channel>", 1000), 3000)))
}

func TestModalErrorsGoToInputBlocks(t *testing.T) {
	meta := requestMeta{Resource: "aws-prod-read"}
	all := map[string]bool{BlockResource: true, BlockReason: true, "duration_aws-prod-read": true, "approvers_aws-prod-read": true}
	noApprovers := map[string]bool{BlockResource: true, BlockReason: true, "duration_aws-prod-read": true}
	tests := []struct {
		name    string
		err     error
		present map[string]bool
		want    map[string]string
	}{
		{"fields", access.Invalid(access.FieldRefuse("reason", access.ReasonNoReason, access.Params{}),
			access.FieldRefuse("duration", access.ReasonNoDuration, access.Params{Resource: "AWS", Allowed: []time.Duration{time.Hour}})), all,
			map[string]string{BlockReason: noReason, "duration_aws-prod-read": "Choose a duration. Allowed for AWS: 1h."}},
		{"missing block", access.Invalid(access.FieldRefuse("approvers", access.ReasonSelfAsApprover, access.Params{}),
			access.FieldRefuse("resource", access.ReasonResourceGone, access.Params{ResourceID: "db"})), noApprovers,
			map[string]string{BlockResource: "Resource \"db\" is no longer configured. You can't approve your own request; choose other approvers."}},
		{"conflict", access.Refuse(access.ECONFLICT, access.ReasonPendingRequest, access.Params{Resource: "AWS", RequestID: "r1"}), all,
			map[string]string{BlockResource: "You already have a pending request for AWS (r1); cancel it with `/access cancel r1` or wait for an approver."}},
		{"outage", access.Wrap(access.EUNAVAILABLE, nil), all, map[string]string{BlockResource: msgUnavailable}},
		{"no email", access.Refuse(access.EINVALID, access.ReasonNoEmail, access.Params{}), all, map[string]string{BlockResource: noEmail}},
		{"unknown field", &access.Error{Code: access.EINVALID, Fields: map[string]*access.Error{"colour": access.FieldRefuse("colour", access.ReasonNoReason, access.Params{})}}, all,
			map[string]string{BlockResource: noReason}},
	}
	for _, tt := range tests {
		got := modalErrors(tt.err, tt.present, meta)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tt.name, k, got[k], v)
			}
		}
	}
	huge := access.FieldRefuse("reason", access.ReasonUnknownResource, access.Params{Value: strings.Repeat("x", 10000)})
	if got := modalErrors(huge, all, meta)[BlockReason]; textLen(got) > maxErrorText {
		t.Errorf("inline error of %d characters", textLen(got))
	}
}

func TestNewerTS(t *testing.T) {
	if !newerTS("1700000000.000200", "1700000000.000100") || newerTS("1700000000.000100", "1700000000.000200") || newerTS("x", "1") {
		t.Error("newerTS misorders timestamps")
	}
	var c viewChoices
	if !c.note("V1", "2.0") || c.note("V1", "1.0") || !c.latest("V1", "2.0") || c.latest("V1", "1.0") {
		t.Error("viewChoices lets an older choice win")
	}
}

const (
	noReason = "Give a reason: approvers and auditors need to know why."
	noEmail  = "Your Slack profile has no email, so accessbot can't match you to Okta; ask an admin (the app needs the users:read.email scope)."
)
