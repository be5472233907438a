package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/accessbot/accessbot/config"
)

// initFileMode is the mode of the config `accessbot init` writes. 0644, not
// 0600: the file holds no secret (tokens are ${VAR} references, read from
// the environment), and it must stay readable by the container's non-root
// user when it is bind-mounted into the image. Keep tokens out of it.
const initFileMode fs.FileMode = 0o644

// initCommand is `accessbot init PATH`: it writes the commented example
// config to PATH ("-" for stdout), and never overwrites a file.
func initCommand(args []string, stdout, stderr io.Writer) int {
	fset := flagSet("init", stderr)
	if err := fset.Parse(args); err != nil {
		return exitUsage
	}
	if fset.NArg() != 1 {
		fmt.Fprintln(stderr, "accessbot init: give the path to write the example config to, e.g. accessbot init accessbot.yaml")
		return exitUsage
	}
	path := fset.Arg(0)
	if path == "-" {
		if _, err := stdout.Write(config.Example()); err != nil {
			fmt.Fprintln(stderr, "accessbot init:", err)
			return exitFailed
		}
		return exitOK
	}
	if err := writeNew(path, config.Example(), initFileMode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			fmt.Fprintf(stderr, "accessbot init: %s already exists; not overwriting it. Choose another path, or move the file away first.\n", path)
		} else {
			fmt.Fprintln(stderr, "accessbot init:", err)
		}
		return exitFailed
	}
	fmt.Fprintf(stdout, `Wrote the example config to %[1]s. Next:
  1. Edit it: your Okta org, the groups and apps people may ask for, their approvers
     (every key is explained in a comment).
  2. Put the tokens in the environment, never in the file:
     SLACK_APP_TOKEN, SLACK_BOT_TOKEN, OKTA_ORG_URL, OKTA_API_TOKEN, PAGERDUTY_API_TOKEN
  3. accessbot validate --config %[1]s   (the file is well formed)
  4. accessbot check --config %[1]s      (the tokens, approvers, groups and apps work)
  5. accessbot run --config %[1]s
`, path)
	return exitOK
}

// writeNew creates path with data, failing with fs.ErrExist when it exists.
// A failed write leaves no file behind.
func writeNew(path string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
