package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/accessbot/accessbot/config"
)

// validateCommand checks a config file and lists every problem with its key path.
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
