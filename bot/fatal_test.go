package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// An app-level token refused on a reconnect, while running, ends Run with
// EUNAUTHORIZED instead of a retry loop — also for the codes slack-go
// itself would retry for ever (token_expired).
func TestAppTokenRefusedOnReconnectStopsRun(t *testing.T) {
	for _, code := range []string{"invalid_auth", "token_revoked", "token_expired"} {
		t.Run(code, func(t *testing.T) {
			h := start(t)
			h.srv.FailConnectionsOpen(1, code)
			h.srv.DropConnections()
			var err error
			select {
			case err = <-h.done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not stop")
			}
			h.done <- nil // for the harness's clean-up
			if access.ErrorCode(err) != access.EUNAUTHORIZED || !strings.Contains(err.Error(), "app-level token ("+code+")") {
				t.Fatalf("Run returned %v", err)
			}
		})
	}
}
