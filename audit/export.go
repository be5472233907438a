package audit

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/accessbot/accessbot/access"
)

// Export formats.
const (
	FormatJSONL = "jsonl" // one access.Event JSON object a line, as in the mirror
	FormatCSV   = "csv"   // a header row, then one row an event; see Export
)

// Formats lists the formats Export accepts.
var Formats = []string{FormatJSONL, FormatCSV}

// csvHeader names the CSV columns, in order.
var csvHeader = []string{
	"seq", "time", "type",
	"actor_slack_id", "actor_email",
	"subject_slack_id", "subject_email",
	"resource_id", "request_id", "details",
}

// Export writes events to w in format, FormatJSONL or FormatCSV; the caller
// selects the events (see access.EventFilter). In CSV, time is RFC 3339 with
// nanoseconds in UTC, details are one JSON object with its keys sorted ("{}"
// when there are none), and a cell that a spreadsheet would take for a
// formula (starting with =, +, -, @, tab or carriage return) is prefixed with
// a single quote. An unknown format is an
// access.EINVALID error naming the allowed ones, and nothing is written.
func Export(w io.Writer, events []access.Event, format string) error {
	switch format {
	case FormatJSONL:
		return exportJSONL(w, events)
	case FormatCSV:
		return exportCSV(w, events)
	}
	return &access.Error{Code: access.EINVALID, Field: "format",
		Message: fmt.Sprintf("Unknown export format %q; use one of: %s.", format, strings.Join(Formats, ", "))}
}

func exportJSONL(w io.Writer, events []access.Event) error {
	bw := bufio.NewWriter(w)
	var line []byte
	for _, e := range events {
		var err error
		if line, err = appendLine(line[:0], e); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	return nil
}

func exportCSV(w io.Writer, events []access.Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	for _, e := range events {
		row := []string{
			strconv.FormatUint(e.Seq, 10),
			e.Time.UTC().Format(time.RFC3339Nano),
			string(e.Type),
			e.Actor.SlackID, e.Actor.Email,
			e.Subject.SlackID, e.Subject.Email,
			e.ResourceID, e.RequestID,
			"",
		}
		details, err := formatDetails(e.Details)
		if err != nil {
			return fmt.Errorf("audit: export: event %d: %w", e.Seq, err)
		}
		row[len(row)-1] = details
		for i := range row {
			row[i] = defuseCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	return nil
}

// formatDetails renders details as one JSON object. A reason is free text, so
// only an encoding with quoting keeps a reason such as "x; dry_run=true" from
// reading as a second detail; encoding/json sorts map keys, so equal events
// give equal cells. HTML escaping is off because the cell is read by people in
// a spreadsheet, not embedded in a page.
func formatDetails(details map[string]string) (string, error) {
	if details == nil {
		details = map[string]string{} // "{}", not "null": the column is always an object
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(details); err != nil {
		return "", fmt.Errorf("encode details: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// defuseCell keeps a spreadsheet from running a cell as a formula (CSV
// injection): reasons and names are typed by users.
func defuseCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
