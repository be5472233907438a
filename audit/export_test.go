package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// exportEvents are three events on two resources; the middle one carries
// values a spreadsheet would run as formulas.
func exportEvents() []access.Event {
	paris := time.FixedZone("CET", 3600)
	return []access.Event{
		{Seq: 1, Time: t0, Type: access.EventRequested, Actor: alice, Subject: alice,
			ResourceID: "aws-prod", RequestID: "r1", Details: map[string]string{"reason": "INC-1", "duration": "1h"}},
		{Seq: 2, Time: t0.Add(time.Minute).In(paris), Type: access.EventDenied, Actor: bob, Subject: alice,
			ResourceID: "aws-prod", RequestID: "r1",
			Details: map[string]string{"reason": "=HYPERLINK(\"http://evil\")"}},
		{Seq: 3, Time: t0.Add(2 * time.Minute), Type: access.EventRequested, Actor: bob, Subject: bob,
			ResourceID: "github-admin", RequestID: "r2"},
	}
}

// filter is what a caller does before Export.
func filter(events []access.Event, f access.EventFilter) []access.Event {
	var out []access.Event
	for _, e := range events {
		if f.Match(e) {
			out = append(out, e)
		}
	}
	return out
}

func TestExportJSONL(t *testing.T) {
	events := filter(exportEvents(), access.EventFilter{ResourceID: "aws-prod"})
	var buf bytes.Buffer
	if err := Export(&buf, events, FormatJSONL); err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, e := range events {
		want, _ = appendLine(want, e) // the mirror's lines
	}
	if buf.String() != string(want) {
		t.Fatalf("export =\n%s\nwant\n%s", buf.String(), want)
	}
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("export has %d lines, want 2", n)
	}
}

func TestExportCSV(t *testing.T) {
	events := filter(exportEvents(), access.EventFilter{Email: "ALICE@acme.com", Since: t0.Add(time.Second)})
	var buf bytes.Buffer
	if err := Export(&buf, events, FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	want := [][]string{
		{"seq", "time", "type", "actor_slack_id", "actor_email", "subject_slack_id", "subject_email", "resource_id", "request_id", "details"},
		{"2", "2026-03-02T09:01:00.123456789Z", "denied", "U2", "bob@acme.com", "U1", "alice@acme.com", "aws-prod", "r1",
			`{"reason":"=HYPERLINK(\"http://evil\")"}`},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows =\n%q\nwant\n%q", rows, want)
	}

	buf.Reset()
	if err := Export(&buf, exportEvents()[:1], FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	if got := rows[1][9]; got != `{"duration":"1h","reason":"INC-1"}` {
		t.Fatalf("details = %q, want a JSON object with sorted keys", got)
	}

	buf.Reset()
	if err := Export(&buf, exportEvents()[2:], FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	if got := rows[1][9]; got != "{}" {
		t.Fatalf("details without any = %q, want {}", got)
	}
}

// TestExportCSVDetailsCannotBeForged is the attack the old "k=v; k=v" cell
// allowed: a reason that spells out another detail must stay inside its own
// value when the cell is read back.
func TestExportCSVDetailsCannotBeForged(t *testing.T) {
	forged := "INC-1; dry_run=true\", \"approvals\": \"9"
	e := access.Event{Seq: 1, Time: t0, Type: access.EventApproved, Actor: bob, Subject: alice,
		ResourceID: "aws-prod", RequestID: "r1",
		Details: map[string]string{"reason": forged, "approvals": "1", "a<b": "&"}}
	var buf bytes.Buffer
	if err := Export(&buf, []access.Event{e}, FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(rows[1][9]), &got); err != nil {
		t.Fatalf("details %q are not a JSON object: %v", rows[1][9], err)
	}
	if !reflect.DeepEqual(got, e.Details) {
		t.Fatalf("details read back = %q, want %q", got, e.Details)
	}
	if want := `{"a<b":"&","approvals":"1","reason":"INC-1; dry_run=true\", \"approvals\": \"9"}`; rows[1][9] != want {
		t.Fatalf("details = %s, want %s", rows[1][9], want)
	}
}

func TestExportCSVDefusesFormulas(t *testing.T) {
	for _, v := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"} {
		e := access.Event{Seq: 1, Time: t0, Type: access.EventRefused,
			Actor:      access.User{SlackID: v, Email: v},
			Subject:    access.User{SlackID: v, Email: v},
			ResourceID: v, RequestID: v, Details: map[string]string{v: "x"}}
		var buf bytes.Buffer
		if err := Export(&buf, []access.Event{e}, FormatCSV); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("%q: export is not CSV: %v", v, err)
		}
		key, _ := json.Marshal(v)
		want := []string{"1", "2026-03-02T09:00:00.123456789Z", "refused", "'" + v, "'" + v, "'" + v, "'" + v, "'" + v, "'" + v, "{" + string(key) + `:"x"}`}
		if got := rows[1]; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: row = %q, want %q", v, got, want)
		}
	}

	var buf bytes.Buffer
	safe := access.Event{Seq: 1, Time: t0, Type: access.EventRequested, Actor: alice, ResourceID: "a-b", Details: map[string]string{"n": "-1"}}
	if err := Export(&buf, []access.Event{safe}, FormatCSV); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "'") {
		t.Fatalf("safe values were changed: %q", buf.String())
	}
}

func TestExportUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Export(&buf, exportEvents(), "xml")
	if access.ErrorCode(err) != access.EINVALID {
		t.Fatalf("error %v, want %s", err, access.EINVALID)
	}
	for _, f := range []string{`"xml"`, "jsonl", "csv"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name %s", err, f)
		}
	}
	if buf.Len() != 0 {
		t.Fatalf("wrote %q for an unknown format", buf.String())
	}
}
