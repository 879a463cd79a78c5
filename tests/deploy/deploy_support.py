"""Helpers shared by the deploy/ tests: paths, values.yaml, the Dockerfile's
instructions, the chart's probes, and real servers started for a test."""

import json
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
