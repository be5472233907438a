package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/fake/fakeslack"
)

// identityWorkspace is a fake Slack with one person of each kind the
// identity checks tell apart.
func identityWorkspace(t *testing.T) *fakeslack.Server {
	t.Helper()
	srv := fakeslack.New(fakeslack.Options{})
	t.Cleanup(srv.Close)
	for _, u := range []fakeslack.User{
		{ID: "U0ALICE", Name: "alice", Email: "alice@example.com"},
		{ID: "U0GUEST", Name: "gus", Email: "gus@example.com", IsRestricted: true},
		{ID: "U0SINGLE", Name: "sid", Email: "sid@example.com", IsUltraRestricted: true},
		{ID: "U0EXT", Name: "xena", Email: "xena@partner.example", TeamID: "T0PARTNER"},
		{ID: "U0NEW", Name: "nell", Email: "nell@example.com", EmailUnconfirmed: true},
		{ID: "U0GONE", Name: "gone", Email: "gone@example.com", Deleted: true},
		{ID: "W0SIS", Name: "sis", Email: "sis@example.com", TeamID: "T0SISTER", EnterpriseID: "E0FAKE"},
		{ID: "W0RIVAL", Name: "rival", Email: "rival@rival.example", TeamID: "T0RIVAL", EnterpriseID: "E0RIVAL"},
	} {
		srv.AddUser(u)
	}
	return srv
}

func identityBot(t *testing.T, srv *fakeslack.Server, allowGuests bool) *Slack {
	t.Helper()
	return NewSlack(Options{BotToken: srv.BotToken(), AppToken: srv.AppToken(), APIURL: srv.APIURL(), AllowGuests: allowGuests}, testLogger(t))
}

// TestUserByIDRefusesIdentities checks who may act: members of the bot's
// team (on Enterprise Grid, of its organization), guests only when
// allowed, never unconfirmed emails or deactivated accounts; and that a
// refusal is EFORBIDDEN with its reason and the sentence people see.
func TestUserByIDRefusesIdentities(t *testing.T) {
	const (
		ok      = access.IdentityReason("")
		foreign = access.ReasonForeignTeam
		guest   = access.ReasonGuest
		unconf  = access.ReasonEmailUnconfirmed
		gone    = access.ReasonDeactivated
	)
	tests := []struct {
		name        string
		grid        bool
		allowGuests bool
		id          string
		want        access.IdentityReason
		words       string
	}{
		{"member", false, false, "U0ALICE", ok, ""},
		{"multi-channel guest", false, false, "U0GUEST", guest, "You are a guest in this workspace"},
		{"single-channel guest", false, false, "U0SINGLE", guest, "guests can't request or approve"},
		{"guest allowed", false, true, "U0GUEST", ok, ""},
		{"single-channel guest allowed", false, true, "U0SINGLE", ok, ""},
		{"Slack Connect user", false, false, "U0EXT", foreign, "another organization"},
		{"Slack Connect user, guests allowed", false, true, "U0EXT", foreign, "another organization"},
		{"unconfirmed email", false, false, "U0NEW", unconf, "has not confirmed the email"},
		{"deactivated", false, false, "U0GONE", gone, "deactivated"},
		{"other workspace, no Grid", false, false, "W0SIS", foreign, "another organization"},
		{"member on Grid", true, false, "U0ALICE", ok, ""},
		{"sister workspace on Grid", true, false, "W0SIS", ok, ""},
		{"another Grid organization", true, false, "W0RIVAL", foreign, "another organization"},
		{"guest on Grid", true, false, "U0GUEST", guest, "guest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := identityWorkspace(t)
			if tt.grid {
				srv.SetEnterprise("E0FAKE", "Fake Holdings")
			}
			b := identityBot(t, srv, tt.allowGuests)
			u, err := b.UserByID(t.Context(), tt.id)
			if tt.want == ok {
				if err != nil || u.SlackID != tt.id || u.Email == "" {
					t.Fatalf("UserByID(%s) = %+v, %v; want the user", tt.id, u, err)
				}
				return
			}
			reason, isIdentity := access.IdentityRefusal(err)
			if access.ErrorCode(err) != access.EFORBIDDEN || !isIdentity || reason != tt.want || access.ErrorFields(err)[access.FieldIdentity] == nil {
				t.Fatalf("UserByID(%s) = %+v, %v (code %s); want EFORBIDDEN for %s", tt.id, u, err, access.ErrorCode(err), tt.want)
			}
			if words := errorWords(err); !strings.Contains(words, tt.words) {
				t.Errorf("words %q, want them to say %q", words, tt.words)
			}
			// The refusal is cached: a second click asks Slack nothing.
			before := len(srv.Calls("users.info"))
			if _, err := b.UserByID(t.Context(), tt.id); access.ErrorCode(err) != access.EFORBIDDEN {
				t.Errorf("second lookup: %v", err)
			}
			if n := len(srv.Calls("users.info")) - before; n != 0 {
				t.Errorf("second lookup called users.info %d times", n)
			}
			if _, ok := b.users.byIDGet(tt.id); ok {
				t.Error("a refused user is in the cache as one who may act")
			}
		})
	}
}

// TestUserByEmailSkipsRefusedApprovers checks that approvers whose
// accounts would be refused are not found, so they are never asked, and
// that the reason travels in the error for the log.
func TestUserByEmailSkipsRefusedApprovers(t *testing.T) {
	srv := identityWorkspace(t)
	b := identityBot(t, srv, false)
	for email, want := range map[string]access.IdentityReason{
		"gus@example.com":      access.ReasonGuest,
		"xena@partner.example": access.ReasonForeignTeam,
		"nell@example.com":     access.ReasonEmailUnconfirmed,
		"GONE@example.com":     access.ReasonDeactivated,
	} {
		_, err := b.UserByEmail(t.Context(), email)
		reason, _ := access.IdentityRefusal(err)
		if access.ErrorCode(err) != access.ENOTFOUND || reason != want {
			t.Errorf("UserByEmail(%s) = %v; want ENOTFOUND for %s", email, err, want)
		}
		if m := access.ErrorMessage(err); !strings.Contains(m, strings.ToLower(email)) {
			t.Errorf("UserByEmail(%s) message %q does not name the approver", email, m)
		}
	}
	if u, err := b.UserByEmail(t.Context(), "alice@example.com"); err != nil || u.SlackID != "U0ALICE" {
		t.Errorf("member: %+v %v", u, err)
	}
	// Rendering from the cache never shows a refused account as a person.
	if u := b.cachedByEmail("gus@example.com"); u.SlackID != "" {
		t.Errorf("cachedByEmail of a refused approver = %+v", u)
	}
	allowing := identityBot(t, srv, true)
	if u, err := allowing.UserByEmail(t.Context(), "gus@example.com"); err != nil || u.SlackID != "U0GUEST" {
		t.Errorf("guest approver with guests allowed: %+v %v", u, err)
	}
}

// TestOwnTeamFromAuthTest checks that the bot asks auth.test for its team
// once, refuses to judge anyone while Slack does not answer it, and that a
// team learnt at start-up spares the call.
func TestOwnTeamFromAuthTest(t *testing.T) {
	srv := identityWorkspace(t)
	b := identityBot(t, srv, false)
	srv.FailNext("auth.test", fakeslack.Fault{Status: 503})
	if _, err := b.UserByID(t.Context(), "U0ALICE"); access.ErrorCode(err) != access.EUNAVAILABLE {
		t.Fatalf("auth.test failing: %v; want EUNAVAILABLE", err)
	}
	for _, id := range []string{"U0ALICE", "U0GUEST", "U0EXT"} {
		_, _ = b.UserByID(t.Context(), id)
	}
	if n := len(srv.Calls("auth.test")); n != 2 {
		t.Errorf("auth.test called %d times; want the failed call and one more", n)
	}

	learnt := identityBot(t, srv, false)
	learnt.LearnOwnTeam(fakeslack.TeamID, "")
	before := len(srv.Calls("auth.test"))
	if _, err := learnt.UserByID(t.Context(), "U0ALICE"); err != nil {
		t.Fatal(err)
	}
	if _, err := learnt.UserByID(t.Context(), "U0EXT"); access.ErrorCode(err) != access.EFORBIDDEN {
		t.Errorf("foreign user with a learnt team: %v", err)
	}
	if n := len(srv.Calls("auth.test")) - before; n != 0 {
		t.Errorf("auth.test called %d times after LearnOwnTeam", n)
	}
}

// TestIdentityWords checks that the words come from the reason, not from
// the error's Message, so they survive wrapping and a Message-less error.
func TestIdentityWords(t *testing.T) {
	for _, reason := range []access.IdentityReason{access.ReasonForeignTeam, access.ReasonGuest, access.ReasonEmailUnconfirmed, access.ReasonDeactivated} {
		err := fmt.Errorf("workflow: submit: %w", access.RefuseIdentity(reason))
		words, ok := identityWords(err)
		if !ok || words == "" || words == msgForbidden {
			t.Errorf("%s: %q %v", reason, words, ok)
		}
		if m, known := approverIdentityMessages[reason]; !known || !strings.Contains(m, "%s") {
			t.Errorf("%s: no sentence about an approver", reason)
		}
	}
	if _, ok := identityWords(access.Errorf(access.EFORBIDDEN, "not an approver")); ok {
		t.Error("a forbidden error without an identity reason taken for one")
	}
	if words, ok := identityWords(access.RefuseIdentity("new_reason")); !ok || words != msgForbidden {
		t.Errorf("unknown reason: %q", words)
	}
}
