"""Static checks of the chart's text, which rendering alone would not catch:
actions are balanced, every `.Values` path, named template and chart file the
templates use exists (also in branches no value set takes), every value is
used, and Chart.yaml declares Kaa's MongoDB dependency behind its switch.
test_chart.py renders the chart and checks the objects."""

import re
import sys
import unittest

import yaml

from deploy_support import CHART, REPO, flatten, load_values

TEMPLATES = sorted((CHART / "templates").glob("*.*"))
ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
VALUES_PATH = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
BLOCK_OPENERS = {"if", "range", "with", "define", "block"}

# Values read by someone other than these templates.
USED_ELSEWHERE = (
  "mongodb.",  # the bitnami MongoDB subchart (url, urlOverride, enabled are ours too)
  "exports.",  # an umbrella chart's import-values
  "monitoring.metrics.type",  # ignored: Java-only
)


def actions(text):
  """The text of each `{{ ... }}` action, without comments."""
  return [a for a in ACTION.findall(text) if not a.startswith("/*")]


def delimiter_errors(text):
  """Unclosed or stray `{{`/`}}`, scanning in order."""
  errors, depth = [], 0
  for token in re.findall(r"\{\{|\}\}", text):
    depth += 1 if token == "{{" else -1
    if depth not in (0, 1):
      errors.append(f"{'nested' if depth > 1 else 'stray'} {token}")
      depth = max(0, min(depth, 1))
  if depth:
    errors.append("unclosed {{")
  return errors


def block_errors(text):
  """Blocks (if/range/with/define) without their `end`, or the reverse."""
  errors, stack = [], []
  for action in actions(text):
    word = action.split()[0] if action.split() else ""
    if word in BLOCK_OPENERS:
      stack.append(word)
    elif word == "end":
      if stack:
        stack.pop()
      else:
        errors.append("end without a block")
    elif word == "else" and not stack:
      errors.append("else outside a block")
  errors += [f"{opener} without end" for opener in stack]
  return errors


def resolves(values, dotted):
  node = values
  for part in dotted.strip(".").split("."):
    if not isinstance(node, dict) or part not in node:
      return False
    node = node[part]
  return True


def values_paths():
  """Every `.Values.x.y` path the templates read, with where."""
  found = []
  for template in TEMPLATES:
    for action in actions(template.read_text()):
      found += [(template.name, m.strip(".")) for m in VALUES_PATH.findall(action)]
  return found


class templates_test(unittest.TestCase):
  def test_delimiters_are_balanced(self):
    errors = {t.name: delimiter_errors(t.read_text()) for t in TEMPLATES}
    self.assertEqual({k: v for k, v in errors.items() if v}, {})

  def test_blocks_are_closed(self):
    errors = {t.name: block_errors(t.read_text()) for t in TEMPLATES}
    self.assertEqual({k: v for k, v in errors.items() if v}, {})

  def test_values_paths_exist(self):
    values = load_values()
    missing = sorted({f"{name}: .Values.{path}" for name, path in values_paths()
                      if not resolves(values, path)})
    self.assertEqual(missing, [])

  def test_every_value_is_used(self):
    read = {path for _, path in values_paths()}
    unused = sorted(
      key for key in flatten(load_values())
      if not key.startswith(USED_ELSEWHERE)
      and not any(key == path or key.startswith((path + ".", path + "[")) for path in read))
    self.assertEqual(unused, [])

  def test_named_templates_are_defined(self):
    text = "".join(t.read_text() for t in TEMPLATES)
    defined = set(re.findall(r'\{\{-?\s*define\s+"([^"]+)"', text))
    used = set(re.findall(r'\b(?:include|template)\s+"([^"]+)"', text))
    self.assertEqual(sorted(used - defined), [])

  def test_chart_files_exist(self):
    text = "".join(t.read_text() for t in TEMPLATES)
    files = re.findall(r'\.Files\.Get\s+"([^"]+)"', text)
    self.assertTrue(files, "the wait script is expected to come from files/")
    self.assertEqual([f for f in files if not (CHART / f).is_file()], [])

  def test_mongodb_dependency_from_kaas_repository(self):
    # Kaa's chart requirements: mongodb 10.1.1 from the `@bitnami-pre-2022`
    # repository. Bitnami's main index no longer lists 10.1.1, and helm will
    # not render a chart whose dependency it could not fetch.
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    [mongodb] = [d for d in chart["dependencies"] if d["name"] == "mongodb"]
    self.assertEqual((mongodb["repository"], mongodb["version"]), ("@bitnami-pre-2022", "10.1.1"))
    operations = (REPO / "docs" / "operations.md").read_text()
    self.assertIn("helm repo add bitnami-pre-2022 ", operations)
    self.assertIn("helm dependency build deploy/helm/ecr", operations)

  def test_mongodb_dependency_behind_its_switch(self):
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    self.assertEqual(chart["apiVersion"], "v2")
    mongodb = [d for d in chart.get("dependencies", []) if d["name"] == "mongodb"]
    self.assertEqual(len(mongodb), 1)
    values = load_values()
    for path in mongodb[0]["condition"].split(","):
      self.assertTrue(resolves(values, path), path)
    self.assertIn("mongodb.enabled", mongodb[0]["condition"].split(","))


class checks_catch_mistakes_test(unittest.TestCase):
  """The checkers above on small broken inputs, so they are known to fail."""

  def test_delimiters(self):
    self.assertEqual(delimiter_errors("a: {{ .x }}"), [])
    self.assertTrue(delimiter_errors("a: {{ .x }"))
    self.assertTrue(delimiter_errors("a: {{ {{ .x }}"))

  def test_blocks(self):
    self.assertEqual(block_errors("{{ if .a }}{{ else }}{{ end }}"), [])
    self.assertEqual(block_errors("{{- range .a }}{{- with .b }}{{ end }}"), ["range without end"])
    self.assertEqual(block_errors("{{ end }}"), ["end without a block"])

  def test_paths(self):
    self.assertTrue(resolves({"a": {"b": 1}}, "a.b"))
    self.assertFalse(resolves({"a": {"b": 1}}, "a.c"))
    self.assertFalse(resolves({"a": {"b": 1}}, "a.b.c"))


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
