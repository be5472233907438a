package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/accessbot/accessbot/access"
)

// maxVisits bounds the nodes one file may decode to, counting every use of an
// alias: a few lines of nested aliases could otherwise expand to billions.
const maxVisits = 1_000_000

var durationType = reflect.TypeFor[time.Duration]()

// decoder fills the file* types from a YAML node tree. Unlike yaml's own
// Decode it does not stop at the first mistake: it reports every unknown key,
// duplicate key, wrong kind of value and unset variable with its key path, and
// records where each path is so problems can be sorted in document order.
type decoder struct {
	getenv  func(string) string
	probs   *problemList
	flagged map[string]bool // paths with a decoding problem; validation skips them
	// expanded maps the paths of values that came from the environment to
	// the text as written, so messages never show the value itself.
	expanded map[string]string
	visits   int
	tooBig   bool
}

func newDecoder(getenv func(string) string, probs *problemList) *decoder {
	return &decoder{getenv: getenv, probs: probs, flagged: map[string]bool{}, expanded: map[string]string{}}
}

func (d *decoder) fail(path, message string) {
	d.flagged[path] = true
	d.probs.add(path, message)
}

// decode fills v from n. A null node (an empty value, "~" or "null") leaves v
// as it is: the key counts as absent.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	if n = d.visit(n); n == nil {
		return
	}
	d.probs.at(path, position{n.Line, n.Column})
	if !isNull(n) {
		d.value(n, path, v)
	}
}

// value fills v from a node that is not null, by v's type.
func (d *decoder) value(n *yaml.Node, path string, v reflect.Value) {
	if v.Type() == durationType {
		d.duration(n, path, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		// An optional value that is wrong stays absent, so the rules that
		// use it see no made-up zero.
		p := reflect.New(v.Type().Elem())
		d.value(n, path, p.Elem())
		if !d.flagged[path] {
			v.Set(p)
		}
	case reflect.Struct:
		d.structure(n, path, v)
	case reflect.Map:
		d.mapping(n, path, v)
	case reflect.Slice:
		d.sequence(n, path, v)
	case reflect.String:
		if s, ok := d.scalar(n, path); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		d.boolean(n, path, v)
	case reflect.Int:
		d.integer(n, path, v)
	case reflect.Float64:
		d.number(n, path, v)
	default:
		panic("config: no decoder for " + v.Type().String()) // a mistake in schema.go
	}
}

// visit follows aliases and counts the work done; it returns nil once the
// budget is spent.
func (d *decoder) visit(n *yaml.Node) *yaml.Node {
	if n = resolve(n); n == nil {
		return nil
	}
	d.visits++
	if d.visits > maxVisits {
		if !d.tooBig {
			d.tooBig = true
			d.fail("", "the file is too large, or its aliases expand too far")
		}
		return nil
	}
	return n
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 100 { // the parser forbids cycles; this is only a backstop
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// kindName describes a node's kind for a message.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

type pair struct{ key, value *yaml.Node }

// pairs returns a mapping's key/value pairs, with the pairs of merge keys
// ("<<: *anchor") added after them unless a key is set explicitly.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var explicit, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, d.merge(v, path)...)
			continue
		}
		explicit = append(explicit, pair{k, v})
	}
	if len(merged) == 0 {
		return explicit
	}
	have := map[string]bool{}
	for _, p := range explicit {
		have[p.key.Value] = true
	}
	out := explicit
	for _, p := range merged {
		if !have[p.key.Value] {
			have[p.key.Value] = true
			out = append(out, p)
		}
	}
	return out
}

// merge returns the pairs a merge key brings in: those of a mapping, or of
// each mapping of a list (earlier ones win).
func (d *decoder) merge(v *yaml.Node, path string) []pair {
	if v = d.visit(v); v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, path)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			if item = d.visit(item); item == nil {
				return out
			}
			if item.Kind != yaml.MappingNode {
				d.fail(path, "<< merges mappings; this list holds "+kindName(item))
				continue
			}
			out = append(out, d.pairs(item, path)...)
		}
		return out
	}
	d.fail(path, "<< merges a mapping or a list of mappings, not "+kindName(v))
	return nil
}

// mappingKey checks a mapping key and returns its name and path.
func (d *decoder) mappingKey(k *yaml.Node, path string, seen map[string]int) (string, string, bool) {
	switch {
	case k.Kind != yaml.ScalarNode:
		d.fail(path, fmt.Sprintf("line %d: keys must be plain names, not %s", k.Line, kindName(k)))
		return "", "", false
	case k.Value == "":
		d.fail(path, fmt.Sprintf("line %d: empty key", k.Line))
		return "", "", false
	}
	name, kp := k.Value, keyPath(path, k.Value)
	d.probs.at(kp, position{k.Line, k.Column})
	if line, dup := seen[name]; dup {
		d.fail(kp, fmt.Sprintf("duplicate key (also on line %d)", line))
		return "", "", false
	}
	seen[name] = k.Line
	return name, kp, true
}

// structure fills a struct from a mapping, matching keys to yaml tags.
func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "expected a mapping of keys to values, not "+kindName(n))
		return
	}
	keys, index := fieldKeys(v.Type())
	seen := map[string]int{}
	for _, p := range d.pairs(n, path) {
		name, kp, ok := d.mappingKey(p.key, path, seen)
		if !ok {
			continue
		}
		i, known := index[name]
		if !known {
			d.fail(kp, "unknown key"+suggest(name, keys))
			continue
		}
		d.decode(p.value, kp, v.Field(i))
	}
}

// fieldKeys returns the yaml keys of a struct type, in field order, and the
// field index of each.
func fieldKeys(t reflect.Type) ([]string, map[string]int) {
	keys := make([]string, 0, t.NumField())
	index := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		keys = append(keys, key)
		index[key] = i
	}
	return keys, index
}

// mapping fills a map with string keys (policies by name).
func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, "expected a mapping of names to settings, not "+kindName(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]int{}
	for _, p := range d.pairs(n, path) {
		name, kp, ok := d.mappingKey(p.key, path, seen)
		if !ok {
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.value, kp, elem)
		v.SetMapIndex(reflect.ValueOf(name), elem)
	}
}

// sequence fills a slice from a list. An empty list gives an empty, non-nil
// slice, so "reminders: []" differs from leaving reminders out.
func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, "expected a list (such as [a, b] or lines starting with \"- \"), not "+kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := indexPath(path, i)
		if isNull(resolve(item)) {
			d.probs.at(ip, position{item.Line, item.Column})
			d.fail(ip, "empty list item")
			continue
		}
		d.decode(item, ip, s.Index(i))
		if d.tooBig {
			break
		}
	}
	v.Set(s)
}

// scalar returns a single value with ${VAR} references expanded.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, "expected a single value, not "+kindName(n))
		return "", false
	}
	s, problems := expand(n.Value, d.getenv)
	for _, p := range problems {
		d.fail(path, p)
	}
	if s != n.Value {
		d.expanded[path] = n.Value
	}
	return s, len(problems) == 0
}

// shown quotes a value for a message: the text as written in the file, so a
// value that came from the environment (possibly a secret) is never shown.
func shown(n *yaml.Node, expanded string) string {
	if n.Value != expanded {
		return fmt.Sprintf("%q (after expanding variables)", clip(n.Value))
	}
	return strconv.Quote(clip(n.Value))
}

func (d *decoder) boolean(n *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, path)
	if !ok {
		return
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		v.SetBool(true)
	case "false":
		v.SetBool(false)
	default:
		d.fail(path, shown(n, s)+" is not true or false")
	}
}

func (d *decoder) integer(n *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, path)
	if !ok {
		return
	}
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		d.fail(path, shown(n, s)+" is not a whole number")
		return
	}
	v.SetInt(int64(i))
}

func (d *decoder) number(n *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, path)
	if !ok {
		return
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(path, shown(n, s)+" is not a number")
		return
	}
	v.SetFloat(f)
}

func (d *decoder) duration(n *yaml.Node, path string, v reflect.Value) {
	s, ok := d.scalar(n, path)
	if !ok {
		return
	}
	dur, err := access.ParseDuration(s)
	switch {
	case err != nil && n.Value != s:
		d.fail(path, shown(n, s)+" is not a duration: use a number and a unit (s, m, h, d, w), e.g. 4h")
	case err != nil:
		d.fail(path, err.Error())
	default:
		v.SetInt(int64(dur))
	}
}
