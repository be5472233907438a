package fakeslack

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

var treeSamples = []string{
	`[]`, `{}`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `1e400`, `01`, `1.`, `.5`, `-`, `1e`, `+1`,
	`"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u003c@U0ALICE\u003e \u0026 \u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`,
	`"\udc00\ud83d"`, `"\u12"`, `"\x"`, `"\'"`, "\"tab\tin\"", "\"caf\xc3\xa9\"", "\"bad\xff\"", "\"bad\xffafter\\n\"",
	`"\u2028\u2029"`, `"<>&"`, `[1,2,]`, `[1 2]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1}x`, ` [ 1 , { "k" : [ ] } ] `,
	`{"k":1,"k":2}`, `[[[[[[[[[[[[]]]]]]]]]]]]`, `tru`, `nul`, `[true,false,null]`, `"`, `[`, `{"a":`, "",
	`[{"type":"section","text":{"type":"mrkdwn","text":"*alice* wants\n\u003c@U1\u003e"},"block_id":"b1"},{"type":"actions","elements":[{"type":"button","action_id":"a","value":"v","text":{"type":"plain_text","text":"Approve","emoji":true},"style":"primary"}]}]`,
	`{"min_length":3,"max_length":3000.5,"n":-1e-7,"big":1e21,"small":123456789012345678901234567890}`,
}

// TestDecodeTreeMatchesEncodingJSON checks decodeTree against
// json.Unmarshal: whenever it answers, the value is the same.
func TestDecodeTreeMatchesEncodingJSON(t *testing.T) {
	for _, s := range treeSamples {
		checkDecodeTree(t, s)
	}
	// What slack-go sends must take the fast path.
	for _, s := range []string{treeSamples[len(treeSamples)-2], treeSamples[len(treeSamples)-1], `"a\"b\\c\/d\b\f\n\r\t"`, "\"caf\xc3\xa9\""} {
		if _, ok := decodeTree(s); !ok {
			t.Errorf("decodeTree(%q) fell back to encoding/json", s)
		}
	}
	var deep string
	for range maxTreeDepth + 2 {
		deep = "[" + deep + "]"
	}
	if _, ok := decodeTree(deep); ok {
		t.Errorf("decodeTree took %d levels", maxTreeDepth+2)
	}
}

func FuzzDecodeTree(f *testing.F) {
	for _, s := range treeSamples {
		f.Add(s)
	}
	f.Fuzz(checkDecodeTree)
}

func checkDecodeTree(t *testing.T, s string) {
	got, ok := decodeTree(s)
	var want any
	err := json.Unmarshal([]byte(s), &want)
	if !ok {
		return // the caller falls back to encoding/json
	}
	if err != nil {
		t.Fatalf("decodeTree(%q) = %#v; encoding/json fails: %v", s, got, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeTree(%q) = %#v, encoding/json %#v", s, got, want)
	}
}

// TestAppendTreeMatchesEncodingJSON checks appendTree against json.Marshal
// on decoded documents and on the shapes of the fake's answers.
func TestAppendTreeMatchesEncodingJSON(t *testing.T) {
	for _, s := range treeSamples {
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			checkAppendTree(t, v)
		}
	}
	values := []any{
		map[string]any{"ok": false, "error": "invalid_blocks", "response_metadata": map[string]any{"messages": []string{"[ERROR] x <y> & z"}}},
		map[string]any{"blocks": []map[string]any{{"type": "divider", "block_id": "fkb1"}}, "none": []map[string]any(nil), "nomap": map[string]any(nil)},
		map[string]any{"user": map[string]any{"tz_offset": 0, "updated": 1700000000, "deleted": false}, "n": int64(-3)},
		map[string]any{"state": map[string]any{"values": map[string]map[string]any{"b": {"a": map[string]any{"value": "x"}}}}},
		[]any{"bad\xff", "\u2028", "\x00\x1f\x7f", 1e-7, 1e21, 123.0, -0.0, math.MaxFloat64, math.SmallestNonzeroFloat64},
		[]any{nil, []any(nil), []string(nil), []byte("raw"), json.RawMessage(`{"b":1, "a":2}`)},
		map[string]any{"k": make([]any, 20)},
	}
	big := map[string]any{}
	for i := range 40 { // more keys than appendTree's stack array
		big[string(rune('a'+i%26))+string(rune('A'+i))] = i
	}
	values = append(values, big)
	for _, v := range values {
		checkAppendTree(t, v)
	}
	if _, err := appendTree(nil, map[string]any{"x": math.NaN()}); err == nil {
		t.Error("NaN encoded")
	}
}

func checkAppendTree(t *testing.T, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%#v): %v", v, err)
	}
	got, err := appendTree([]byte("prefix"), v)
	if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Errorf("appendTree(%#v) = %s, %v\njson.Marshal gives     %s", v, got, err, want)
	}
}

func FuzzAppendTree(f *testing.F) {
	for _, s := range treeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		checkAppendTree(t, v)
		if m, isMap := v.(map[string]any); isMap {
			checkAppendTree(t, map[string]any{"wrapped": m, "as_blocks": []map[string]any{m}})
		}
	})
}
