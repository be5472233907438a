package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 6, "hello…"},
		{"héllo wörld", 6, "héllo…"},
		{"😀😀😀", 4, "😀…"}, // an emoji counts as two, like Slack counts it
		{"abc", 0, ""},
		{"", 3, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestTruncateIsRuneSafe(t *testing.T) {
	s := strings.Repeat("aé😀日", 1000)
	for max := 1; max < 60; max++ {
		got := truncate(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("truncate(…, %d) is not valid UTF-8: %q", max, got)
		}
		if textLen(got) > max {
			t.Fatalf("truncate(…, %d) has length %d", max, textLen(got))
		}
	}
}

func TestEscapeMakesMentionsInert(t *testing.T) {
	got := escape("<!channel> <@U123> <https://evil|click> a & b")
	want := "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|click&gt; a &amp; b"
	if got != want {
		t.Errorf("escape = %q, want %q", got, want)
	}
}

func TestEscDoesNotCutEntities(t *testing.T) {
	for max := 1; max < 30; max++ {
		got := esc(strings.Repeat("a<", 20), max)
		if textLen(got) > max {
			t.Fatalf("esc(…, %d) has length %d", max, textLen(got))
		}
		trimmed := strings.TrimSuffix(got, ellipsis)
		if i := strings.LastIndexByte(trimmed, '&'); i >= 0 && !strings.Contains(trimmed[i:], ";") {
			t.Fatalf("esc(…, %d) = %q leaves a broken entity", max, got)
		}
	}
}

func TestCleanDropsControlCharacters(t *testing.T) {
	got := clean("a\x00b\x07c\nd\te\u2028f\xffg")
	want := "abc\nd\tef\uFFFDg"
	if got != want {
		t.Errorf("clean = %q, want %q", got, want)
	}
}

func TestPackLines(t *testing.T) {
	lines := []string{strings.Repeat("a", 10), strings.Repeat("b", 10), strings.Repeat("c", 50)}
	chunks := packLines(lines, 25)
	if len(chunks) != 2 {
		t.Fatalf("packLines gave %d chunks, want 2: %q", len(chunks), chunks)
	}
	for _, c := range chunks {
		if textLen(c) > 25 {
			t.Errorf("chunk %q is longer than 25", c)
		}
	}
}

func TestIsSlackID(t *testing.T) {
	for id, want := range map[string]bool{"U0ALICE": true, "W123": true, "": false, "U": false, "u123": false, "U1><!channel": false, "C123": false} {
		if got := isSlackID(id); got != want {
			t.Errorf("isSlackID(%q) = %v, want %v", id, got, want)
		}
	}
}
