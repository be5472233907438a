package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/accessbot/accessbot/config"
)

// TestKubernetesReplicasExample checks the two-replica example: its config
// is valid and uses PostgreSQL from the Secret's DATABASE_URL; the
// Deployment runs two replicas with a rolling update that never takes one
// away first, reads both Secrets, and a PodDisruptionBudget keeps one up.
func TestKubernetesReplicasExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes-replicas.yaml"))
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
	for _, k := range []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service"} {
		if kinds[k] == nil {
			t.Fatalf("no %s", k)
		}
	}
	if kinds["PersistentVolumeClaim"] != nil {
		t.Error("a PersistentVolumeClaim: replicas keep nothing on a volume")
	}
	const dbURL = "postgres://accessbot:secret@db.example.com:5432/accessbot?sslmode=verify-full"
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return dbURL
		}
		return exampleEnvVars(k)
	}
	text := kinds["ConfigMap"]["data"].(map[string]any)["accessbot.yaml"].(string)
	cfg, err := config.Parse([]byte(text), env)
	if err != nil {
		t.Fatalf("the ConfigMap's config: %v", err)
	}
	if cfg.Store.URL != dbURL || cfg.Store.Path != "" || cfg.HTTP.Listen != "0.0.0.0:9090" {
		t.Errorf("store url %q path %q, listen %q: want PostgreSQL from DATABASE_URL and the probes' port on all addresses",
			cfg.Store.URL, cfg.Store.Path, cfg.HTTP.Listen)
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
	dep, pdb := kinds["Deployment"], kinds["PodDisruptionBudget"]
	container := []any{"spec", "template", "spec", "containers", 0}
	checks := []struct {
		doc  map[string]any
		path []any
		want any
	}{
		{dep, []any{"spec", "replicas"}, 2},
		{dep, []any{"spec", "strategy", "type"}, "RollingUpdate"},
		{dep, []any{"spec", "strategy", "rollingUpdate", "maxUnavailable"}, 0},
		{dep, append(container, "envFrom", 0, "secretRef", "name"), "accessbot-tokens"},
		{dep, append(container, "envFrom", 1, "secretRef", "name"), "accessbot-database"},
		{dep, append(container, "readinessProbe", "httpGet", "path"), "/readyz"},
		{dep, append(container, "securityContext", "readOnlyRootFilesystem"), true},
		{dep, []any{"spec", "template", "spec", "volumes", 0, "configMap", "name"}, get(kinds["ConfigMap"], "metadata", "name")},
		{pdb, []any{"spec", "minAvailable"}, 1},
	}
	for _, c := range checks {
		if got := get(c.doc, c.path...); got != c.want {
			t.Errorf("%s %v = %v, want %v", c.doc["kind"], c.path, got, c.want)
		}
	}
	if sel, pods := get(pdb, "spec", "selector", "matchLabels"), get(dep, "spec", "template", "metadata", "labels"); !reflect.DeepEqual(sel, pods) {
		t.Errorf("the PodDisruptionBudget selects %v, the pods are labelled %v", sel, pods)
	}
}
