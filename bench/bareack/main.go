// Command bareack is the yardstick of the bench's ack row: a Slack Socket
// Mode client built on slack-go, as accessbot's is, that acknowledges every
// envelope the moment slack-go hands it over and does nothing else. The
// bench sends it the same burst it sends accessbot, in the same run, and
// divides accessbot's ack latency by this one's.
//
// It reads SLACK_APP_TOKEN and SLACK_API_URL and runs until SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	api := slack.New("", slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")), slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	client := socketmode.New(api)
	go func() {
		for evt := range client.Events {
			if evt.Request != nil {
				if err := client.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil && ctx.Err() == nil {
					fmt.Fprintln(os.Stderr, "bareack: ack:", err)
				}
			}
		}
	}()
	// RunContext returns only with an error, the context's own at a stop.
	if err := client.RunContext(ctx); ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "bareack:", err)
		os.Exit(1)
	}
}
