package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Load reads and checks the config file at path; see Parse. A file that
// cannot be read gives an ordinary error naming it.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, getenv)
}

// Parse checks a config file's contents and returns the Config it describes.
// ${NAME} in a value is replaced by getenv(NAME) (os.Getenv when getenv is
// nil); a variable that getenv returns "" for counts as not set, and "$${"
// stands for a literal "${". Durations are read by access.ParseDuration
// ("90m", "1d", "2w", "1h30m"). When the file has any problem — bad
// YAML, an unknown key, an unset variable, a value that breaks a rule — Parse
// returns a nil Config and a *Problems listing every problem found, in
// document order.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := parseYAML(data)
	if err != nil {
		return nil, &Problems{syntaxProblem(err)}
	}
	probs := newProblemList()
	probs.at("", position{}) // sections missing altogether are listed first
	d := newDecoder(getenv, probs)
	var f fileConfig
	switch {
	case isNull(root):
	case root.Kind != yaml.MappingNode:
		// Every section would be reported missing; one problem says it all.
		return nil, &Problems{{Message: "the file must be a YAML mapping of sections (slack:, okta:, resources: …), not " + kindName(root)}}
	default:
		d.decode(root, "", reflect.ValueOf(&f).Elem())
	}
	cfg := build(&f, &checker{probs: probs, flagged: d.flagged, expanded: d.expanded})
	if ps := probs.sorted(); len(ps) > 0 {
		return nil, &ps
	}
	return cfg, nil
}

// parseYAML returns the root node of the file's only document, or nil for a
// file with no content.
func parseYAML(data []byte) (root *yaml.Node, err error) {
	// The parser is third-party code fed untrusted input; a panic in it must
	// become a problem report, not a crash.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: the parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		return nil, fmt.Errorf("yaml: line %d: a second document begins; the file must hold one", next.Line)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^line (\d+): `)

// syntaxProblem turns a YAML parser error ("yaml: line 3: did not find
// expected key") into a problem that leads with the line.
func syntaxProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return Problem{Message: "line " + m[1] + ": invalid YAML: " + msg[len(m[0]):]}
	}
	return Problem{Message: "invalid YAML: " + msg}
}
