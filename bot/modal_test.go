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
		{"fields", access.Invalid(access.FieldErrorf("reason", "Give a reason."), access.FieldErrorf("duration", "Bad duration.")), all,
			map[string]string{BlockReason: "Give a reason.", "duration_aws-prod-read": "Bad duration."}},
		{"missing block", access.Invalid(access.FieldErrorf("approvers", "No."), access.FieldErrorf("resource", "Gone.")), noApprovers,
			map[string]string{BlockResource: "Gone. No."}},
		{"conflict", access.Errorf(access.ECONFLICT, "Already pending."), all, map[string]string{BlockResource: "Already pending."}},
		{"outage", access.Wrap(access.EUNAVAILABLE, nil), all, map[string]string{BlockResource: msgUnavailable}},
		{"no email", access.Errorf(access.EINVALID, noEmailMessage), all, map[string]string{BlockResource: noEmailMessage}},
		{"unknown field", &access.Error{Code: access.EINVALID, Fields: map[string]string{"colour": "Blue."}}, all, map[string]string{BlockResource: "Blue."}},
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
	huge := access.FieldErrorf("reason", "%s", strings.Repeat("x", 10000))
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
