package fakeslack_test

import (
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/accessbot/accessbot/fake/fakeslack"
)

// TestUsersListPages checks users.list through slack-go's cursor paging:
// every member once, over several pages.
func TestUsersListPages(t *testing.T) {
	srv := newServer(t)
	for i := range 250 {
		srv.AddUser(fakeslack.User{ID: fmt.Sprintf("U1%04d", i), Name: fmt.Sprintf("user%d", i)})
	}
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	p := api.GetUsersPaginated(slack.GetUsersOptionLimit(100))
	seen, pages := map[string]bool{}, 0
	var err error
	for err == nil {
		if p, err = p.Next(testCtx(t)); err == nil {
			pages++
			for _, u := range p.Users {
				if seen[u.ID] {
					t.Fatalf("%s listed twice", u.ID)
				}
				seen[u.ID] = true
			}
		}
	}
	if err = p.Failure(err); err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		if id := fmt.Sprintf("U1%04d", i); !seen[id] {
			t.Fatalf("%s not listed", id)
		}
	}
	if !seen["U0ALICE"] || pages != 3 {
		t.Fatalf("listed %d users in %d pages, alice %v", len(seen), pages, seen["U0ALICE"])
	}
}
