package config

import "regexp"

// Identity says who may use accessbot beyond "has a Slack account": the
// identity section of the file.
type Identity struct {
	// AllowGuests lets Slack guests (multi- and single-channel) request and
	// approve. Default false: they are refused, as people of another team are.
	AllowGuests bool
	// OktaSlackIDAttribute names the Okta profile attribute that holds a
	// person's Slack user id, to match people by it instead of by email.
	// "" (the default) matches by email.
	OktaSlackIDAttribute string
}

type fileIdentity struct {
	AllowGuests          bool   `yaml:"allow_guests"`
	OktaSlackIDAttribute string `yaml:"okta_slack_id_attribute"`
}

// oktaAttribute is the form of an Okta profile attribute's variable name.
var oktaAttribute = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)

func (c *checker) identity(f fileIdentity) Identity {
	const path = "identity.okta_slack_id_attribute"
	if a := f.OktaSlackIDAttribute; a != "" && !oktaAttribute.MatchString(a) {
		c.add(path, "%s is not an Okta profile attribute name: use the attribute's variable name, a letter followed by letters, digits or _, such as slackUserId", c.show(path, a))
	}
	return Identity(f)
}
