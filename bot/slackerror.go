package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/access"
)

// Slack error codes that mean the bot's own credentials were refused; the
// process cannot do anything useful until an admin fixes the token.
var fatalSlackErrors = map[string]bool{
	"invalid_auth":     true,
	"not_authed":       true,
	"account_inactive": true,
	"token_revoked":    true,
	"token_expired":    true,
}

// Slack error codes worth retrying later.
var transientSlackErrors = map[string]bool{
	"ratelimited":         true,
	"rate_limited":        true,
	"fatal_error":         true,
	"internal_error":      true,
	"service_unavailable": true,
	"request_timeout":     true,
	"team_added_to_org":   true,
}

// Slack error codes that say the thing asked for does not exist.
var notFoundSlackErrors = map[string]bool{
	"users_not_found":   true,
	"user_not_found":    true,
	"channel_not_found": true,
	"message_not_found": true,
	"not_in_channel":    true,
	"user_disabled":     true,
	"cannot_dm_bot":     true,
	"not_found":         true,
	"no_such_subteam":   true,
}

// slackError maps an error of a Web API call (op, e.g. "users.info") to a
// domain error, once, here: EUNAUTHORIZED for a refused token (and the bot
// is told to stop), EUNAVAILABLE for rate limits, 5xx and network trouble,
// ENOTFOUND for missing users and channels, EINTERNAL otherwise. The Slack
// error stays in the chain for logs; it carries no token.
func (b *Slack) slackError(op string, err error) error {
	if err == nil {
		return nil
	}
	code := classify(err)
	wrapped := &access.Error{Code: code, Err: fmt.Errorf("slack %s: %w", op, err)}
	if code == access.EUNAUTHORIZED {
		b.stop(wrapped)
	}
	return wrapped
}

func classify(err error) string {
	var ae *access.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return access.EUNAVAILABLE
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch {
		case fatalSlackErrors[se.Err]:
			return access.EUNAUTHORIZED
		case transientSlackErrors[se.Err]:
			return access.EUNAVAILABLE
		case notFoundSlackErrors[se.Err]:
			return access.ENOTFOUND
		}
		return access.EINTERNAL
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return access.EUNAVAILABLE
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 || sc.Code == http.StatusTooManyRequests {
			return access.EUNAVAILABLE
		}
		return access.EINTERNAL
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return access.EUNAVAILABLE
	}
	return access.EINTERNAL
}

// slackCode returns Slack's error code ("channel_not_found"), or "".
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// stop asks Run to end with err (the first such error wins).
func (b *Slack) stop(err error) {
	select {
	case b.fatal <- err:
	default:
	}
}
