package config

import "testing"

func TestRateLimitShareOutOfRange(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"0", "must be more than 0 and at most 1, such as 0.5 for half of each of Okta's rate limits"},
		{"1.5", "must be more than 0 and at most 1, such as 0.5 for half of each of Okta's rate limits"},
		{"half", `"half" is not a number`},
	} {
		_, err := Parse(configWith(map[string]string{
			"okta": "  org_url: https://acme.okta.com\n  api_token: t\n  rate_limit_share: " + tc.value + "\n",
		}), envFrom(nil))
		checkProblems(t, err, []Problem{{"okta.rate_limit_share", tc.want}})
	}
}
