package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

func TestErrorText(t *testing.T) {
	secret := errors.New("okta: POST https://acme.okta.com token=SSWS-secret failed")
	tests := []struct {
		err  error
		want string
	}{
		{access.Refuse(access.EFORBIDDEN, access.ReasonNotApprover, access.Params{Resource: "AWS"}), "You are not an approver of AWS."},
		{fmt.Errorf("approve: %w", access.Refuse(access.ECONFLICT, access.ReasonDecidedBy, access.Params{Approve: true, State: access.StateActive, Person: "bob"})), "This request was already approved by bob."},
		{access.FieldRefuse("duration", access.ReasonDurationNotAllowed, access.Params{Value: "9h", Resource: "AWS", Allowed: []time.Duration{time.Hour}}), "\"9h\" is not an allowed duration for AWS. Allowed: 1h."},
		{access.Refuse(access.ENOTFOUND, access.ReasonNoSuchRequest, access.Params{RequestID: "<!channel>"}), "There is no request &lt;!channel&gt;."},
		// An adapter's technical message is never shown.
		{access.Errorf(access.ENOTFOUND, "okta: no user alice@example.com in group 00g1"), msgNotFound},
		{&access.Error{Code: access.ENOTFOUND}, msgNotFound},
		{&access.Error{Code: access.EFORBIDDEN}, msgForbidden},
		{&access.Error{Code: access.EUNAVAILABLE, Message: "okta said 503 token=x", Err: secret}, msgUnavailable},
		{access.Wrap(access.EINTERNAL, secret), msgInternal},
		{&access.Error{Code: access.EUNAUTHORIZED, Err: secret}, msgInternal},
		{secret, msgInternal},
		{context.DeadlineExceeded, msgUnavailable},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), msgUnavailable},
	}
	for _, tt := range tests {
		if got := errorText(tt.err); got != tt.want {
			t.Errorf("errorText(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if got := errorText(nil); got != "" {
		t.Errorf("errorText(nil) = %q", got)
	}
}

func TestClassifySlackErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{slack.SlackErrorResponse{Err: "users_not_found"}, access.ENOTFOUND},
		{slack.SlackErrorResponse{Err: "channel_not_found"}, access.ENOTFOUND},
		{slack.SlackErrorResponse{Err: "invalid_auth"}, access.EUNAUTHORIZED},
		{slack.SlackErrorResponse{Err: "token_revoked"}, access.EUNAUTHORIZED},
		{slack.SlackErrorResponse{Err: "ratelimited"}, access.EUNAVAILABLE},
		{slack.SlackErrorResponse{Err: "invalid_blocks"}, access.EINTERNAL},
		{&slack.RateLimitedError{}, access.EUNAVAILABLE},
		{slack.StatusCodeError{Code: 503}, access.EUNAVAILABLE},
		{slack.StatusCodeError{Code: 400}, access.EINTERNAL},
		{context.DeadlineExceeded, access.EUNAVAILABLE},
		{errors.New("boom"), access.EINTERNAL},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("classify(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestRefusedTokenStopsTheBot(t *testing.T) {
	b := NewSlack(Options{BotToken: "xoxb-x", AppToken: "xapp-x"}, testLogger(t))
	err := b.slackError("chat.postMessage", slack.SlackErrorResponse{Err: "token_revoked"})
	if access.ErrorCode(err) != access.EUNAUTHORIZED {
		t.Fatalf("code %s", access.ErrorCode(err))
	}
	select {
	case got := <-b.fatal:
		if got == nil {
			t.Fatal("nil fatal error")
		}
	default:
		t.Fatal("a revoked token did not ask Run to stop")
	}
}

func TestUnknownResourceListsAtMostThirty(t *testing.T) {
	var ids []string
	for i := range 200 {
		ids = append(ids, "res-"+strconv.Itoa(i))
	}
	got, _ := reasonWords(access.ReasonUnknownResource, access.Params{Value: "nope", Names: ids})
	if !strings.Contains(got, "res-29 and 170 more") || strings.Contains(got, "res-30,") {
		t.Errorf("words = %q", got)
	}
}
