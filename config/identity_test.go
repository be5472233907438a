package config

import "testing"

// TestIdentity checks the identity section: guests refused and matching by
// email unless the file says otherwise, and each key checked.
func TestIdentity(t *testing.T) {
	noEnv := func(string) string { return "" }
	with := func(body string) []byte { return append(configWith(nil), []byte("identity:\n"+body)...) }

	if cfg := parseValid(t, configWith(nil), noEnv); cfg.Identity != (Identity{}) {
		t.Errorf("default identity = %+v; want guests refused and matching by email", cfg.Identity)
	}
	cfg := parseValid(t, with("  allow_guests: true\n  okta_slack_id_attribute: slackUserId\n"), noEnv)
	if !cfg.Identity.AllowGuests || cfg.Identity.OktaSlackIDAttribute != "slackUserId" {
		t.Errorf("identity = %+v", cfg.Identity)
	}

	_, err := Parse(with("  allow_guests: maybe\n"), noEnv)
	checkProblems(t, err, []Problem{{"identity.allow_guests", `"maybe" is not true or false`}})
	_, err = Parse(with("  okta_slack_id_attribute: profile.slack id\n"), noEnv)
	checkProblems(t, err, []Problem{{"identity.okta_slack_id_attribute",
		`"profile.slack id" is not an Okta profile attribute name: use the attribute's variable name, a letter followed by letters, digits or _, such as slackUserId`}})
	_, err = Parse(with("  allow_guest: true\n"), noEnv)
	checkProblems(t, err, []Problem{{"identity.allow_guest", `unknown key (did you mean "allow_guests"?)`}})
}
