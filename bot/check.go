package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/accessbot/accessbot/access"
)

// RequiredScopes are the bot token scopes accessbot needs (the Slack app
// manifest asks for exactly these).
var RequiredScopes = []string{"commands", "chat:write", "im:write", "users:read", "users:read.email", "usergroups:read"}

// TokenInfo is what Slack's auth.test says about the bot token.
type TokenInfo struct {
	TeamID    string
	Team      string
	BotUserID string
	// Scopes are the token's scopes, from the X-OAuth-Scopes header; nil
	// when Slack did not send it.
	Scopes []string
}

// MissingScopes returns the RequiredScopes the token lacks, or nil when it
// has them all or its scopes are unknown.
func (t TokenInfo) MissingScopes() []string {
	if t.Scopes == nil {
		return nil
	}
	var missing []string
	for _, s := range RequiredScopes {
		if !slices.Contains(t.Scopes, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// CheckToken asks Slack's auth.test whether the bot token works, for the
// start-up checks; it works before Run and does not stop a running bot.
// EUNAUTHORIZED when Slack refuses the token, EUNAVAILABLE when Slack
// cannot be reached or is failing, EINTERNAL otherwise.
func (b *Slack) CheckToken(ctx context.Context) (TokenInfo, error) {
	res, err := b.api.AuthTestContext(ctx)
	if err != nil {
		return TokenInfo{}, checkError("auth.test", err)
	}
	info := TokenInfo{TeamID: res.TeamID, Team: res.Team, BotUserID: res.UserID}
	if h := res.Header.Get("X-OAuth-Scopes"); h != "" {
		for _, s := range strings.Split(h, ",") {
			if s = strings.TrimSpace(s); s != "" {
				info.Scopes = append(info.Scopes, s)
			}
		}
	}
	return info, nil
}

// CheckAppToken asks apps.connections.open whether the app-level token
// works; the WebSocket URL it returns is not used. Slack rate-limits this
// method tightly, so call it from `accessbot check`, not on every start
// (Run reports a refused app token itself). Errors as CheckToken's.
func (b *Slack) CheckAppToken(ctx context.Context) error {
	if _, _, err := b.api.StartSocketModeContext(ctx); err != nil {
		return checkError("apps.connections.open", err)
	}
	return nil
}

// checkError maps an error of a check call to a domain error without
// asking Run to stop, as slackError does for a refused token.
func checkError(op string, err error) error {
	code := classify(err)
	if c := slackCode(err); c != "" {
		return &access.Error{Code: code, Err: fmt.Errorf("slack %s: %s", op, c)}
	}
	return &access.Error{Code: code, Err: fmt.Errorf("slack %s: %w", op, err)}
}
