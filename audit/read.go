package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/accessbot/accessbot/access"
)

// FileSummary describes the mirror file ReadFile read.
type FileSummary struct {
	FirstSeq, LastSeq uint64 // of the complete lines; 0 for an empty file
	Lines             int    // complete lines read
	// Partial is set when the file ended in a line without its newline: one
	// being written by the running mirror, or torn by a crash. It is left
	// out; the mirror completes or repairs it.
	Partial bool
}

// ReadFile returns the events of the JSON-lines mirror file at path that
// match f, in sequence order. It reads while a mirror appends to the file
// (only complete lines count), so an export can run beside the bot, whose
// bbolt store is locked. A line that is not an event, or a sequence that
// skips or repeats a number, is an error naming the line: the file is then
// not a faithful copy of the audit trail.
func ReadFile(path string, f access.EventFilter) ([]access.Event, FileSummary, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, FileSummary{}, fmt.Errorf("audit: read mirror: %w", err)
	}
	defer file.Close()
	return read(file, path, f)
}

func read(r io.Reader, path string, f access.EventFilter) ([]access.Event, FileSummary, error) {
	var out []access.Event
	var sum FileSummary
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			sum.Partial = len(line) > 0
			return out, sum, nil
		}
		if err != nil {
			return nil, sum, fmt.Errorf("audit: read mirror %s: %w", path, err)
		}
		n := sum.Lines + 1
		var e access.Event
		if err := json.Unmarshal(line, &e); err != nil || e.Seq == 0 {
			return nil, sum, fmt.Errorf("audit: mirror %s, line %d: not an audit event", path, n)
		}
		if sum.Lines > 0 && e.Seq != sum.LastSeq+1 {
			return nil, sum, fmt.Errorf("audit: mirror %s, line %d: seq %d follows %d; the file is not a complete copy of the audit trail", path, n, e.Seq, sum.LastSeq)
		}
		if sum.Lines == 0 {
			sum.FirstSeq = e.Seq
		}
		sum.Lines, sum.LastSeq = n, e.Seq
		if f.Match(e) {
			out = append(out, e)
		}
	}
}
