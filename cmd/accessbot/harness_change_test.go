package main

import (
	"strings"
	"testing"

	"github.com/accessbot/accessbot/config"
)

// restartWith stops the bot and starts it again on the same store with the
// sandbox config edited by edits (applied in order to the base config
// text): what an admin does who edits the file and restarts the service.
func (e *e2e) restartWith(edits ...func(string) string) {
	e.t.Helper()
	e.stop()
	e.cfg = e.config(edits...)
	e.start()
}

// config parses the sandbox config with edits applied.
func (e *e2e) config(edits ...func(string) string) *config.Config {
	e.t.Helper()
	text := e.sb.ConfigYAML("")
	for _, f := range edits {
		text = f(text)
	}
	cfg, err := config.Parse([]byte(text), func(string) string { return "" })
	if err != nil {
		e.t.Fatalf("edited sandbox config: %v\n%s", err, text)
	}
	return cfg
}

// repoint returns a config edit that points the resource on Okta group
// from to group to instead (the sandbox's group ids each appear once).
func repoint(t *testing.T, from, to string) func(string) string {
	return func(text string) string {
		t.Helper()
		if strings.Count(text, "okta_group: "+from+"\n") != 1 {
			t.Fatalf("config has no single resource on group %s", from)
		}
		return strings.Replace(text, "okta_group: "+from+"\n", "okta_group: "+to+"\n", 1)
	}
}

// dropResource returns a config edit that deletes the resource with id
// from the resources list.
func dropResource(t *testing.T, id string) func(string) string {
	return func(text string) string {
		t.Helper()
		lines := strings.SplitAfter(text, "\n")
		var out []string
		dropping, found := false, false
		for _, l := range lines {
			switch {
			case l == "  - id: "+id+"\n":
				dropping, found = true, true
				continue
			case dropping && (strings.HasPrefix(l, "  - ") || (l != "" && l != "\n" && !strings.HasPrefix(l, "    "))):
				dropping = false
			}
			if !dropping {
				out = append(out, l)
			}
		}
		if !found {
			t.Fatalf("config has no resource %s", id)
		}
		return strings.Join(out, "")
	}
}
