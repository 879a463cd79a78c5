"""Helpers shared by the deploy/ tests: paths, values.yaml, the Dockerfile's
instructions, the chart's probes, the chart rendered by helm-render, and real
servers started for a test."""

import json
import os
import re
import shlex
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "ecr"
DOCKERFILE = REPO / "deploy" / "Dockerfile"
NATS_SERVER = "/usr/sbin/nats-server"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 60


def load_values():
  return yaml.safe_load((CHART / "values.yaml").read_text())


def flatten(node, prefix=""):
  """Dotted leaf paths of a values tree, in the notation of Kaa's table:
  `a.b`, `list[0].c`; an empty map or list is itself a leaf."""
  if isinstance(node, dict) and node:
    items = ((f"{prefix}.{k}" if prefix else str(k), v) for k, v in node.items())
  elif isinstance(node, list) and node:
    items = ((f"{prefix}[{i}]", v) for i, v in enumerate(node))
  else:
    return {prefix: node}
  leaves = {}
  for path, child in items:
    leaves.update(flatten(child, path))
  return leaves


def dockerfile_stages():
  """The Dockerfile as a list of stages, each a list of (INSTRUCTION, args)
  with continuation lines joined and comments dropped."""
  lines, current = [], ""
  for raw in DOCKERFILE.read_text().splitlines():
    stripped = raw.strip()
    # Blank lines and comments, also those inside a continued instruction.
    if not stripped or stripped.startswith("#"):
      continue
    part = stripped.rstrip("\\").strip()
    current = f"{current} {part}" if current else part
    if not stripped.endswith("\\"):
      lines.append(current)
      current = ""
  stages = []
  for line in lines:
    instruction, _, args = line.partition(" ")
    instruction = instruction.upper()
    if instruction == "FROM":
      stages.append([])
    stages[-1].append((instruction, args.strip()))
  return stages


def dockerfile_env(stage):
  """ENV of a stage as a dict (KEY=VALUE form)."""
  env = {}
  for instruction, args in stage:
    if instruction == "ENV":
      for word in shlex.split(args):
        key, _, value = word.partition("=")
        env[key] = value
  return env


def healthcheck_path(stage):
  """The HTTP path the image's HEALTHCHECK asks for."""
  for instruction, args in stage:
    if instruction == "HEALTHCHECK":
      match = re.search(r"https?://[^/\s\"]+(/[^\s\"]*)", args)
      if match:
        return match.group(1)
  return None


def probe_paths():
  """Probe kind (livenessProbe, ...) -> httpGet path in the Deployment."""
  text = (CHART / "templates" / "deployment.yaml").read_text()
  return dict(re.findall(r"(\w+Probe):\s*\n\s*httpGet:\s*\n\s*path:\s*(\S+)", text))


class strict_loader(yaml.SafeLoader):
  """A YAML loader that refuses a key given twice in one mapping, as the
  Kubernetes API does; PyYAML would silently keep the last."""

  def construct_mapping(self, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
      key = self.construct_object(key_node, deep=True)
      if key in seen:
        raise yaml.constructor.ConstructorError(
          None, None, f"duplicate key {key!r}", key_node.start_mark)
      seen.add(key)
    return super().construct_mapping(node, deep)


class rendering:
  """What helm-render made of the chart: the objects (each parsed strictly)
  or, when a template refused the values, helm's error message."""

  def __init__(self, run):
    self.returncode = run.returncode
    self.error = run.stderr.strip()
    self.objects = []
    if run.returncode == 0:
      self.objects = [o for o in yaml.load_all(run.stdout, Loader=strict_loader) if o]

  def of_kind(self, kind):
    return [o for o in self.objects if o["kind"] == kind]

  def one(self, kind):
    """The only object of a kind; fails the caller when there are more or none."""
    found = self.of_kind(kind)
    if len(found) != 1:
      raise AssertionError(f"{len(found)} objects of kind {kind}, expected one")
    return found[0]

  def pod(self):
    return self.one("Deployment")["spec"]["template"]["spec"]

  def container(self):
    containers = self.pod()["containers"]
    if [c["name"] for c in containers] != ["ecr"]:
      raise AssertionError(f"containers {[c['name'] for c in containers]}, expected [ecr]")
    return containers[0]

  def env(self):
    """Container variables: name -> value, or the EnvVarSource dict for valueFrom."""
    return {v["name"]: v["value"] if "value" in v else v["valueFrom"]
            for v in self.container().get("env", [])}


def render(*sets, values=(), release="kaa-ecr"):
  """Renders the chart like `helm template RELEASE deploy/helm/ecr -f VALUES...
  --set SET...`; each of `values` is a file's Path or a dict (None for null)
  written to one. ECR_HELM_RENDER names the renderer (set by ctest)."""
  binary = os.environ.get("ECR_HELM_RENDER")
  if not binary:
    raise RuntimeError("ECR_HELM_RENDER is not set (ctest sets it)")
  with tempfile.TemporaryDirectory() as tmp:
    args = [binary, "--release", release]
    for i, v in enumerate(values):
      if isinstance(v, dict):
        path = Path(tmp) / f"values-{i}.yaml"
        path.write_text(yaml.safe_dump(v))
        v = path
      args += ["-f", str(v)]
    for s in sets:
      args += ["--set", s]
    run = subprocess.run(args + [str(CHART)], capture_output=True, text=True, timeout=60)
  return rendering(run)


def free_port():
  """A loopback port nobody listens on (now)."""
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def stop(process):
  """SIGTERM by PID, then wait; returns the exit code."""
  if process.poll() is None:
    process.terminate()
  try:
    return process.wait(timeout=STOP_TIMEOUT_S)
  except subprocess.TimeoutExpired:
    process.kill()
    process.wait()
    raise


class NatsServer:
  """A nats-server on a random loopback port, stopped on exit."""

  def __enter__(self):
    self._dir = tempfile.TemporaryDirectory()
    self._log = open(Path(self._dir.name) / "nats-server.log", "w+")
    self.process = subprocess.Popen(
      [NATS_SERVER, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", self._dir.name],
      stdout=self._log, stderr=subprocess.STDOUT)
    # The ports file appears once the listeners are up.
    ports_file = Path(self._dir.name) / f"nats-server_{self.process.pid}.ports"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
      try:
        url = json.loads(ports_file.read_text())["nats"][0]
        break
      except (OSError, ValueError, KeyError, IndexError):
        pass
      if self.process.poll() is not None or time.monotonic() > deadline:
        self.__exit__(None, None, None)
        raise RuntimeError(f"nats-server did not start: {self.log()}")
      time.sleep(0.01)
    self.url = url
    self.port = int(url.rsplit(":", 1)[1])
    return self

  def log(self):
    self._log.seek(0)
    return self._log.read()

  def __exit__(self, *exc):
    stop(self.process)
    self._log.close()
    self._dir.cleanup()
