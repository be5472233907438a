package bot

import "testing"

// Odd text people type is made inert before it is shown: control and
// bidirectional-override characters dropped, mrkdwn and mentions escaped.
func TestEscapeOddText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<!channel> hi", "&lt;!channel&gt; hi"},
		{"ping <@U0BOB>", "ping &lt;@U0BOB&gt;"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"a & b", "a &amp; b"},
		{"bell\x07 esc\x1b[31m nul\x00", "bell esc[31m nul"},
		{"line\nbreak\ttab", "line\nbreak\ttab"},
		{"abc\u202edcba\u202c", "abcdcba"},                   // right-to-left override
		{"\u2066isolate\u2069 \u202aembed", "isolate embed"}, // isolates and embeddings
		{"bad utf8 \xff", "bad utf8 \uFFFD"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
