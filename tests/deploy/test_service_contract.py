"""The real `ecr` binary against what the image and the chart expect of it:
started as they start it (the image's environment and shipped config file,
the variables the chart sets), it answers 200 on the HEALTHCHECK path, both
probe paths and the metrics path, and exits 0 on SIGTERM.
ECR_BINARY names the binary (set by ctest)."""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

from deploy_support import (REPO, NatsServer, dockerfile_env, dockerfile_stages, healthcheck_path,
                            load_values, probe_paths, stop)

READY_LINE = re.compile(r"ecr ready: listening on [^ ]+:([0-9]+)")
READY_TIMEOUT_S = 30
HTTP_TIMEOUT_S = 10

# What the chart adds to the image's environment, with values of a typical
# Kaa install; the Java-only and not-yet-used ones must not stop ecr.
CHART_ENV = {
  "REPLICA_ID": "kaa-ecr-5d8f7c9b4-x2x7q",
  "MONGODB_URL": "mongodb://kaa-mongodb:27017",
  "KAA_ECR_EP_REGISTER_BASE_URL": "http://kaa-epr",
  "KAA_SECURITY_ENABLED": "false",
  "KAA_SECURITY_IAMCORE_ENABLED": "false",
  "KAA_SECURITY_MULTITENANCY_ENABLED": "false",
  "KAA_TEKTON_ENABLED": "false",
  "JAVA_OPTS": load_values()["env"]["JAVA_OPTS"]["value"],
}


def image_config_file(runtime):
  """The repository file the image installs at APP_CONFIG_PATH."""
  target = dockerfile_env(runtime)["APP_CONFIG_PATH"]
  for instruction, args in runtime:
    words = args.split()
    if instruction == "COPY" and not args.startswith("--from") and words[-1] == target:
      return REPO / words[0]
  raise AssertionError(f"the image installs no file at {target}")


class running_ecr:
  """ecr started like the image starts it, on a free loopback port."""

  def __init__(self, nats_url):
    binary = os.environ.get("ECR_BINARY")
    if not binary:
      raise RuntimeError("ECR_BINARY is not set (ctest sets it)")
    runtime = dockerfile_stages()[-1]
    self._dir = tempfile.TemporaryDirectory()
    work = Path(self._dir.name)
    self.log_path = work / "ecr.log"
    env = {**os.environ, **dockerfile_env(runtime), **CHART_ENV}
    env.update(APP_CONFIG_PATH=str(image_config_file(runtime)),
               KAA_LICENSE_CERT_PATH=str(work / "license" / "license.p12"),
               STORAGE_SQLITE_PATH=str(work / "data" / "ecr.db"),
               SERVER_ADDRESS="127.0.0.1", SERVER_PORT="0", NATS_URLS=nats_url)
    with open(self.log_path, "w") as log:
      self.process = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT)
    self.port = self._wait_ready()

  def _wait_ready(self):
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
      match = READY_LINE.search(self.log())
      if match:
        return int(match.group(1))
      if self.process.poll() is not None:
        break
      time.sleep(0.01)
    self.close()
    raise AssertionError(f"ecr did not get ready:\n{self.log()}")

  def log(self):
    return self.log_path.read_text()

  def get(self, path):
    """(status, body) of a GET."""
    try:
      with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                  timeout=HTTP_TIMEOUT_S) as response:
        return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
      return error.code, error.read().decode()

  def stop(self):
    return stop(self.process)

  def close(self):
    if self.process.poll() is None:
      self.stop()
    self._dir.cleanup()


class service_contract_test(unittest.TestCase):
  def setUp(self):
    nats = self.enterContext(NatsServer())
    self.ecr = running_ecr(nats.url)
    self.addCleanup(self.ecr.close)

  def test_answers_the_paths_the_image_and_chart_probe(self):
    runtime = dockerfile_stages()[-1]
    probes = probe_paths()
    paths = {
      "HEALTHCHECK": healthcheck_path(runtime),
      "livenessProbe": probes.get("livenessProbe"),
      "readinessProbe": probes.get("readinessProbe"),
    }
    for name, path in paths.items():
      with self.subTest(name, path=path):
        self.assertIsNotNone(path, f"{name} has no path")
        status, body = self.ecr.get(path)
        self.assertEqual(status, 200, f"GET {path}: {body}")

  def test_serves_metrics_on_the_scraped_path(self):
    path = load_values()["monitoring"]["metrics"]["export"]["path"]
    status, body = self.ecr.get(path)
    self.assertEqual(status, 200, f"GET {path}: {body}")
    self.assertIn("# TYPE ", body)

  def test_sigterm_stops_it_with_exit_code_0(self):
    self.assertEqual(self.ecr.get("/health/ready")[0], 200)
    self.assertEqual(self.ecr.stop(), 0, self.ecr.log())


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
