package main

// The renderer against the Helm behaviours the chart tests rely on.

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

type m = map[string]interface{}

func TestCoalesce(t *testing.T) {
	chart := m{"keep": "chart", "gone": 1, "table": m{"a": 1, "b": 2, "c": m{"d": 1}}, "list": []interface{}{1}}
	user := m{"gone": nil, "table": m{"a": false, "b": nil, "new": nil}, "list": []interface{}{}}
	want := m{"keep": "chart", "table": m{"a": false, "c": m{"d": 1}, "new": nil}, "list": []interface{}{}}
	if got := coalesce(user, chart); !reflect.DeepEqual(got, want) {
		t.Errorf("coalesce = %v, want %v", got, want)
	}
}

func TestMergeMapsKeepsNullsForCoalesce(t *testing.T) {
	got := mergeMaps(m{"a": m{"x": 1, "y": 2}, "b": 1}, m{"a": m{"y": nil}, "b": m{"z": 1}})
	want := m{"a": m{"x": 1, "y": nil}, "b": m{"z": 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergeMaps = %v, want %v", got, want)
	}
}

func TestSet(t *testing.T) {
	vals := m{"a": m{"keep": 1}}
	sets := []string{
		"a.t=true,a.f=FALSE,a.n=null,a.zero=0,a.int=42,a.zip=0123,a.s=text",
		`a.list={x,2},a.escaped=a\,b,a\.dotted=1`,
		"b.hosts[1]=second,b.items[0].name=first",
	}
	for _, s := range sets {
		if err := applySet(vals, s); err != nil {
			t.Fatalf("applySet(%q): %v", s, err)
		}
	}
	want := m{
		"a": m{"keep": 1, "t": true, "f": false, "n": nil, "zero": int64(0), "int": int64(42),
			"zip": "0123", "s": "text", "list": []interface{}{"x", int64(2)}, "escaped": "a,b"},
		"a.dotted": int64(1),
		"b":        m{"hosts": []interface{}{nil, "second"}, "items": []interface{}{m{"name": "first"}}},
	}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("values = %#v\nwant %#v", vals, want)
	}
	for _, bad := range []string{"novalue", "a..b=1", "a[x]=1", "a]=1"} {
		if err := applySet(m{}, bad); err == nil {
			t.Errorf("applySet(%q) succeeded", bad)
		}
	}
}

// renderText renders the given templates (name -> text) of a chart "c".
func renderText(t *testing.T, values m, templates map[string]string) ([]manifest, error) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "name: c\nversion: 1.2.3\nappVersion: \"4.5\"\n")
	write("values.yaml", "")
	write("files/greeting.txt", "hello\nworld\n")
	for name, text := range templates {
		write("templates/"+name, text)
	}
	c, err := loadChart(dir)
	if err != nil {
		t.Fatal(err)
	}
	return render(c, m{"Values": values, "Chart": c.meta, "Files": c.files,
		"Capabilities": defaultCapabilities(), "Release": m{"Name": "rel", "Namespace": "ns"}})
}

func TestRender(t *testing.T) {
	out, err := renderText(t, m{"n": 45.0, "tree": m{"b": nil, "a": 1.5}, "text": "{{ .Release.Name }}-x"}, map[string]string{
		"_helpers.tpl": `{{ define "c.name" }}{{ .Chart.Name }}-{{ .Chart.AppVersion }}{{ end }}`,
		"a.yaml": `n: {{ .Values.n }}
missing: "{{ .Values.nothing }}"
name: {{ include "c.name" . }}
tpl: {{ tpl .Values.text . }}
tplIncludes: {{ tpl "{{ include \"c.name\" . }}" . }}
empty: "{{ tpl "" . }}"
tree: {{ toYaml .Values.tree | nindent 2 }}
json: {{ toJson .Values.tree }}
parsed: {{ (fromYaml "x: 1").x }}
file: {{ .Files.Get "files/greeting.txt" | trim | quote }}
lines: {{ len (.Files.Lines "files/greeting.txt") }}
lookup: {{ len (lookup "v1" "Secret" "ns" "s") }}
base: {{ .Template.BasePath }}
api: {{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "x/v1" }}
kube: {{ .Capabilities.KubeVersion.Version }}
config: {{ (.Files.Glob "files/*.txt").AsConfig | nindent 2 }}
secret: {{ (.Files.Glob "files/*").AsSecrets }}
none: {{ (.Files.Glob "*.txt").AsConfig }}
bytes: {{ len (.Files.GetBytes "files/greeting.txt") }}`,
		"blank.yaml": "{{- if false }}x{{ end }}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `n: 45
missing: ""
name: c-4.5
tpl: rel-x
tplIncludes: c-4.5
empty: ""
tree: 
  a: 1.5
  b: null
json: {"a":1.5,"b":null}
parsed: 1
file: "hello\nworld"
lines: 2
lookup: 0
base: c/templates
api: true false
kube: v1.20.0
config: 
  greeting.txt: |
    hello
    world
secret: greeting.txt: aGVsbG8Kd29ybGQK
none: {}
bytes: 12`
	if len(out) != 1 || out[0].name != "c/templates/a.yaml" || out[0].text != want {
		t.Errorf("rendered %#v\nwant one c/templates/a.yaml:\n%s", out, want)
	}
}

func TestFailAndRequired(t *testing.T) {
	cases := map[string]string{
		`{{ fail "no way" }}`:                      "execution error at (c/templates/x.yaml:1:3): no way",
		`{{ required "x is required" .Values.x }}`: "execution error at (c/templates/x.yaml:1:3): x is required",
		`{{ required "empty" "" }}`:                "execution error at (c/templates/x.yaml:1:3): empty",
		"a: 1\n{{ include \"f\" . }}{{ define \"f\" }}{{ fail \"deep\" }}{{ end }}": "execution error at (c/templates/x.yaml:2:3): deep",
	}
	for text, want := range cases {
		_, err := renderText(t, m{}, map[string]string{"x.yaml": text})
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", text, err, want)
		}
	}
	if _, err := renderText(t, m{"x": false}, map[string]string{"x.yaml": `{{ required "x" .Values.x }}`}); err != nil {
		t.Errorf("required refused false: %v", err)
	}
}
