package main

import (
	"testing"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestCheckApproverGroups: `accessbot check` reads every approver group:
// one that does not exist is fatal, an empty one a warning, and a resource
// whose only approvers are an empty group cannot be approved.
func TestCheckApproverGroups(t *testing.T) {
	db := "okta_group: " + SandboxGroupDB + "\n    approvers: [bob@example.com, carol@example.com]"
	tests := []struct {
		name  string
		with  string
		code  int
		lines [][]string
	}{
		{"okta group and user group read", "[okta_group:00gsre, slack_usergroup:S0SRE]", exitOK,
			[][]string{{"ok", "2 groups of approvers read"}}},
		{"unknown okta group", "[bob@example.com, okta_group:00gnope]", exitFailed,
			[][]string{{"FATAL", "okta_group:00gnope (approver of db-prod): no such group"}}},
		{"unknown user group", "[bob@example.com, slack_usergroup:S0NOPE]", exitFailed,
			[][]string{{"FATAL", "slack_usergroup:S0NOPE (approver of db-prod): no such group"}}},
		{"empty group", "[okta_group:00gempty]", exitFailed,
			[][]string{{"WARNING", "okta_group:00gempty (approver of db-prod): the group has no members"},
				{"FATAL", "resource db-prod: none of its approvers"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newCheckSandbox(t)
			sb.Okta.AddGroup("00gsre", "SRE")
			sb.Okta.AddMember("00gsre", Bob.OktaID)
			sb.Okta.AddGroup("00gempty", "Nobody")
			sb.Slack.AddUserGroup(fakeslack.UserGroup{ID: "S0SRE", Handle: "sre", Users: []string{Carol.SlackID}})
			code, out := checkSandbox(t, sb, db, "okta_group: "+SandboxGroupDB+"\n    approvers: "+tt.with)
			if code != tt.code {
				t.Errorf("code %d, want %d:\n%s", code, tt.code, out)
			}
			for _, l := range tt.lines {
				if !checkHasLine(out, l[0], l[1:]...) {
					t.Errorf("no line %q in:\n%s", l, out)
				}
			}
		})
	}
}
