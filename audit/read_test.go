package audit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessbot/accessbot/access"
)

// mirrorOf writes events as the mirror would and returns the file's path.
func mirrorOf(t *testing.T, events []access.Event, tail string) string {
	t.Helper()
	var buf []byte
	for _, e := range events {
		var err error
		if buf, err = appendLine(buf, e); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, append(buf, tail...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func seqs(events []access.Event) []uint64 {
	var out []uint64
	for _, e := range events {
		out = append(out, e.Seq)
	}
	return out
}

func TestReadFileFilters(t *testing.T) {
	events := exportEvents()
	path := mirrorOf(t, events, "")
	tests := []struct {
		name string
		f    access.EventFilter
		want []uint64
	}{
		{"all", access.EventFilter{}, []uint64{1, 2, 3}},
		{"since is inclusive", access.EventFilter{Since: t0.Add(time.Minute)}, []uint64{2, 3}},
		{"until is exclusive", access.EventFilter{Until: t0.Add(2 * time.Minute)}, []uint64{1, 2}},
		{"user as actor or subject", access.EventFilter{Email: "BOB@acme.com"}, []uint64{2, 3}},
		{"resource", access.EventFilter{ResourceID: "github-admin"}, []uint64{3}},
		{"nothing matches", access.EventFilter{ResourceID: "none"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sum, err := ReadFile(path, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if g := seqs(got); !slices.Equal(g, tt.want) {
				t.Fatalf("events %v, want %v", g, tt.want)
			}
			if sum != (FileSummary{FirstSeq: 1, LastSeq: 3, Lines: 3}) {
				t.Fatalf("summary %+v", sum)
			}
		})
	}
	// The store and the file give the same events for the same filter.
	f := access.EventFilter{Email: "alice@acme.com", Since: t0}
	got, _, err := ReadFile(path, f)
	if err != nil {
		t.Fatal(err)
	}
	want := filter(events, f)
	if len(got) != len(want) || !got[1].Time.Equal(want[1].Time) || got[1].Details["reason"] != want[1].Details["reason"] {
		t.Fatalf("read %+v, want %+v", got, want)
	}
}

func TestReadFileSkipsALineBeingWritten(t *testing.T) {
	path := mirrorOf(t, exportEvents(), `{"seq":4,"time":"2026-03-02T09:0`)
	got, sum, err := ReadFile(path, access.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !sum.Partial || sum.LastSeq != 3 {
		t.Fatalf("read %v, summary %+v; want 3 events and a partial line noted", seqs(got), sum)
	}
}

func TestReadFileRefusesWhatIsNotAMirror(t *testing.T) {
	events := exportEvents()
	gap := append([]access.Event{events[0]}, events[2])
	tests := map[string]string{
		"gap":     mirrorOf(t, gap, ""),
		"garbage": mirrorOf(t, events[:1], "not json\n"),
		"no seq":  mirrorOf(t, nil, `{"type":"requested"}`+"\n"),
	}
	for name, path := range tests {
		if _, _, err := ReadFile(path, access.EventFilter{}); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: err = %v, want one naming the line", name, err)
		}
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing.jsonl"), access.EventFilter{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
