package fakeslack_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestUsersCarryIdentity checks that users.info and users.lookupByEmail
// describe a user the way Slack does for identity checks, as slack-go
// decodes them: home team, Grid membership, guest flags, a confirmed email,
// deactivation.
func TestUsersCarryIdentity(t *testing.T) {
	srv := newServer(t)
	srv.AddUser(fakeslack.User{ID: "U0GUEST", Name: "gus", Email: "gus@example.com", IsRestricted: true})
	srv.AddUser(fakeslack.User{ID: "U0SINGLE", Name: "sid", Email: "sid@example.com", IsUltraRestricted: true})
	srv.AddUser(fakeslack.User{ID: "U0EXT", Name: "xena", Email: "xena@other.example", TeamID: "T0OTHER"})
	srv.AddUser(fakeslack.User{ID: "U0NEW", Name: "nell", Email: "nell@example.com", EmailUnconfirmed: true})
	srv.AddUser(fakeslack.User{ID: "U0GONE", Name: "gone", Email: "gone@example.com", Deleted: true})
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))

	info := func(id string) *slack.User {
		t.Helper()
		u, err := api.GetUserInfo(id)
		if err != nil {
			t.Fatalf("users.info %s: %v", id, err)
		}
		return u
	}
	alice := info("U0ALICE")
	if alice.TeamID != fakeslack.TeamID || !alice.IsEmailConfirmed || alice.IsRestricted || alice.IsUltraRestricted ||
		alice.Deleted || alice.IsBot || alice.Enterprise.EnterpriseID != "" {
		t.Errorf("member: %+v", alice)
	}
	if g := info("U0GUEST"); !g.IsRestricted || g.IsUltraRestricted {
		t.Errorf("multi-channel guest: restricted %v ultra %v", g.IsRestricted, g.IsUltraRestricted)
	}
	// Slack marks a single-channel guest as both.
	if g := info("U0SINGLE"); !g.IsRestricted || !g.IsUltraRestricted {
		t.Errorf("single-channel guest: restricted %v ultra %v", g.IsRestricted, g.IsUltraRestricted)
	}
	if x := info("U0EXT"); x.TeamID != "T0OTHER" {
		t.Errorf("Slack Connect user's team %q", x.TeamID)
	}
	if n := info("U0NEW"); n.IsEmailConfirmed {
		t.Error("unconfirmed email shown as confirmed")
	}
	if g := info("U0GONE"); !g.Deleted {
		t.Error("deactivated account not deleted")
	}
	if b := info(fakeslack.BotUserID); !b.IsBot || b.IsEmailConfirmed {
		t.Errorf("bot user: is_bot %v is_email_confirmed %v", b.IsBot, b.IsEmailConfirmed)
	}
	if u, err := api.GetUserByEmail("gus@example.com"); err != nil || !u.IsRestricted {
		t.Errorf("lookupByEmail of a guest: %+v %v", u, err)
	}
}

// TestEnterpriseGrid checks a workspace in an Enterprise Grid org: auth.test
// names the enterprise, its members are enterprise users, members of
// another workspace of the org and of another org say so, and interaction
// payloads carry the enterprise and the clicker's home team.
func TestEnterpriseGrid(t *testing.T) {
	srv := newServer(t)
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	if auth, err := api.AuthTest(); err != nil || auth.EnterpriseID != "" || auth.TeamID != fakeslack.TeamID {
		t.Fatalf("auth.test outside Grid: %+v %v", auth, err)
	}
	srv.SetEnterprise("E0FAKE", "Fake Holdings")
	srv.AddUser(fakeslack.User{ID: "W0SIS", Name: "sis", Email: "sis@example.com", TeamID: "T0SISTER", EnterpriseID: "E0FAKE"})
	srv.AddUser(fakeslack.User{ID: "W0RIVAL", Name: "rival", Email: "rival@rival.example", TeamID: "T0RIVAL", EnterpriseID: "E0RIVAL"})

	auth, err := api.AuthTest()
	if err != nil || auth.EnterpriseID != "E0FAKE" || auth.TeamID != fakeslack.TeamID {
		t.Fatalf("auth.test on Grid: %+v %v", auth, err)
	}
	alice, err := api.GetUserInfo("U0ALICE")
	if err != nil || alice.Enterprise.EnterpriseID != "E0FAKE" || !slices.Equal(alice.Enterprise.Teams, []string{fakeslack.TeamID}) {
		t.Errorf("member on Grid: %+v %v", alice.Enterprise, err)
	}
	sis, err := api.GetUserInfo("W0SIS")
	if err != nil || sis.TeamID != "T0SISTER" || sis.Enterprise.EnterpriseID != "E0FAKE" || !slices.Equal(sis.Enterprise.Teams, []string{"T0SISTER"}) {
		t.Errorf("member of a sister workspace: team %q %+v %v", sis.TeamID, sis.Enterprise, err)
	}
	rival, err := api.GetUserInfo("W0RIVAL")
	if err != nil || rival.Enterprise.EnterpriseID != "E0RIVAL" {
		t.Errorf("member of another org: %+v %v", rival.Enterprise, err)
	}

	got := make(chan slack.InteractionCallback, 1)
	slash := make(chan slack.SlashCommand, 1)
	startBot(t, srv, func(b *bot, evt socketmode.Event) {
		switch data := evt.Data.(type) {
		case slack.InteractionCallback:
			got <- data
		case slack.SlashCommand:
			slash <- data
		}
		b.sm.Ack(*evt.Request)
	})
	if err := srv.WaitConnected(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SlashCommand(testCtx(t), "W0SIS", "/access", "list", "C1"); err != nil {
		t.Fatal(err)
	}
	if cmd := <-slash; cmd.EnterpriseID != "E0FAKE" || cmd.TeamID != fakeslack.TeamID || cmd.UserID != "W0SIS" {
		t.Errorf("slash command on Grid: enterprise %q team %q user %q", cmd.EnterpriseID, cmd.TeamID, cmd.UserID)
	}
	_, ts, err := api.PostMessage("C1", slack.MsgOptionBlocks(slack.NewActionBlock("acts",
		slack.NewButtonBlockElement("go", "v", slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := srv.MessageAt("C1", ts)
	if _, err := srv.ClickButton(testCtx(t), "W0SIS", msg, "go"); err != nil {
		t.Fatal(err)
	}
	cb := <-got
	if cb.User.TeamID != "T0SISTER" || cb.Team.ID != fakeslack.TeamID || cb.Enterprise.ID != "E0FAKE" {
		raw, _ := json.Marshal(cb)
		t.Errorf("block_actions on Grid: user team %q, team %q, enterprise %q\n%s", cb.User.TeamID, cb.Team.ID, cb.Enterprise.ID, raw)
	}
}
