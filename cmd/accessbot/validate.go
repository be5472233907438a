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
	p, err := configPath(*path, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitUsage
	}
	cfg, err := config.Load(p, getenv)
	if err != nil {
		var problems *config.Problems
		if errors.As(err, &problems) {
			fmt.Fprintf(stderr, "%s: %d problem(s):\n", p, len(*problems))
			for _, pr := range *problems {
				fmt.Fprintf(stderr, "  %s\n", pr)
			}
			return exitInvalid
		}
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitInvalid
	}
	fmt.Fprintln(stdout, cfg.Summary())
	return exitOK
}
