package main

// The chart on disk and the built-in objects templates see besides .Values:
// .Chart, .Files, .Capabilities (.Release and .Template are plain maps).

import (
	"encoding/base64"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ghodss/yaml"
)

// chartMeta is Chart.yaml; the fields keep the names templates use (.Chart.AppVersion).
type chartMeta struct {
	APIVersion  string            `json:"apiVersion"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	AppVersion  string            `json:"appVersion"`
	KubeVersion string            `json:"kubeVersion"`
	Description string            `json:"description"`
	Type        string            `json:"type"`
	Keywords    []string          `json:"keywords"`
	Home        string            `json:"home"`
	Sources     []string          `json:"sources"`
	Icon        string            `json:"icon"`
	Deprecated  bool              `json:"deprecated"`
	Annotations map[string]string `json:"annotations"`
}

type chart struct {
	meta      chartMeta
	values    map[string]interface{}
	templates map[string]string // "<chart>/templates/<path>" -> text
	files     files
}

func loadChart(dir string) (*chart, error) {
	c := &chart{templates: map[string]string{}, files: files{}}
	data, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &c.meta); err != nil {
		return nil, err
	}
	if c.values, err = readYAMLMap(filepath.Join(dir, "values.yaml")); err != nil {
		return nil, err
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "charts/"), rel == "Chart.yaml", rel == "values.yaml":
			return nil
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			c.templates[c.meta.Name+"/"+rel] = string(content)
		} else {
			c.files[rel] = content
		}
		return nil
	})
	return c, err
}

// files is .Files: the chart's files outside templates/.
type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }

func (f files) Lines(name string) []string {
	if len(f[name]) == 0 {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(string(f[name]), "\n"), "\n")
}

// Glob matches with path.Match: no "**", unlike helm's glob library.
func (f files) Glob(pattern string) files {
	matched := files{}
	for name, content := range f {
		if ok, _ := path.Match(pattern, name); ok {
			matched[name] = content
		}
	}
	return matched
}

// AsConfig and AsSecrets give ConfigMap / Secret data: base name -> content.
func (f files) AsConfig() string {
	data := map[string]string{}
	for name, content := range f {
		data[path.Base(name)] = string(content)
	}
	return toYAML(data)
}

func (f files) AsSecrets() string {
	data := map[string]string{}
	for name, content := range f {
		data[path.Base(name)] = base64.StdEncoding.EncodeToString(content)
	}
	return toYAML(data)
}

// capabilities is .Capabilities, with the Kubernetes version helm template
// assumes without a cluster.
type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
}

type kubeVersion struct{ Version, Major, Minor string }

func (k kubeVersion) String() string     { return k.Version }
func (k kubeVersion) GitVersion() string { return k.Version }

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	i := sort.SearchStrings(a, v)
	return i < len(a) && a[i] == v
}

func defaultCapabilities() capabilities {
	versions := apiVersions{
		"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2",
		"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
	}
	sort.Strings(versions)
	return capabilities{
		KubeVersion: kubeVersion{Version: "v1.20.0", Major: "1", Minor: "20"},
		APIVersions: versions,
	}
}
