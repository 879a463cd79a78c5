package main

// Rendering: every template parsed into one set (so any file can include the
// named templates of another), sprig's functions plus Helm's, each file not
// starting with "_" executed with the top-level object.

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
)

type manifest struct{ name, text string }

// fail and required mark their message so that it can be told apart from
// the template package's own wording around it, as helm does.
const failOpen, failClose = "\x1eFAIL:", ":FAIL\x1e"

var failMessage = regexp.MustCompile(failOpen + `(?s)(.*)` + failClose)

func failure(msg string) error { return errors.New(failOpen + msg + failClose) }

type engine struct {
	set   *template.Template
	funcs template.FuncMap
}

func render(c *chart, top map[string]interface{}) ([]manifest, error) {
	e := &engine{}
	e.funcs = e.funcMap()
	// Missing map keys render as "" rather than failing, as in helm.
	e.set = template.New("").Option("missingkey=zero").Funcs(e.funcs)
	names := make([]string, 0, len(c.templates))
	for name := range c.templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := e.set.New(name).Parse(c.templates[name]); err != nil {
			return nil, fmt.Errorf("parse error: %v", err)
		}
	}
	var out []manifest
	for _, name := range names {
		base := path.Base(name)
		// Partials only hold named templates; helm template leaves NOTES out.
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		top["Template"] = map[string]interface{}{
			"Name": name, "BasePath": c.meta.Name + "/templates",
		}
		text, err := e.execute(e.set, name, top)
		if err != nil {
			return nil, execError(err)
		}
		if strings.TrimSpace(text) != "" {
			out = append(out, manifest{name, text})
		}
	}
	return out, nil
}

func (e *engine) execute(set *template.Template, name string, data interface{}) (string, error) {
	var b strings.Builder
	err := set.ExecuteTemplate(&b, name, data)
	// What missingkey=zero still prints for a nil interface value.
	return strings.ReplaceAll(b.String(), "<no value>", ""), err
}

// execError turns "template: NAME:LINE:COL: executing ... error calling fail:
// MARKED" into helm's "execution error at (NAME:LINE:COL): MESSAGE".
func execError(err error) error {
	m := failMessage.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	parts := strings.SplitN(err.Error(), ": ", 3)
	if len(parts) < 3 {
		return errors.New(m[1])
	}
	return fmt.Errorf("execution error at (%s): %s", parts[1], m[1])
}

func (e *engine) funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	// Helm removes these: a chart must not depend on the renderer's environment.
	delete(f, "env")
	delete(f, "expandenv")
	helm := template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			var b strings.Builder
			err := e.set.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"tpl":           e.tpl,
		"required":      required,
		"fail":          func(msg string) (string, error) { return "", failure(msg) },
		"toYaml":        toYAML,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		// helm template has no cluster to look objects up in.
		"lookup": func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
	}
	for name, fn := range helm {
		f[name] = fn
	}
	return f
}

// tpl renders text as a template of the calling file, seeing every named
// template of the chart; top is the top-level object (usually $). The text
// gets a set of its own, where it replaces the calling file even when empty.
func (e *engine) tpl(text string, top map[string]interface{}) (string, error) {
	tmpl, _ := top["Template"].(map[string]interface{})
	name, _ := tmpl["Name"].(string)
	if name == "" {
		return "", errors.New("tpl needs the top-level object ($) as its second argument")
	}
	set, err := template.New(name).Option("missingkey=zero").Funcs(e.funcs).Parse(text)
	if err != nil {
		return "", fmt.Errorf("tpl parse error for %q: %v", text, err)
	}
	for _, t := range e.set.Templates() {
		if t.Tree != nil && set.Lookup(t.Name()) == nil {
			if _, err := set.AddParseTree(t.Name(), t.Tree); err != nil {
				return "", err
			}
		}
	}
	return e.execute(set, name, top)
}

// required passes val on unless it is null or "".
func required(msg string, val interface{}) (interface{}, error) {
	if s, ok := val.(string); val == nil || (ok && s == "") {
		return val, failure(msg)
	}
	return val, nil
}

// The YAML and JSON functions never fail a template, like helm's: marshal
// errors give "", parse errors an "Error" entry (or element).
func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	var a []interface{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		return []interface{}{err.Error()}
	}
	return a
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	var a []interface{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return []interface{}{err.Error()}
	}
	return a
}
