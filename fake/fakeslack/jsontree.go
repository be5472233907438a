package fakeslack

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fake decodes every message's blocks into map trees (tests read them
// as Message.Blocks) and echoes them back in its answers, as Slack does.
// encoding/json does both through reflection and sorts map keys with extra
// allocations; under load that made the fake cost more CPU than the bot it
// serves. decodeTree and appendTree do the same for the few types a decoded
// tree holds, giving exactly encoding/json's results, and hand anything
// else back to encoding/json.

// maxTreeDepth bounds decodeTree's recursion; deeper documents go to
// encoding/json, whose own limit is far higher.
const maxTreeDepth = 200

// decodeTree decodes the JSON text s into what json.Unmarshal gives an
// `any`: map[string]any, []any, string, float64, bool and nil. Strings
// share s's memory. ok is false whenever the result might differ from
// json.Unmarshal's — invalid JSON, a number out of range, an escaped
// surrogate, invalid UTF-8, deep nesting — and the caller must then use
// encoding/json, so values and errors are always exactly its own.
func decodeTree(s string) (v any, ok bool) {
	d := treeDecoder{s: s}
	d.skipSpace()
	v, ok = d.value(0)
	if !ok {
		return nil, false
	}
	d.skipSpace()
	return v, d.i == len(s)
}

type treeDecoder struct {
	s string
	i int
	// values and keys hold the array items and object members being
	// collected, shared by every level so that each array or object
	// allocates once.
	values []any
	keys   []string
}

func (d *treeDecoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *treeDecoder) value(depth int) (any, bool) {
	if d.i >= len(d.s) || depth > maxTreeDepth {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		s, ok := d.str()
		return boxString(s), ok
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *treeDecoder) literal(word string) bool {
	if len(d.s)-d.i < len(word) || d.s[d.i:d.i+len(word)] != word {
		return false
	}
	d.i += len(word)
	return true
}

func (d *treeDecoder) array(depth int) (any, bool) {
	d.i++ // [
	base := len(d.values)
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return []any{}, true
	}
	for {
		d.skipSpace()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		d.values = append(d.values, v)
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, false
		}
		c := d.s[d.i]
		d.i++
		if c == ']' {
			break
		}
		if c != ',' {
			return nil, false
		}
	}
	out := make([]any, len(d.values)-base)
	copy(out, d.values[base:])
	clear(d.values[base:])
	d.values = d.values[:base]
	return out, true
}

func (d *treeDecoder) object(depth int) (any, bool) {
	d.i++ // {
	keyBase, valueBase := len(d.keys), len(d.values)
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return map[string]any{}, true
	}
	for {
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.skipSpace()
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		d.keys = append(d.keys, k)
		d.values = append(d.values, v)
		d.skipSpace()
		if d.i >= len(d.s) {
			return nil, false
		}
		c := d.s[d.i]
		d.i++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, false
		}
	}
	keys, values := d.keys[keyBase:], d.values[valueBase:]
	out := make(map[string]any, len(keys))
	for j, k := range keys {
		out[k] = values[j] // in order, so the last duplicate wins as in encoding/json
	}
	clear(keys)
	clear(values)
	d.keys, d.values = d.keys[:keyBase], d.values[:valueBase]
	return out, true
}

// str reads a string starting at its opening quote.
func (d *treeDecoder) str() (string, bool) {
	d.i++ // "
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return d.s[start : d.i-1], true
		case c == '\\':
			return d.escapedStr(start)
		case c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && size == 1 {
				return "", false // encoding/json would replace it
			}
			d.i += size
		}
	}
	return "", false
}

// escapedStr finishes a string with escapes; d.i is at the first
// backslash and start just after the opening quote.
func (d *treeDecoder) escapedStr(start int) (string, bool) {
	var buf strings.Builder
	buf.Grow(stringEnd(d.s, d.i) - start) // escapes only shrink
	buf.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return buf.String(), true
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", false
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				buf.WriteByte(e)
			case 'b':
				buf.WriteByte('\b')
			case 'f':
				buf.WriteByte('\f')
			case 'n':
				buf.WriteByte('\n')
			case 'r':
				buf.WriteByte('\r')
			case 't':
				buf.WriteByte('\t')
			case 'u':
				if d.i+4 > len(d.s) {
					return "", false
				}
				r, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
				if err != nil || 0xD800 <= r && r < 0xE000 {
					return "", false // surrogates: leave pairing rules to encoding/json
				}
				d.i += 4
				buf.WriteRune(rune(r))
			default:
				return "", false
			}
		case c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			buf.WriteByte(c)
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			buf.WriteString(d.s[d.i : d.i+size])
			d.i += size
		}
	}
	return "", false
}

// stringEnd is a guess at where the string whose body starts before i
// ends: the next quote that is not obviously escaped. It only sizes a
// buffer.
func stringEnd(s string, i int) int {
	for {
		j := strings.IndexByte(s[i:], '"')
		if j < 0 {
			return len(s)
		}
		i += j
		if s[i-1] != '\\' {
			return i
		}
		i++
	}
}

// internedValues are string values common in Block Kit, boxed once:
// boxing any other string allocates.
var internedValues = func() map[string]any {
	m := map[string]any{}
	for _, s := range []string{"section", "actions", "context", "header", "divider", "input", "image",
		"mrkdwn", "plain_text", "button", "primary", "danger", "static_select", "users_select",
		"plain_text_input", "datepicker", "overflow", "checkboxes", "radio_buttons", "multi_static_select",
		"multi_users_select", "modal", "home", ""} {
		m[s] = s
	}
	return m
}()

func boxString(s string) any {
	if len(s) <= len("multi_static_select") {
		if v, found := internedValues[s]; found {
			return v
		}
	}
	return s
}

// number reads a number with JSON's grammar, as a float64.
func (d *treeDecoder) number() (any, bool) {
	start := d.i
	digits := func() bool {
		n := d.i
		for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
			d.i++
		}
		return d.i > n
	}
	if d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case !digits():
		return nil, false
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if !digits() {
			return nil, false
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if !digits() {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil {
		return nil, false // out of range: encoding/json reports it
	}
	return f, true
}

// appendTree appends v as json.Marshal would encode it, byte for byte: map
// keys sorted, <, > and & escaped, invalid UTF-8 replaced. Types other than
// those of decoded trees and of the fake's answers go through json.Marshal.
func appendTree(dst []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x)
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		var arr [16]string
		keys := arr[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			if dst, err = appendTree(dst, x[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		return appendArray(dst, x)
	case []map[string]any:
		return appendArray(dst, x)
	case []string:
		return appendArray(dst, x)
	}
	raw, err := json.Marshal(v)
	return append(dst, raw...), err
}

// appendArray is appendTree of a slice: null when nil, as encoding/json.
func appendArray[T any](dst []byte, xs []T) ([]byte, error) {
	if xs == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i, e := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendTree(dst, e); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendFloat is encoding/json's float64 encoding.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f) // its UnsupportedValueError
		return dst, err
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
