package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a config file. Path names the key it
// concerns the way a person finds it in the file ("resources[2].approvers[0]");
// it is empty for problems with the file as a whole, such as a YAML syntax
// error. Message never contains a secret's value.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Problems is every problem found in a config file, in document order. Parse
// and Load return it (as *Problems) when a config is invalid.
type Problems []Problem

// Error lists the problems one per line, as "path: message".
func (ps *Problems) Error() string {
	lines := make([]string, len(*ps))
	for i, p := range *ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// position is where a key sits in the file; the zero position (no line)
// sorts first, for problems with sections that are missing altogether.
type position struct{ line, column int }

// problemList collects problems while a file is checked, and knows where
// each key path is so it can sort them in document order.
type problemList struct {
	list []Problem
	pos  map[string]position // key path → where it is in the file
}

func newProblemList() *problemList {
	return &problemList{pos: map[string]position{}}
}

func (l *problemList) add(path, message string) {
	l.list = append(l.list, Problem{Path: path, Message: message})
}

// at records where path is, keeping the first place (an alias may decode the
// same node under several paths; each path is recorded once).
func (l *problemList) at(path string, p position) {
	if _, ok := l.pos[path]; !ok {
		l.pos[path] = p
	}
}

// where returns the position of path, or of its nearest ancestor that is in
// the file (a missing key is reported where its parent is).
func (l *problemList) where(path string) position {
	for {
		if p, ok := l.pos[path]; ok {
			return p
		}
		if path == "" {
			return position{}
		}
		path = parentPath(path)
	}
}

// sorted returns the problems in document order, without exact duplicates (a
// policy's problem found once per resource that uses it is listed once).
func (l *problemList) sorted() Problems {
	out := slices.Clone(l.list)
	slices.SortStableFunc(out, func(a, b Problem) int {
		pa, pb := l.where(a.Path), l.where(b.Path)
		return cmp.Or(cmp.Compare(pa.line, pb.line), cmp.Compare(pa.column, pb.column))
	})
	seen := make(map[Problem]bool, len(out))
	return slices.DeleteFunc(out, func(p Problem) bool {
		dup := seen[p]
		seen[p] = true
		return dup
	})
}

// parentPath drops the last element of a key path: "a.b[2]" → "a.b" → "a" → "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// keyPath joins a parent path and a key.
func keyPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath names the i-th element of the list at path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
