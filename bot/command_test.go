package bot

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text    string
		want    command
		wantErr string // substring of the error; "" for none
	}{
		{"", command{Kind: cmdOpen}, ""},
		{"   ", command{Kind: cmdOpen}, ""},
		{"help", command{Kind: cmdHelp}, ""},
		{"HELP", command{Kind: cmdHelp}, ""},
		{"list", command{Kind: cmdList}, ""},
		{"  List  extra", command{Kind: cmdList}, ""},
		{"request aws-prod-read 4h debugging INC-1",
			command{Kind: cmdRequest, Resource: "aws-prod-read", Duration: "4h", Reason: "debugging INC-1"}, ""},
		{"  REQUEST   AWS-Prod-Read   4H    debugging   INC-1  ",
			command{Kind: cmdRequest, Resource: "aws-prod-read", Duration: "4h", Reason: "debugging   INC-1"}, ""},
		{"request `aws-prod-read` oncall pager went off",
			command{Kind: cmdRequest, Resource: "aws-prod-read", Duration: "oncall", Reason: "pager went off"}, ""},
		{"request aws\tprod\nwhy", command{Kind: cmdRequest, Resource: "aws", Duration: "prod", Reason: "why"}, ""},
		{"request", command{Kind: cmdRequest}, "Missing the resource id. Usage: `/access request <resource-id> <duration> <reason…>`"},
		{"request aws-prod-read", command{Kind: cmdRequest, Resource: "aws-prod-read"}, "Missing the duration"},
		{"request aws-prod-read 4h   ", command{Kind: cmdRequest, Resource: "aws-prod-read", Duration: "4h"}, "Missing the reason"},
		{"cancel ABCD2345", command{Kind: cmdCancel, RequestID: "abcd2345"}, ""},
		{"cancel", command{Kind: cmdCancel}, "Missing the request id (see `/access list`). Usage: `/access cancel <request-id>`"},
		{"cancel abcd2345 efgh6789", command{Kind: cmdCancel, RequestID: "abcd2345"}, "Unexpected \"efgh6789\""},
		{"revoke abcd2345.", command{Kind: cmdRevoke, RequestID: "abcd2345"}, ""},
		{"revoke", command{Kind: cmdRevoke}, "Usage: `/access revoke <request-id>`"},
		{"extend abcd2345 1h", command{Kind: cmdExtend, RequestID: "abcd2345", Extend: time.Hour}, ""},
		{"Extend abcd2345 90M", command{Kind: cmdExtend, RequestID: "abcd2345", Extend: 90 * time.Minute}, ""},
		{"extend abcd2345", command{Kind: cmdExtend, RequestID: "abcd2345"}, "Missing the duration to extend by"},
		{"extend abcd2345 soon", command{Kind: cmdExtend, RequestID: "abcd2345"}, "\"soon\" is not a duration"},
		{"extend", command{Kind: cmdExtend}, "Usage: `/access extend <request-id> <duration>`"},
		{"breakglass db-admin prod is down", command{Kind: cmdBreakGlass, Resource: "db-admin", Reason: "prod is down"}, ""},
		{"break-glass DB-Admin prod is down", command{Kind: cmdBreakGlass, Resource: "db-admin", Reason: "prod is down"}, ""},
		{"breakglass db-admin", command{Kind: cmdBreakGlass, Resource: "db-admin"}, "Missing the reason"},
		{"breakglass", command{Kind: cmdBreakGlass}, "Usage: `/access breakglass <resource-id> <reason…>`"},
		{"revoke-all DB-Prod leaked key INC-7", command{Kind: cmdRevokeAll, Resource: "db-prod", Reason: "leaked key INC-7"}, ""},
		{"revoke-all <@U0ALICE|alice> left the company", command{Kind: cmdRevokeAll, Person: "U0ALICE", Reason: "left the company"}, ""},
		{"revokeall <@W0ALICE> left", command{Kind: cmdRevokeAll, Person: "W0ALICE", Reason: "left"}, ""},
		{"revoke-all @Alice left", command{Kind: cmdRevokeAll, PersonName: "alice", Reason: "left"}, ""},
		{"revoke-all U0ALICE left", command{Kind: cmdRevokeAll, Person: "U0ALICE", Reason: "left"}, ""},
		{"revoke-all db-prod", command{Kind: cmdRevokeAll, Resource: "db-prod"}, "Missing the reason"},
		{"revoke-all", command{Kind: cmdRevokeAll}, "Usage: `/access revoke-all <resource-id|@someone> <reason…>`"},
		{"pause DB-Prod INC-8", command{Kind: cmdPause, Resource: "db-prod", Reason: "INC-8"}, ""},
		{"pause db-prod", command{Kind: cmdPause, Resource: "db-prod"}, ""},
		{"pause", command{Kind: cmdPause}, "Usage: `/access pause <resource-id> [reason…]`"},
		{"resume db-prod", command{Kind: cmdResume, Resource: "db-prod"}, ""},
		{"resume db-prod now", command{Kind: cmdResume, Resource: "db-prod", Reason: "now"}, "Unexpected \"now\""},
		{"frobnicate now", command{Kind: cmdHelp}, "I don't know the command \"frobnicate\"."},
	}
	for _, tt := range tests {
		got, err := parseCommand(tt.text)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("parseCommand(%q): error %v", tt.text, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("parseCommand(%q): error %v, want one with %q", tt.text, err, tt.wantErr)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseCommand(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
		var ue *usageError
		if err != nil && !errors.As(err, &ue) {
			t.Errorf("parseCommand(%q): error %T is not a usage error", tt.text, err)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", "request aws 4h why", "cancel x", "extend x 1h", "extend x 99999999999w",
		"breakglass r because", "list", "\x00\xff", "request a b \u00a0c", "REVOKE `X`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseCommand(text)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T is not a usage error", err)
			}
			if ue.msg == "" || !utf8.ValidString(ue.msg) {
				t.Fatalf("usage error message %q", ue.msg)
			}
			return
		}
		switch c.Kind {
		case cmdOpen, cmdList, cmdHelp:
		case cmdRequest:
			if c.Resource == "" || c.Duration == "" || c.Reason == "" {
				t.Fatalf("request with a missing part: %+v", c)
			}
		case cmdBreakGlass:
			if c.Resource == "" || c.Reason == "" {
				t.Fatalf("breakglass with a missing part: %+v", c)
			}
		case cmdCancel, cmdRevoke:
			if c.RequestID == "" {
				t.Fatalf("%s without an id", c.Kind)
			}
		case cmdExtend:
			if c.RequestID == "" || c.Extend <= 0 {
				t.Fatalf("extend without id or duration: %+v", c)
			}
		default:
			t.Fatalf("unknown kind %q", c.Kind)
		}
		if c.Resource != strings.ToLower(c.Resource) || c.RequestID != strings.ToLower(c.RequestID) {
			t.Fatalf("ids not lower case: %+v", c)
		}
		if c.Reason != strings.TrimSpace(c.Reason) {
			t.Fatalf("reason not trimmed: %q", c.Reason)
		}
	})
}

func TestUsageTextListsEverySubcommand(t *testing.T) {
	got := usageText(nil, nil)
	for _, want := range []string{usageOpen, usageRequest, usageList, usageCancel, usageExtend, usageRevoke, usageBreakGlass, usageHelp, "/breakglass"} {
		if !strings.Contains(got, want) {
			t.Errorf("usage lacks %s", want)
		}
	}
}
