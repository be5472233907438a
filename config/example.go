package config

import _ "embed"

//go:embed example.yaml
var example []byte

// Example returns a commented example config that documents every key. It
// is valid once SLACK_APP_TOKEN, SLACK_BOT_TOKEN, OKTA_ORG_URL, OKTA_API_TOKEN
// and PAGERDUTY_API_TOKEN are set. The result is a copy.
func Example() []byte {
	return append([]byte(nil), example...)
}
