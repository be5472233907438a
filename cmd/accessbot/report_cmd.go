package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accessbot/accessbot/access"
	"github.com/accessbot/accessbot/audit"
	"github.com/accessbot/accessbot/bot"
	"github.com/accessbot/accessbot/config"
)

const reportUsage = `Usage:
  accessbot report [--config FILE] [--since 30d] [--resource ID] [--format table|csv|json]

How much of the access accessbot granted was used, from the audit trail:
per resource, the grants that ended since --since (a time or how long ago;
default 30d), the share never used, the median time to the first use, the
median share of the time held that had passed at the last use, and a hint
when a shorter duration would do. The last row ("*") is the whole org: its
never-used share is the share of granted privileged access never used.

Like audit export it works while accessbot runs (from the audit mirror
when the bbolt store is locked; PostgreSQL is read directly).
`

// reportFormats are the output formats of accessbot report.
var reportFormats = []string{"table", "csv", "json"}

// reportCommand is `accessbot report`.
func reportCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	flags := flagSet("report", stderr)
	flags.Usage = func() { fmt.Fprint(stderr, reportUsage) }
	path := flags.String("config", "", "config file")
	since := flags.String("since", "30d", "grants that ended at or after this time (or this long ago)")
	resource := flags.String("resource", "", "only this resource id")
	format := flags.String("format", "table", "output format: table, csv or json")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "accessbot: report takes no arguments, got %q\n\n%s", flags.Args(), reportUsage)
		return exitUsage
	}
	from, err := audit.ParseTime(*since, now())
	if err != nil {
		fmt.Fprintf(stderr, "accessbot: --since: %s\n", access.ErrorMessage(err))
		return exitUsage
	}
	switch *format {
	case "table", "csv", "json":
	default:
		fmt.Fprintf(stderr, "accessbot: unknown --format %q: use %s\n", *format, strings.Join(reportFormats, ", "))
		return exitUsage
	}
	cfg, code := loadConfig(*path, stderr, getenv)
	if cfg == nil {
		return code
	}
	id := strings.TrimSpace(*resource)
	events, err := readAuditEvents(ctx, cfg, access.EventFilter{Since: from, ResourceID: id}, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitFailed
	}
	rows := access.ReportUtilization(events, offeredDurations(cfg))
	if err := writeReport(stdout, rows, *format); err != nil {
		fmt.Fprintln(stderr, "accessbot:", err)
		return exitFailed
	}
	return exitOK
}

// offeredDurations are each configured resource's durations, for hints.
func offeredDurations(cfg *config.Config) map[string][]time.Duration {
	out := map[string][]time.Duration{}
	for _, r := range cfg.Resources() {
		out[r.ID] = r.Durations
	}
	return out
}

// reportRow is one row of `report --format json`.
type reportRow struct {
	Resource       string  `json:"resource"`
	Grants         int     `json:"grants"`
	NeverUsed      int     `json:"never_used"`
	NeverUsedShare float64 `json:"never_used_share"`
	// MedianFirstUse is in FormatDuration's notation ("25m"), "" when no grant was used.
	MedianFirstUse        string  `json:"median_time_to_first_use"`
	MedianFirstUseSeconds float64 `json:"median_time_to_first_use_seconds"`
	MedianLastUseShare    float64 `json:"median_last_use_share"`
	Hint                  string  `json:"hint,omitempty"`
	Offer                 string  `json:"offer,omitempty"` // the duration the hint suggests
}

func toReportRow(u access.Utilization) reportRow {
	r := reportRow{Resource: u.Resource, Grants: u.Grants, NeverUsed: u.NeverUsed, NeverUsedShare: u.NeverUsedShare,
		MedianFirstUseSeconds: u.MedianFirstUse.Seconds(), MedianLastUseShare: u.MedianLastUseShare}
	if u.MedianFirstUse > 0 {
		r.MedianFirstUse = access.FormatDuration(u.MedianFirstUse)
	}
	if u.Hint != nil {
		r.Hint, r.Offer = bot.HintText(u.Resource, *u.Hint), access.FormatDuration(u.Hint.Offer)
	}
	return r
}

func writeReport(w io.Writer, rows []access.Utilization, format string) error {
	out := make([]reportRow, 0, len(rows))
	for _, u := range rows {
		out = append(out, toReportRow(u))
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"resource", "grants", "never_used", "never_used_share", "median_time_to_first_use", "median_last_use_share", "hint"})
		for _, r := range out {
			_ = cw.Write([]string{r.Resource, strconv.Itoa(r.Grants), strconv.Itoa(r.NeverUsed), strconv.FormatFloat(r.NeverUsedShare, 'f', 3, 64),
				r.MedianFirstUse, strconv.FormatFloat(r.MedianLastUseShare, 'f', 3, 64), r.Hint})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tGRANTS\tNEVER USED\tFIRST USE (MEDIAN)\tLAST USE, SHARE OF TIME HELD (MEDIAN)")
	var hints []string
	for _, r := range out {
		first := r.MedianFirstUse
		if first == "" {
			first = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d (%s)\t%s\t%s\n", r.Resource, r.Grants, r.NeverUsed, bot.Percent(r.NeverUsedShare), first, bot.Percent(r.MedianLastUseShare))
		if r.Hint != "" {
			hints = append(hints, r.Hint)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if org := out[len(out)-1]; org.Grants > 0 {
		fmt.Fprintf(w, "\n%s of the access granted was never used (%d of %d grants).\n", bot.Percent(org.NeverUsedShare), org.NeverUsed, org.Grants)
	}
	for _, h := range hints {
		fmt.Fprintln(w, "hint:", h)
	}
	return nil
}
