package access

import (
	"context"
	"time"
)

// UseEvent is one successful single sign-on of an Okta user to an Okta
// app, as the System Log recorded it.
type UseEvent struct {
	ID     string // the log event's uuid, unique per event
	UserID string // Okta user id
	AppID  string // Okta app id
	At     time.Time
}

// UsageLog reads sign-ons from Okta's System Log in the order Okta stored
// them, from a cursor a caller can persist: reading again from the cursor
// a Read returned yields each later event exactly once, across restarts.
type UsageLog interface {
	// Read returns the sign-ons after cursor ("" starts where the log was
	// configured to start) and the cursor to read from next. No events and
	// a cursor mean nothing new yet: read from that cursor again later. A
	// caller persists next only once it has handled events, so that a crash
	// in between reads them again rather than losing them. EINVALID when
	// cursor is not one Read returned; EUNAVAILABLE when Okta cannot be
	// reached, fails or rate-limits past the retries (read the same cursor
	// again); EUNAUTHORIZED when the token is refused.
	Read(ctx context.Context, cursor string) (events []UseEvent, next string, err error)
}
