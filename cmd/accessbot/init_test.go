package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/accessbot/accessbot/config"
)

// exampleEnvVars is what a user exports before validating the example config.
func exampleEnvVars(k string) string {
	return map[string]string{
		"SLACK_APP_TOKEN":     "xapp-1-A0123456789-1234567890123-abcdef",
		"SLACK_BOT_TOKEN":     "xoxb-1234567890-1234567890123-abcdefABCDEF",
		"OKTA_ORG_URL":        "https://acme.okta.com",
		"OKTA_API_TOKEN":      "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd",
		"PAGERDUTY_API_TOKEN": "u+AbCdEfGhIjKlMnOpQr",
	}[k]
}

// runAccessbot runs an accessbot subcommand in process.
func runAccessbot(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	code = Command(context.Background(), args, &out, &errb, getenv)
	return code, out.String(), errb.String()
}

func TestInitWritesAConfigThatValidates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.yaml")
	code, out, stderr := runAccessbot(t, nil, "init", path)
	if code != exitOK {
		t.Fatalf("init: code %d, stderr %s", code, stderr)
	}
	for _, want := range []string{path, "accessbot validate --config " + path, "accessbot check --config " + path, "SLACK_BOT_TOKEN"} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %q:\n%s", want, out)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, config.Example()) {
		t.Error("init did not write config.Example()")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// 0644 less the umask: readable by its owner, writable by no one else, never executable.
	if perm := fi.Mode().Perm(); perm&0o600 != 0o600 || perm&0o133 != 0 {
		t.Errorf("mode %v, want 0644 (less the umask)", perm)
	}

	code, out, stderr = runAccessbot(t, exampleEnvVars, "validate", "--config", path)
	if code != exitOK || !strings.HasPrefix(out, "config OK") {
		t.Fatalf("validate of init's file: code %d\n%s%s", code, out, stderr)
	}
	// Without the variables it names them, so the user knows what to export.
	code, _, stderr = runAccessbot(t, nil, "validate", "--config", path)
	if code != exitInvalid || !strings.Contains(stderr, "SLACK_BOT_TOKEN is not set") {
		t.Fatalf("validate without env: code %d\n%s", code, stderr)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accessbot.yaml")
	if err := os.WriteFile(path, []byte("mine: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runAccessbot(t, nil, "init", path)
	if code != exitFailed {
		t.Fatalf("init over a file: code %d", code)
	}
	if !strings.Contains(stderr, path+" already exists; not overwriting it") || out != "" {
		t.Errorf("init over a file: stdout %q stderr %q", out, stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != "mine: true\n" {
		t.Errorf("the file was changed: %q", got)
	}
}

func TestInitToStdout(t *testing.T) {
	code, out, _ := runAccessbot(t, nil, "init", "-")
	if code != exitOK || out != string(config.Example()) {
		t.Fatalf("init -: code %d, %d bytes", code, len(out))
	}
}

func TestInitUsage(t *testing.T) {
	for _, args := range [][]string{{"init"}, {"init", "a.yaml", "b.yaml"}} {
		if code, _, stderr := runAccessbot(t, nil, args...); code != exitUsage || !strings.Contains(stderr, "accessbot init accessbot.yaml") {
			t.Errorf("%v: code %d, stderr %q", args, code, stderr)
		}
	}
	missingDir := filepath.Join(t.TempDir(), "no", "such", "dir", "a.yaml")
	if code, _, stderr := runAccessbot(t, nil, "init", missingDir); code != exitFailed || stderr == "" {
		t.Errorf("init into a missing directory: code %d, stderr %q", code, stderr)
	}
}

// The Kubernetes example runs one replica with Recreate (bbolt has one
// writer), and its ConfigMap holds a config that validates once the
// Secret's variables are set.
func TestKubernetesExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	kinds := map[string]map[string]any{}
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if doc != nil {
			kinds[doc["kind"].(string)] = doc
		}
	}
	for _, k := range []string{"ConfigMap", "PersistentVolumeClaim", "Deployment", "Service"} {
		if kinds[k] == nil {
			t.Errorf("no %s", k)
		}
	}
	text := kinds["ConfigMap"]["data"].(map[string]any)["accessbot.yaml"].(string)
	cfg, err := config.Parse([]byte(text), exampleEnvVars)
	if err != nil {
		t.Fatalf("the ConfigMap's config: %v", err)
	}
	if cfg.HTTP.Listen != "0.0.0.0:9090" || !strings.HasPrefix(cfg.Store.Path, "/data/") {
		t.Errorf("listen %q, store %q: want the probes' port on all addresses and the store on the volume", cfg.HTTP.Listen, cfg.Store.Path)
	}

	get := func(v any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				v = v.(map[string]any)[k]
			case int:
				v = v.([]any)[k]
			}
		}
		return v
	}
	dep := kinds["Deployment"]
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"spec", "replicas"}, 1},
		{[]any{"spec", "strategy", "type"}, "Recreate"},
		{[]any{"spec", "template", "spec", "securityContext", "runAsNonRoot"}, true},
		{[]any{"spec", "template", "spec", "containers", 0, "securityContext", "readOnlyRootFilesystem"}, true},
		{[]any{"spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet", "path"}, "/healthz"},
		{[]any{"spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "path"}, "/readyz"},
		{[]any{"spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"}, 9090},
		{[]any{"spec", "template", "spec", "containers", 0, "envFrom", 0, "secretRef", "name"}, "accessbot-tokens"},
		{[]any{"spec", "template", "spec", "containers", 0, "volumeMounts", 1, "mountPath"}, "/data"},
		{[]any{"spec", "template", "spec", "volumes", 1, "persistentVolumeClaim", "claimName"}, get(kinds["PersistentVolumeClaim"], "metadata", "name")},
		{[]any{"spec", "template", "spec", "volumes", 0, "configMap", "name"}, get(kinds["ConfigMap"], "metadata", "name")},
	}
	for _, c := range checks {
		if got := get(dep, c.path...); got != c.want {
			t.Errorf("Deployment %v = %v, want %v", c.path, got, c.want)
		}
	}
}
