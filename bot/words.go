package bot

import (
	"context"
	"errors"

	"github.com/rs/zerolog"

	"github.com/accessbot/accessbot/access"
)

// The words for failures that are nobody's fault in particular. Internal
// detail (Slack, Okta or store errors, tokens) never reaches people.
const (
	msgUnavailable = "Okta/Slack/PagerDuty is not answering right now; try again in a minute."
	msgInternal    = "Something went wrong; the admins can see details in the log."
	msgNotFound    = "That request or resource does not exist."
	msgForbidden   = "You are not allowed to do that."
	msgConflict    = "That can't be done in the request's current state."
	msgInvalid     = "That input is not valid."
)

// errorText is errorWords escaped for mrkdwn.
func errorText(err error) string { return esc(errorWords(err), maxSectionText) }

// errorWords turns an error into words for the person who caused it (plain
// text): the words for its reason (reasons.go), else a fixed sentence for
// its code. An error's technical Message is never shown.
func errorWords(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return msgUnavailable
	}
	if w, ok := identityWords(err); ok {
		return w
	}
	if r, p, ok := access.ErrorReason(err); ok {
		if w, ok := reasonWords(r, p); ok {
			return w
		}
	}
	code := access.ErrorCode(err)
	switch code {
	case access.EUNAVAILABLE:
		return msgUnavailable
	case access.EINTERNAL, access.EUNAUTHORIZED:
		return msgInternal
	}
	switch code {
	case access.ENOTFOUND:
		return msgNotFound
	case access.EFORBIDDEN:
		return msgForbidden
	case access.ECONFLICT:
		return msgConflict
	case access.EINVALID:
		return msgInvalid
	}
	return msgInternal
}

// logFailure logs err once, where the bot handles it: failures people cause
// (refused, invalid, conflicts) at info, outages at warn, the rest at error.
func logFailure(l *zerolog.Logger, err error, what string) {
	var ev *zerolog.Event
	switch access.ErrorCode(err) {
	case access.EINVALID, access.ENOTFOUND, access.ECONFLICT, access.EFORBIDDEN:
		ev = l.Info()
	case access.EUNAVAILABLE:
		ev = l.Warn()
	default:
		ev = l.Error()
	}
	ev.Err(err).Str("code", access.ErrorCode(err)).Msg(what)
}

// maxLogValue bounds a value from a Slack payload in a log line: Slack sends
// none longer (action and block ids, callback ids, up to 255), so anything
// longer was not sent by Slack and is cut rather than written out whole.
const maxLogValue = 255

// logValue is a payload value as log lines carry it.
func logValue(s string) string { return truncate(s, maxLogValue) }
