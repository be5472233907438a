package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestStoreURL(t *testing.T) {
	env := func(k string) string {
		if k == "PGPASSWORD" {
			return "s3cret"
		}
		return ""
	}
	cfg := parseValid(t, configWith(map[string]string{"store": "  url: postgres://accessbot:${PGPASSWORD}@db:5432/accessbot\n"}), env)
	if cfg.Store.URL != "postgres://accessbot:s3cret@db:5432/accessbot" || cfg.Store.Path != "" {
		t.Errorf("store = path %q, url %q; want the expanded URL and no path", cfg.Store.Path, cfg.Store.URL)
	}
	if cfg.Audit.Path != defaultAuditFile {
		t.Errorf("audit path = %q, want %q", cfg.Audit.Path, defaultAuditFile)
	}
	for _, printed := range []string{fmt.Sprint(cfg.Store), fmt.Sprintf("%#v", cfg.Store), fmt.Sprintf("%+v", *cfg)} {
		if strings.Contains(printed, "s3cret") {
			t.Errorf("printed config shows the database password: %s", printed)
		}
	}
}

func TestEmptyStoreURLMeansTheFile(t *testing.T) {
	cfg := parseValid(t, configWith(map[string]string{"store": "  path: a.db\n  url: \"\"\n"}), func(string) string { return "" })
	if cfg.Store.Path != "a.db" || cfg.Store.URL != "" {
		t.Errorf("store = path %q, url %q; want the file", cfg.Store.Path, cfg.Store.URL)
	}
}

func TestStoreURLRules(t *testing.T) {
	const example = "postgres://accessbot:${PGPASSWORD}@db.example.com:5432/accessbot"
	for _, tc := range []struct {
		name, store string
		want        []Problem
	}{
		{"path and url", "  path: a.db\n  url: postgres://db/a\n",
			[]Problem{{"store.url", "set either store.path (a bbolt file) or store.url (a PostgreSQL database), not both"}}},
		{"blank url", "  url: \" \"\n",
			[]Problem{{"store.url", "is not a postgres:// URL, such as " + example}}},
		{"not postgres", "  url: mysql://u:hunter2@db/a\n",
			[]Problem{{"store.url", "is not a postgres:// URL, such as " + example}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(configWith(map[string]string{"store": tc.store}), func(string) string { return "" })
			checkProblems(t, err, tc.want)
		})
	}
}
