package main

// Values as Helm 3 assembles them: the -f files merged in order, the --set
// assignments applied over them, and the result coalesced with the chart's
// values.yaml. YAML numbers become float64 (Helm reads YAML through JSON),
// --set integers int64, as in Helm.

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ghodss/yaml"
)

func readYAMLMap(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if m == nil { // an empty file or a lone `null`
		m = map[string]interface{}{}
	}
	return m, nil
}

func userValues(files, sets []string) (map[string]interface{}, error) {
	vals := map[string]interface{}{}
	for _, f := range files {
		m, err := readYAMLMap(f)
		if err != nil {
			return nil, err
		}
		vals = mergeMaps(vals, m)
	}
	for _, s := range sets {
		if err := applySet(vals, s); err != nil {
			return nil, fmt.Errorf("--set %s: %v", s, err)
		}
	}
	return vals, nil
}

// mergeMaps merges b over a for the -f files: maps merge key by key, anything
// else in b replaces a's, nulls included (they take effect in coalesce).
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]interface{}); ok {
			if am, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce completes the user's values with the chart's defaults: the user's
// value wins whatever it is, maps merge, and a user null deletes the key the
// chart has. (A null under a key the chart lacks stays a null, as in Helm 3.)
func coalesce(user, chart map[string]interface{}) map[string]interface{} {
	for key, def := range chart {
		val, ok := user[key]
		switch {
		case !ok:
			user[key] = def
		case val == nil:
			delete(user, key)
		default:
			um, uok := val.(map[string]interface{})
			cm, cok := def.(map[string]interface{})
			if uok && cok {
				coalesce(um, cm)
			}
		}
	}
	return user
}

// applySet applies one --set argument: comma-separated PATH=VALUE pairs, where
// PATH is dotted keys with optional [N] list indices and VALUE is typed as
// Helm types it (true/false, null, integers, {a,b} lists, else a string).
// A backslash escapes the next character.
func applySet(vals map[string]interface{}, arg string) error {
	for _, assignment := range splitUnescaped(arg, ',', true) {
		eq := indexUnescaped(assignment, '=')
		if eq < 0 {
			return fmt.Errorf("%q is not PATH=VALUE", assignment)
		}
		path, err := parsePath(assignment[:eq])
		if err != nil {
			return err
		}
		if _, err := put(vals, path, parseSetValue(assignment[eq+1:])); err != nil {
			return err
		}
	}
	return nil
}

// step is one element of a --set path: a map key or a list index.
type step struct {
	key   string
	index int // used when key is ""
}

func parsePath(text string) ([]step, error) {
	var path []step
	for _, part := range splitUnescaped(text, '.', false) {
		name := part
		var indices []int
		for strings.HasSuffix(name, "]") {
			open := strings.LastIndex(name, "[")
			if open < 0 {
				return nil, fmt.Errorf("unbalanced ] in %q", text)
			}
			n, err := strconv.Atoi(name[open+1 : len(name)-1])
			// Helm caps list indices likewise, so a typo cannot allocate gigabytes.
			if err != nil || n < 0 || n > 65536 {
				return nil, fmt.Errorf("bad list index in %q", text)
			}
			indices = append([]int{n}, indices...)
			name = name[:open]
		}
		if name == "" {
			return nil, fmt.Errorf("empty key in %q", text)
		}
		path = append(path, step{key: unescape(name)})
		for _, n := range indices {
			path = append(path, step{index: n})
		}
	}
	return path, nil
}

// put stores value at path under node and answers the updated node, which is
// new when node was absent or of another kind (lists may also grow).
func put(node interface{}, path []step, value interface{}) (interface{}, error) {
	if len(path) == 0 {
		return value, nil
	}
	s := path[0]
	if s.key == "" {
		list, _ := node.([]interface{})
		for len(list) <= s.index {
			list = append(list, nil)
		}
		child, err := put(list[s.index], path[1:], value)
		list[s.index] = child
		return list, err
	}
	m, ok := node.(map[string]interface{})
	if !ok {
		m = map[string]interface{}{}
	}
	child, err := put(m[s.key], path[1:], value)
	m[s.key] = child
	return m, err
}

func parseSetValue(text string) interface{} {
	if strings.HasPrefix(text, "{") && strings.HasSuffix(text, "}") {
		list := []interface{}{}
		if inner := text[1 : len(text)-1]; inner != "" {
			for _, item := range splitUnescaped(inner, ',', false) {
				list = append(list, typed(unescape(item)))
			}
		}
		return list
	}
	return typed(unescape(text))
}

func typed(s string) interface{} {
	switch strings.ToLower(s) {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	case "0":
		return int64(0)
	}
	// Like Helm: "0123" stays a string (a zip code, an octal mode).
	if s != "" && s[0] != '0' {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	return s
}

// splitUnescaped splits at sep where no backslash escapes it and, with
// skipBraces, not inside a {...} list; escapes are kept for later steps.
func splitUnescaped(s string, sep byte, skipBraces bool) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case skipBraces && s[i] == '{':
			depth++
		case skipBraces && s[i] == '}' && depth > 0:
			depth--
		case s[i] == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		} else if s[i] == c {
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
