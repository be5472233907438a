package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/accessbot/accessbot/config"
)

// validateCommand checks a config file and lists every problem with its key
// path. When the config's store exists and no running bot holds it, it also
// warns of active grants that a removed or re-pointed resource still has;
// warnings do not change the exit code.
func validateCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flagSet("validate", stderr)
	path := fs.String("config", "", "config file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, code := loadConfig(*path, stderr, getenv)
	if cfg == nil {
		return code
	}
	fmt.Fprintln(stdout, cfg.Summary())
	// Reading a local file takes milliseconds; no signal needs to cut it short.
	warnings, err := readStrandedGrants(context.Background(), cfg.Store.Path, cfg.Resources())
	if err != nil {
		warnings = []storeWarning{{Path: "store.path", Message: fmt.Sprintf(
			"could not read the store to count the active grants of removed or re-pointed resources: %v", err)}}
	}
	if len(warnings) > 0 {
		fmt.Fprintf(stdout, "%s: %s about the store %s:\n", *path, nounCount(len(warnings), "warning"), cfg.Store.Path)
		for _, w := range warnings {
			fmt.Fprintf(stdout, "  %s\n", w)
		}
	}
	return exitOK
}

// loadConfig reads the config named by --config (or ACCESSBOT_CONFIG). On
// failure it lists every problem with its key path on stderr and returns a
// nil config with the exit code to use.
func loadConfig(flagValue string, stderr io.Writer, getenv func(string) string) (*config.Config, int) {
	p, err := configPath(flagValue, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return nil, exitUsage
	}
	cfg, err := config.Load(p, getenv)
	var problems *config.Problems
	switch {
	case errors.As(err, &problems):
		fmt.Fprintf(stderr, "%s: %d problem(s):\n", p, len(*problems))
		for _, pr := range *problems {
			fmt.Fprintf(stderr, "  %s\n", pr)
		}
		return nil, exitInvalid
	case err != nil:
		fmt.Fprintln(stderr, "accessbot:", err)
		return nil, exitInvalid
	}
	return cfg, exitOK
}
