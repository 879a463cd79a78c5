"""Static checks of deploy/Dockerfile (no Docker engine is needed): it builds
with the project's scripts, runs as a non-root user with Kaa's paths, stops and
checks health the way the service does, and agrees with the chart."""

import fnmatch
import os
import re
import sys
import unittest

from deploy_support import CHART, REPO, dockerfile_env, dockerfile_stages, healthcheck_path, probe_paths

CONFIG_PATH = "/srv/ecr/service-config.yml"
LICENSE_PATH = "/run/license/license.p12"
PORT = "8080"


def instructions(stage, name):
  return [args for instruction, args in stage if instruction == name]


def dockerignore_patterns():
  path = REPO / ".dockerignore"
  lines = path.read_text().splitlines() if path.exists() else []
  return [l.strip() for l in lines if l.strip() and not l.strip().startswith("#")]


def ignored(path, patterns):
  """Whether `path` (relative to the repository) is left out of the build
  context: a pattern matches it or one of its parent folders."""
  parts = path.split("/")
  prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
  return any(fnmatch.fnmatch(prefix, p) or fnmatch.fnmatch(prefix, p.removeprefix("**/"))
             for p in patterns for prefix in prefixes)


class dockerfile_test(unittest.TestCase):
  def setUp(self):
    self.stages = dockerfile_stages()
    self.builder, self.runtime = self.stages[0], self.stages[-1]
    self.env = dockerfile_env(self.runtime)

  def test_every_stage_is_debian_12_slim(self):
    self.assertGreaterEqual(len(self.stages), 2, "multi-stage")
    for stage in self.stages:
      self.assertRegex(instructions(stage, "FROM")[0], r"^debian:12-slim\b")

  def test_builder_uses_the_project_scripts(self):
    runs = " ".join(instructions(self.builder, "RUN"))
    self.assertIn("scripts/install-deps.sh", runs)
    self.assertIn("scripts/build.sh", runs)

  def test_runtime_installs_no_build_tools(self):
    runs = " ".join(instructions(self.runtime, "RUN"))
    self.assertNotIn("install-deps.sh", runs)
    self.assertNotIn("build-essential", runs)
    self.assertNotRegex(runs, r"\S+-dev\b")

  def test_runs_as_a_non_root_user(self):
    users = instructions(self.runtime, "USER")
    self.assertTrue(users, "no USER in the runtime stage")
    user = users[-1].split(":")[0]
    self.assertNotIn(user, ("root", "0"))

  def test_data_directory_belongs_to_the_user(self):
    data_dir = os.path.dirname(self.env["STORAGE_SQLITE_PATH"])
    runs = " ".join(instructions(self.runtime, "RUN"))
    self.assertRegex(runs, rf"install -d -o \S+ -g \S+ (-m \S+ )?{re.escape(data_dir)}\b")
    self.assertIn(data_dir, " ".join(instructions(self.runtime, "VOLUME")))

  def test_kaa_paths(self):
    self.assertEqual(self.env.get("APP_CONFIG_PATH"), CONFIG_PATH)
    self.assertEqual(self.env.get("KAA_LICENSE_CERT_PATH"), LICENSE_PATH)
    copies = instructions(self.runtime, "COPY")
    self.assertTrue(any(c.split()[-1] == CONFIG_PATH for c in copies), "config not installed")

  def test_stops_with_sigterm(self):
    self.assertEqual(instructions(self.runtime, "STOPSIGNAL"), ["SIGTERM"])

  def test_health_check_asks_the_liveness_route_with_an_installed_tool(self):
    self.assertEqual(healthcheck_path(self.runtime), "/health")
    check = instructions(self.runtime, "HEALTHCHECK")[0]
    self.assertIn("${SERVER_PORT}", check)
    tool = check.split("CMD", 1)[1].split()[0]
    self.assertIn(tool, " ".join(instructions(self.runtime, "RUN")), "health check tool not installed")

  def test_listens_on_the_exposed_port(self):
    self.assertEqual(self.env.get("SERVER_PORT"), PORT)
    self.assertIn(PORT, instructions(self.runtime, "EXPOSE"))

  def test_copied_sources_exist_and_reach_the_context(self):
    patterns = dockerignore_patterns()
    for stage in self.stages:
      for copy in instructions(stage, "COPY"):
        if copy.startswith("--from"):
          continue
        for source in copy.split()[:-1]:
          source = source.rstrip("/")
          if source == ".":
            continue
          self.assertTrue((REPO / source).exists(), source)
          self.assertFalse(ignored(source, patterns), f"{source} is in .dockerignore")

  def test_agrees_with_the_chart(self):
    deployment = (CHART / "templates" / "deployment.yaml").read_text()
    self.assertIn(f"containerPort: {PORT}", deployment)
    self.assertRegex(deployment, rf"name: SERVER_PORT\s+value: \"{PORT}\"")
    self.assertRegex(deployment, rf"name: APP_CONFIG_PATH\s+value: {CONFIG_PATH}")
    self.assertRegex(deployment, rf"name: KAA_LICENSE_CERT_PATH\s+value: {LICENSE_PATH}")
    self.assertIn(f"mountPath: {os.path.dirname(self.env['STORAGE_SQLITE_PATH'])}", deployment)
    self.assertEqual(probe_paths().get("livenessProbe"), healthcheck_path(self.runtime))


class ignore_matching_test(unittest.TestCase):
  def test_matches_folders_and_files(self):
    self.assertTrue(ignored("build-release/ecr", ["build*"]))
    self.assertTrue(ignored("deploy/helm/ecr/values.yaml", ["deploy/helm"]))
    self.assertTrue(ignored("data/x/ecr.db", ["**/*.db"]))
    self.assertFalse(ignored("deploy/service-config.yml", ["deploy/helm", "build*"]))


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
