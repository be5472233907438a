package fakeslack_test

import (
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestUsersList pages through users.list with slack-go: every user once,
// as users.info describes them, whatever the page size.
func TestUsersList(t *testing.T) {
	srv := newServer(t)
	for i := range 5 {
		srv.AddUser(fakeslack.User{ID: fmt.Sprintf("U0P%d", i), Name: fmt.Sprintf("p%d", i), RealName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("p%d@example.com", i)})
	}
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	users, err := api.GetUsers(slack.GetUsersOptionLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]slack.User{}
	for _, u := range users {
		if _, twice := seen[u.ID]; twice {
			t.Fatalf("users.list returned %s twice", u.ID)
		}
		seen[u.ID] = u
	}
	want := 5 + 3 // the five, and newServer's Alice, Bob and bot user
	if len(seen) != want {
		t.Fatalf("users.list returned %d users, want %d", len(seen), want)
	}
	if u := seen["U0P3"]; u.Name != "p3" || u.Profile.DisplayName != "p3" || u.RealName != "Person 3" || u.Profile.Email != "p3@example.com" {
		t.Errorf("U0P3 = %+v", u)
	}
	if !seen[fakeslack.BotUserID].IsBot {
		t.Error("the bot user is not marked as a bot")
	}
}
