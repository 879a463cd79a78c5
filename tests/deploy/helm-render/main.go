// Command helm-render renders a Helm chart's templates the way `helm template`
// does, so the tests can check the objects deploy/helm/ecr produces. Debian 12
// has no helm, but it has what Helm's engine is made of: Go's text/template and
// sprig; this program adds Helm's own functions, built-in objects and values
// handling on top.
//
//	helm-render [--release NAME] [--namespace NS] [-f VALUES]... [--set PATH=VALUE]... CHART
//
// It writes the rendered manifests to standard output as one YAML stream, each
// template's output headed by "# Source: <chart>/templates/<file>" as helm
// prints it. A template that calls fail or required fails the run: exit status
// 1 and helm's "Error: execution error at (<template>:<line>:<col>): <message>"
// on standard error.
//
// Left out, since the ecr chart does not need them: rendering subcharts
// (charts/ is not read), values.schema.json, .helmignore, toToml, and the
// cluster behind lookup (it answers an empty map, as in `helm template`).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// listFlag collects the values of a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	release := flag.String("release", "release-name", "release name (.Release.Name)")
	namespace := flag.String("namespace", "default", "namespace (.Release.Namespace)")
	var files, sets listFlag
	flag.Var(&files, "f", "a values file; later ones win (repeatable)")
	flag.Var(&sets, "set", "PATH=VALUE[,PATH=VALUE] applied after the files (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: helm-render [--release NAME] [--namespace NS] [-f VALUES]... [--set PATH=VALUE]... CHART")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *release, *namespace, files, sets); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(chartDir, release, namespace string, files, sets []string) error {
	c, err := loadChart(chartDir)
	if err != nil {
		return err
	}
	user, err := userValues(files, sets)
	if err != nil {
		return err
	}
	top := map[string]interface{}{
		"Values":       coalesce(user, c.values),
		"Chart":        c.meta,
		"Files":        c.files,
		"Capabilities": defaultCapabilities(),
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm",
			"Revision": 1, "IsInstall": true, "IsUpgrade": false,
		},
	}
	manifests, err := render(c, top)
	if err != nil {
		return err
	}
	for _, m := range manifests {
		fmt.Printf("---\n# Source: %s\n%s\n", m.name, m.text)
	}
	return nil
}
