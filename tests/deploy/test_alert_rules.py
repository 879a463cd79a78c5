"""The alert rules in values.yaml (monitoring.rules) are a valid Prometheus
rules file for promtool, and read the connection-pool series ecr exports."""

import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

from deploy_support import load_values

# The outbound HTTP client's pool series that Kaa's rules read (issue 7).
POOL_METRICS = {
  "httpcomponents_httpclient_pool_total_connections",
  "httpcomponents_httpclient_pool_total_pending",
  "httpclient_pool_total_max",
  "httpclient_pool_routes_with_half_leased_connections",
  "httpclient_pool_routes_with_max_leased_connections",
  "httpclient_pool_routes_with_pending_connections",
}


def check_rules(rules):
  """Runs `promtool check rules` on the rules as one group; (exit code, output)."""
  promtool = shutil.which("promtool")
  if promtool is None:
    raise RuntimeError("promtool missing: run scripts/install-deps.sh (Debian package prometheus)")
  with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "ecr-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "ecr", "rules": rules}]}))
    run = subprocess.run([promtool, "check", "rules", str(path)],
                         capture_output=True, text=True, timeout=60)
  return run.returncode, run.stdout + run.stderr


class alert_rules_test(unittest.TestCase):
  def setUp(self):
    self.rules = load_values()["monitoring"]["rules"]

  def test_promtool_accepts_the_rules(self):
    code, output = check_rules(self.rules)
    self.assertEqual(code, 0, output)
    self.assertIn(f"SUCCESS: {len(self.rules)} rules found", output)

  def test_promtool_rejects_a_broken_rule(self):
    # Shows the check above can fail: same rules, one expression cut short.
    broken = [dict(rule) for rule in self.rules]
    broken[0]["expr"] = broken[0]["expr"].rsplit(")", 1)[0]
    code, output = check_rules(broken)
    self.assertNotEqual(code, 0, output)

  def test_rules_read_the_pool_metrics(self):
    names = set()
    for rule in self.rules:
      names.update(re.findall(r"\b([a-z_]+)\{", rule["expr"]))
    self.assertEqual(names, POOL_METRICS)


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
