// Command accessbot is a Slack-first just-in-time access bot: people ask for
// temporary access to sensitive Okta groups and apps, peers approve it in
// Slack, and the bot grants it in Okta and removes it on time.
//
// main only handles signals, arguments and exit codes; Main (run.go)
// wires the adapters and is what the end-to-end tests run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the bot or command failed while running
	exitUsage   = 2 // wrong arguments
	exitInvalid = 3 // the config has problems
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Command(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `accessbot — just-in-time access to Okta groups and apps, approved in Slack.

Usage:
  accessbot run      --config FILE [--log-format json|console] [--log-level info] [--skip-checks]
  accessbot validate --config FILE
  accessbot check    --config FILE      (tokens, approvers, groups and apps, live)
  accessbot init     PATH               (write a commented example config)
  accessbot demo     [--verbose]        (every story against local stand-ins; no credentials)
  accessbot audit export --config FILE [--since T] [--until T] [--user EMAIL] [--resource ID] [--format jsonl|csv]
  accessbot report [--config FILE] [--since 30d] [--resource ID] [--format table|csv|json]  (how much granted access was used)
  accessbot store copy --from STORE --to STORE  (bbolt file ⇄ postgres:// URL)
  accessbot version

The config path may also come from ACCESSBOT_CONFIG.
`

// Command runs the subcommand named by args[0] and returns the exit code.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runCommand(ctx, args[1:], stderr, getenv)
	case "validate":
		return validateCommand(args[1:], stdout, stderr, getenv)
	case "check":
		return checkCommand(ctx, args[1:], stdout, stderr, getenv)
	case "init":
		return initCommand(args[1:], stdout, stderr)
	case "demo":
		return demoCommand(ctx, args[1:], stdout, stderr, getenv)
	case "audit":
		return auditCommand(ctx, args[1:], stdout, stderr, getenv)
	case "store":
		return storeCommand(ctx, args[1:], stdout, stderr, getenv)
	case "report":
		return reportCommand(ctx, args[1:], stdout, stderr, getenv, time.Now)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "accessbot", Version())
		return exitOK
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "accessbot: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// flagSet returns a FlagSet that reports errors to stderr and the usage text.
func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

// configPath returns --config, else ACCESSBOT_CONFIG, else an error.
func configPath(flagValue string, getenv func(string) string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := getenv("ACCESSBOT_CONFIG"); p != "" {
		return p, nil
	}
	return "", errors.New("no config file: pass --config FILE or set ACCESSBOT_CONFIG")
}
