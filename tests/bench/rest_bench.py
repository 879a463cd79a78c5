#!/usr/bin/env python3
"""REST benchmark of the `ecr` binary, with nginx as the same-run reference.

Measures GET throughput/latency over N stored endpoint configs (vs nginx serving a
static file of the same size), durable PUT throughput, idle and loaded RSS, and
start-to-ready time, then prints a summary table against the design targets.
With --security it then compares GET with REST security off, with Keycloak and with
Keycloak multitenancy (tests/support/keycloak_stand_in.py as the identity provider).
Figures are printed, never asserted: the exit code only says whether the run
itself worked. Everything runs on loopback; every child is stopped by PID and the
temp dir removed, also on Ctrl-C, SIGTERM or failure. See README.md here.
"""

import argparse
import base64
import http.client
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"
APP_VERSION = "bench-v1"
READY_RE = re.compile(rb"ecr ready: listening on [^ ]+:([0-9]+)")
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 10.0
WRK_GRACE_S = 30.0
# Generous bound for seeding: a fixed allowance plus 5 ms per config.
SEED_BASE_S = 60.0
SEED_PER_CONFIG_S = 0.005
MIB = 1024 * 1024

# Design targets (DESIGN.md, "Performance targets").
GET_RATIO_TARGET = 0.6
GET_P99_TARGET_MS = 2.0
PUT_RATE_TARGET = 10_000
IDLE_RSS_TARGET_MIB = 20
BIG_STORE_CONFIGS = 1_000_000
BIG_STORE_RSS_TARGET_MIB = 64
READY_TARGET_MS = 100

# --security: GET with REST security off, with Keycloak, and with Keycloak multitenancy.
SECURITY_RATIO_TARGET = 0.8
SUPPORT_DIR = HERE.parent / "support"
CLIENT_ID = "ecr"
DEFAULT_REALM = "kaa"  # the realm of KAA_SECURITY_ISSUER_PUBLIC_URL
TENANT = "acme"  # the multitenant run's tenant: a realm of its own
APPLICATION = "bench"
BENCH_USER = "bench-user"
TOKEN_KID = "bench-key"
TOKEN_LIFETIME_S = 3600
# ecr's default decision lifetime, set explicitly so the run is what the output says.
DECISION_CACHE_S = 30
# How many decisions ecr keeps (access_checker_config::max_cached): with more keys
# than this, the measured runs keep asking the stand-in.
DECISION_CACHE_ENTRIES = 10_000
# The one application; its tenant-id counts only when ecr is tenant-scoped.
SECURITY_APP_CONFIG = f"""kaa:
  applications:
    {APPLICATION}:
      tenant-id: {TENANT}
      versions: [{APP_VERSION}]
"""


class BenchError(Exception):
  """The run itself failed (not a missed target)."""


def endpoint_id(i):
  # Same format as get_random.lua builds.
  return f"ep-{i:08d}"


def config_path(endpoint):
  return f"/api/v1/endpoints/{endpoint}/app-versions/{APP_VERSION}"


def seed_config(i):
  """About 100 bytes of minified JSON, distinct per endpoint."""
  return json.dumps({"endpoint": endpoint_id(i), "mode": "eco", "sampleRate": 250 + i % 100,
                     "thresholds": {"low": 10, "high": 90}, "tags": ["bench", "seed"]},
                    separators=(",", ":"))


def free_loopback_port():
  with socket.socket() as s:
    s.bind((LOOPBACK, 0))
    return s.getsockname()[1]


def tail(path, lines=30):
  try:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
  except OSError:
    return "(no log)"


class Children:
  """Every process this driver started, so cleanup can stop each one by PID."""

  def __init__(self):
    self._procs = []

  def spawn(self, argv, **kwargs):
    # Own session: a Ctrl-C on the terminal reaches only the driver, which then
    # stops the children in order.
    proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
    self._procs.append(proc)
    return proc

  @staticmethod
  def stop(proc):
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S; returns the exit code (None if killed).

    Signals the child's own process group (its PID), so helpers it may have
    spawned go too and nothing outlives the run.
    """
    if proc.poll() is not None:
      return proc.returncode
    os.killpg(proc.pid, signal.SIGTERM)
    try:
      return proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
      os.killpg(proc.pid, signal.SIGKILL)
      proc.wait()
      return None

  def stop_all(self):
    for proc in reversed(self._procs):
      self.stop(proc)


class Ecr:
  """One ecr process on loopback with a given store path; `env` adds variables."""

  def __init__(self, children, binary, workdir, env=None):
    self._children = children
    self._binary = binary
    self._workdir = workdir
    self._env = env or {}
    self.db_path = workdir / "data" / "ecr.db"
    self.log_path = workdir / "ecr.log"
    self.proc = None
    self.port = None

  def start(self):
    """Starts ecr and waits for its ready line; returns seconds from spawn to ready."""
    env = dict(os.environ,
               APP_CONFIG_PATH=str(self._workdir / "service-config.yml"),
               SERVER_ADDRESS=LOOPBACK,
               SERVER_PORT="0",
               STORAGE_SQLITE_PATH=str(self.db_path), **self._env)
    log = open(self.log_path, "ab", buffering=0)
    started = time.perf_counter()
    self.proc = self._children.spawn([self._binary], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
      self.port, ready = self._wait_ready(log, started + READY_TIMEOUT_S)
    except BaseException:
      log.close()
      raise
    # Keep draining stdout so logging can never block the server on a full pipe.
    threading.Thread(target=self._drain, args=(log,), daemon=True).start()
    return ready - started

  def _wait_ready(self, log, deadline):
    fd = self.proc.stdout.fileno()
    pending = b""
    while True:
      remaining = deadline - time.perf_counter()
      if remaining <= 0:
        raise BenchError(f"ecr not ready within {READY_TIMEOUT_S:.0f} s")
      readable, _, _ = select.select([fd], [], [], remaining)
      if not readable:
        continue
      chunk = os.read(fd, 65536)
      now = time.perf_counter()
      if not chunk:
        raise BenchError(f"ecr exited with code {self.proc.wait()} before it was ready")
      log.write(chunk)
      pending += chunk
      # Only complete lines, so a port split across two reads is never cut short.
      *lines, pending = pending.split(b"\n")
      for line in lines:
        match = READY_RE.search(line)
        if match:
          return int(match.group(1)), now

  def _drain(self, log):
    with log:
      fd = self.proc.stdout.fileno()
      while chunk := os.read(fd, 65536):
        log.write(chunk)

  def stop(self):
    return Children.stop(self.proc)

  def rss_mib(self):
    status = Path(f"/proc/{self.proc.pid}/status").read_text()
    kib = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
    return kib / 1024


class Nginx:
  """nginx serving one static file on a free loopback port, from its own temp prefix."""

  def __init__(self, children, workdir, body):
    self._children = children
    self._dir = workdir / "nginx"
    self._body = body
    self.proc = None
    self.port = None

  def _write_conf(self):
    d = self._dir
    (d / "www").mkdir(parents=True)
    (d / "tmp").mkdir()
    (d / "www" / "body.json").write_bytes(self._body)
    temp_paths = "\n".join(f"  {kind}_temp_path {d}/tmp/{kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # One process serving (master off keeps it to the one PID we stop); keep-alive
    # unlimited, like ecr's, so the reference does not pay for reconnects.
    conf = f"""worker_processes 1;
master_process off;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  default_type application/json;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000000;
{temp_paths}
  server {{
    listen {LOOPBACK}:{self.port};
    root {d}/www;
    location / {{ try_files /body.json =404; }}
  }}
}}
"""
    (d / "nginx.conf").write_text(conf)

  def start(self):
    self.port = free_loopback_port()
    self._write_conf()
    self.proc = self._children.spawn(
        [find_tool("nginx"), "-p", str(self._dir), "-c", str(self._dir / "nginx.conf"),
         "-e", str(self._dir / "error.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
      if self.proc.poll() is not None:
        raise BenchError(f"nginx exited with {self.proc.returncode}:\n"
                         f"{tail(self._dir / 'error.log')}")
      try:
        status, body = http_request(self.port, "GET", config_path(endpoint_id(0)))
      except (OSError, http.client.HTTPException):
        time.sleep(0.02)
        continue
      if status != 200 or body != self._body:
        raise BenchError(f"nginx answered {status} with {len(body)} bytes")
      return
    raise BenchError(f"nginx not serving within {READY_TIMEOUT_S:.0f} s")

  def stop(self):
    return Children.stop(self.proc)


def find_tool(name):
  # nginx lives in /usr/sbin, which is not on every user's PATH.
  found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
  if not found:
    raise BenchError(f"{name} not found; run scripts/install-deps.sh")
  return found


def http_request(port, method, path, body=None):
  conn = http.client.HTTPConnection(LOOPBACK, port, timeout=HTTP_TIMEOUT_S)
  try:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body, headers)
    resp = conn.getresponse()
    return resp.status, resp.read()
  finally:
    conn.close()


def for_each_key(port, first, count, workers, what, job):
  """Runs `job(conn, i)` for i in first..count-1 over `workers` keep-alive connections,
  within the seeding time bound; returns elapsed seconds. `what` names the work in errors."""
  deadline = time.monotonic() + SEED_BASE_S + SEED_PER_CONFIG_S * (count - first)
  stop = threading.Event()

  def work(start):
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=HTTP_TIMEOUT_S)
    try:
      for i in range(start, count, workers):
        if stop.is_set():
          return
        if time.monotonic() > deadline:
          raise BenchError(f"{what} took too long")
        job(conn, i)
    except BaseException:
      stop.set()
      raise
    finally:
      conn.close()

  started = time.monotonic()
  with ThreadPoolExecutor(workers) as pool:
    futures = [pool.submit(work, first + k) for k in range(workers)]
    try:
      for future in futures:
        future.result()
    except BaseException:
      stop.set()
      raise
  return time.monotonic() - started


def seed(port, count, workers, first=0):
  """PUTs configs first..count-1 over `workers` keep-alive connections; returns elapsed seconds."""
  def put(conn, i):
    conn.request("PUT", config_path(endpoint_id(i)), seed_config(i),
                 {"Content-Type": "application/json"})
    resp = conn.getresponse()
    answer = resp.read()
    if resp.status != 200:
      raise BenchError(f"seed PUT {endpoint_id(i)} answered {resp.status}: {answer[:200]!r}")

  return for_each_key(port, first, count, workers, f"seeding {count} configs", put)


def check_config(i, status, body):
  """Raises unless a GET of seeded config `i` answered 200 with that config."""
  if status != 200:
    raise BenchError(f"GET {endpoint_id(i)} answered {status}: {body[:200]!r}")
  stored = json.loads(json.loads(body)["config"])
  if stored != json.loads(seed_config(i)):
    raise BenchError(f"GET {endpoint_id(i)} returned another config: {body[:200]!r}")


def check_get(port, i):
  """GETs one seeded config, checks it is the one stored, returns the raw body."""
  status, body = http_request(port, "GET", config_path(endpoint_id(i)))
  check_config(i, status, body)
  return body


def read_back(port, count, workers, headers):
  """GETs every seeded config once with `headers`, checking each; returns elapsed seconds."""
  def get(conn, i):
    conn.request("GET", config_path(endpoint_id(i)), headers=headers)
    resp = conn.getresponse()
    check_config(i, resp.status, resp.read())

  return for_each_key(port, 0, count, workers, f"reading back {count} configs", get)


@dataclass
class WrkResult:
  rps: float
  p50_ms: float
  p90_ms: float
  p99_ms: float
  max_ms: float
  requests: int
  socket_errors: int
  status_errors: int  # HTTP status > 399 as counted by wrk
  non2xx: int | None  # counted by the script where it does so

  def line(self, label, unit):
    failed = f"  non-2xx {self.non2xx}" if self.non2xx is not None else \
        f"  http>=400 {self.status_errors}"
    return (f"{label:<12} {self.rps:>11,.0f} {unit}  p50 {self.p50_ms:.3f} ms  "
            f"p90 {self.p90_ms:.3f} ms  p99 {self.p99_ms:.3f} ms  max {self.max_ms:.1f} ms  "
            f"requests {self.requests:,}  socket errors {self.socket_errors}{failed}")


def run_wrk(children, port, script, script_args, opts, duration_s, headers=()):
  """One wrk run; `headers` ("Name: value") go on every request (wrk -H)."""
  header_args = [arg for header in headers for arg in ("-H", header)]
  argv = [find_tool("wrk"), f"-t{opts.threads}", f"-c{opts.connections}", f"-d{duration_s}s",
          "--latency", *header_args, "-s", str(HERE / script), f"http://{LOOPBACK}:{port}/",
          "--", *map(str, script_args)]
  proc = children.spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
  try:
    out, err = proc.communicate(timeout=duration_s + WRK_GRACE_S)
  except subprocess.TimeoutExpired:
    Children.stop(proc)
    raise BenchError(f"wrk did not finish within {duration_s + WRK_GRACE_S:.0f} s")
  if opts.verbose:
    print(out, end="")
  found = re.search(r"^BENCH_RESULT (\{.*\})$", out, re.M)
  if proc.returncode != 0 or not found:
    raise BenchError(f"wrk failed (exit {proc.returncode}):\n{out}\n{err}")
  r = json.loads(found.group(1))
  return WrkResult(
      rps=r["requests"] / (r["duration_us"] / 1e6),
      p50_ms=r["p50_us"] / 1000, p90_ms=r["p90_us"] / 1000, p99_ms=r["p99_us"] / 1000,
      max_ms=r["max_us"] / 1000, requests=int(r["requests"]),
      socket_errors=int(r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]),
      status_errors=int(r["err_status"]),
      non2xx=int(r["non2xx"]) if "non2xx" in r else None)


def bench_get(children, port, opts, configs, headers=()):
  """GETs of random ones of `configs` seeded keys: warm-up, then the measured wrk run."""
  args = (configs, APP_VERSION)
  run_wrk(children, port, "get_random.lua", args, opts, opts.warmup, headers)
  return run_wrk(children, port, "get_random.lua", args, opts, opts.duration, headers)


@dataclass
class Row:
  metric: str
  value: str
  reference: str = "-"
  ratio: str = "-"
  target: str = "-"
  met: str = "-"


def yes_no(ok):
  return "yes" if ok else "NO"


def print_table(rows):
  header = Row("metric", "value", "reference", "ratio", "target", "met")
  cells = [[r.metric, r.value, r.reference, r.ratio, r.target, r.met] for r in [header, *rows]]
  widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
  for n, row in enumerate(cells):
    print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    if n == 0:
      print("  ".join("-" * w for w in widths))


def shout(message):
  bar = "!" * 78
  print(f"\n{bar}\n!!! {message}\n{bar}\n", flush=True)


def stop_ecr(ecr):
  """Stops ecr with SIGTERM; shouts and returns False unless it exited 0 in time."""
  exit_code = ecr.stop()
  if exit_code is None:
    shout(f"ecr did not exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM; killed. "
          f"Last log lines:\n{tail(ecr.log_path, 5)}")
  elif exit_code != 0:
    shout(f"ecr exited with {exit_code} on SIGTERM (expected 0)")
  return exit_code == 0


def tool_version(argv):
  try:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
  except (OSError, subprocess.TimeoutExpired):
    return "?"
  text = (done.stdout + done.stderr).strip().splitlines()
  return text[0] if text else "?"


@dataclass
class Results:
  ecr_get: WrkResult
  nginx_get: WrkResult
  put: WrkResult
  idle_rss_mib: float
  loaded_rss_mib: float
  ready_ms: list
  clean_stops: list  # one bool per SIGTERM: exited 0 in time


def measure(opts, children, workdir):
  (workdir / "service-config.yml").write_text("")
  (workdir / "data").mkdir()
  ecr = Ecr(children, opts.ecr, workdir)
  ecr.start()
  print(f"ecr ready on {LOOPBACK}:{ecr.port}; idle {opts.idle_wait:g} s", flush=True)
  time.sleep(opts.idle_wait)
  idle_rss = ecr.rss_mib()
  print(f"idle RSS {idle_rss:.1f} MiB", flush=True)

  took = seed(ecr.port, opts.configs, opts.seed_workers)
  print(f"seeded {opts.configs:,} configs in {took:.1f} s ({opts.configs / took:,.0f}/s)",
        flush=True)
  body = check_get(ecr.port, 0)
  check_get(ecr.port, opts.configs - 1)
  print(f"GET body {len(body)} bytes; nginx serves a file of the same size", flush=True)

  ecr_get = bench_get(children, ecr.port, opts, opts.configs)
  print(ecr_get.line("ecr GET", "req/s"), flush=True)

  nginx = Nginx(children, workdir, body)
  nginx.start()
  try:
    nginx_get = bench_get(children, nginx.port, opts, opts.configs)
  finally:
    nginx.stop()
  print(nginx_get.line("nginx GET", "req/s"), flush=True)

  put = run_wrk(children, ecr.port, "put_unique.lua", (APP_VERSION,), opts, opts.duration)
  print(put.line("ecr PUT", "writes/s"), flush=True)
  if put.non2xx or put.socket_errors:
    shout(f"PUT: {put.non2xx} non-2xx responses and {put.socket_errors} socket errors "
          f"(must be 0). Last log lines:\n{tail(ecr.log_path, 5)}")
  loaded_rss = ecr.rss_mib()
  print(f"RSS after load {loaded_rss:.1f} MiB", flush=True)
  clean_stops = [stop_ecr(ecr)]

  ready_ms = []
  for _ in range(opts.starts):
    ready_ms.append(ecr.start() * 1000)
    clean_stops.append(stop_ecr(ecr))
  print("start-to-ready ms: " + ", ".join(f"{ms:.1f}" for ms in ready_ms), flush=True)
  return Results(ecr_get, nginx_get, put, idle_rss, loaded_rss, ready_ms, clean_stops)


def summary_rows(opts, r):
  get_ratio = r.ecr_get.rps / r.nginx_get.rps
  get_errors = r.ecr_get.socket_errors + r.ecr_get.status_errors
  put_failed = r.put.non2xx + r.put.socket_errors
  ready = statistics.median(r.ready_ms)
  stops = len(r.clean_stops)
  # The design's RSS bound under load is stated for the 1M-config store only.
  big = opts.configs >= BIG_STORE_CONFIGS
  return [
      Row("GET throughput (req/s)", f"{r.ecr_get.rps:,.0f}", f"{r.nginx_get.rps:,.0f} nginx",
          f"{get_ratio:.2f}x", f">= {GET_RATIO_TARGET}x nginx",
          yes_no(get_ratio >= GET_RATIO_TARGET)),
      Row("GET p99 (ms)", f"{r.ecr_get.p99_ms:.3f}", f"{r.nginx_get.p99_ms:.3f} nginx",
          f"{r.ecr_get.p99_ms / r.nginx_get.p99_ms:.2f}x", f"<= {GET_P99_TARGET_MS:g} ms",
          yes_no(r.ecr_get.p99_ms <= GET_P99_TARGET_MS)),
      Row("GET errors (socket + http>=400)", str(get_errors), target="0",
          met=yes_no(get_errors == 0)),
      Row("PUT durable (writes/s)", f"{r.put.rps:,.0f}", target=f">= {PUT_RATE_TARGET:,}",
          met=yes_no(r.put.rps >= PUT_RATE_TARGET)),
      Row("PUT p99 (ms)", f"{r.put.p99_ms:.3f}"),
      Row("PUT non-2xx + socket errors", str(put_failed), target="0",
          met=yes_no(put_failed == 0)),
      Row("idle RSS (MiB)", f"{r.idle_rss_mib:.1f}", target=f"<= {IDLE_RSS_TARGET_MIB}",
          met=yes_no(r.idle_rss_mib <= IDLE_RSS_TARGET_MIB)),
      Row("RSS after GET+PUT (MiB)", f"{r.loaded_rss_mib:.1f}",
          target=f"<= {BIG_STORE_RSS_TARGET_MIB} (1M configs)" if big else "-",
          met=yes_no(r.loaded_rss_mib <= BIG_STORE_RSS_TARGET_MIB) if big else "-"),
      Row(f"start-to-ready, median of {len(r.ready_ms)} (ms)", f"{ready:.1f}",
          target=f"<= {READY_TARGET_MS}", met=yes_no(ready <= READY_TARGET_MS)),
      # The first stop follows the load; the others follow an idle restart.
      Row(f"SIGTERM -> exit 0 within {STOP_TIMEOUT_S:g} s", f"{sum(r.clean_stops)}/{stops}",
          target=f"{stops}/{stops}", met=yes_no(all(r.clean_stops))),
  ]


def b64url(data):
  return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, stdin=None):
  done = subprocess.run([find_tool("openssl"), *args], input=stdin, capture_output=True,
                        timeout=HTTP_TIMEOUT_S * 3)
  if done.returncode != 0:
    raise BenchError(f"openssl {args[0]} failed: {done.stderr.decode(errors='replace')}")
  return done.stdout


class TokenSigner:
  """An RSA key made with the openssl CLI at run time: signs RS256 JWTs, publishes a JWKS."""

  def __init__(self, directory):
    self._key = str(directory / "token-key.pem")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", self._key)
    modulus = openssl("rsa", "-in", self._key, "-noout", "-modulus").decode().strip()
    n = bytes.fromhex(modulus.removeprefix("Modulus="))
    # genpkey's public exponent is 65537, AQAB in base64url.
    self.jwks = {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": TOKEN_KID,
                           "n": b64url(n), "e": "AQAB"}]}

  def token(self, issuer, subject):
    def part(value):
      return b64url(json.dumps(value, separators=(",", ":")).encode())

    now = int(time.time())
    signing_input = (part({"alg": "RS256", "typ": "JWT", "kid": TOKEN_KID}) + "." +
                     part({"iss": issuer, "sub": subject, "iat": now,
                           "exp": now + TOKEN_LIFETIME_S}))
    # dgst -sign with an RSA key writes the PKCS#1 v1.5 signature: RS256's.
    signature = openssl("dgst", "-sha256", "-sign", self._key, stdin=signing_input.encode())
    return f"{signing_input}.{b64url(signature)}"


class KeycloakStandIn:
  """tests/support/keycloak_stand_in.py on a free loopback port: each realm's JWKS and UMA
  decisions, and the Tenant Manager's security contexts. Configured by files in its dir."""

  def __init__(self, children, workdir):
    self._children = children
    self._dir = workdir / "keycloak"
    self._dir.mkdir()
    self.proc = None
    self.url = None

  def add_realm(self, realm, jwks, grants):
    """A realm whose client is CLIENT_ID; `grants` are "<sub> <resource>#<scope>" lines."""
    d = self._dir / "realms" / realm
    d.mkdir(parents=True)
    (d / "jwks.json").write_text(json.dumps(jwks))
    (d / "client-id").write_text(CLIENT_ID)  # compared whole: no newline
    (d / "policy").write_text("".join(f"{grant}\n" for grant in grants))
    # The stand-in rereads its whole request log each time it appends a line (to count
    # it): over thousands of decisions that would be the bottleneck. Nothing reads it here.
    (d / "requests.log").symlink_to(os.devnull)

  def issuer(self, realm):
    return f"{self.url}/realms/{realm}"

  def start(self):
    port_file = self._dir / "port"
    log_path = self._dir / "stand-in.log"
    with open(log_path, "wb") as log:
      # -B: no __pycache__ beside the script in the source tree.
      self.proc = self._children.spawn(
          [sys.executable, "-B", str(SUPPORT_DIR / "keycloak_stand_in.py"), "--port", "0",
           "--dir", str(self._dir), "--port-file", str(port_file)],
          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
      # The stand-in renames the port file into place: it is never half written.
      if port_file.exists():
        self.url = f"http://{LOOPBACK}:{int(port_file.read_text())}"
        return
      if self.proc.poll() is not None:
        raise BenchError(f"Keycloak stand-in exited with {self.proc.returncode}:\n"
                         f"{tail(log_path)}")
      time.sleep(0.02)
    raise BenchError(f"Keycloak stand-in not listening within {READY_TIMEOUT_S:.0f} s")

  def stop(self):
    return Children.stop(self.proc)


@dataclass
class SecurityMode:
  name: str  # in the per-run lines
  label: str  # in the summary
  realm: str | None = None  # realm of the caller's token; None: no token
  multitenancy: bool = False
  verified: bool = True  # False: ecr runs with security off, whatever is sent

  def ecr_env(self, idp):
    if self.realm is None or not self.verified:
      return {}
    env = {"KAA_SECURITY_ENABLED": "true",
           "KAA_SECURITY_ISSUER_PUBLIC_URL": idp.issuer(DEFAULT_REALM),
           "KAA_SECURITY_CLIENT_ID": CLIENT_ID,
           "KAA_SECURITY_DECISION_CACHE_SECONDS": str(DECISION_CACHE_S)}
    if self.multitenancy:
      env |= {"KAA_SECURITY_MULTITENANCY_ENABLED": "true",
              "KAA_SECURITY_MULTITENANCY_TENANT_MANAGER_URL": idp.url}
    return env

  def seed_env(self):
    # ecr files records under the reading caller's tenant; the seeding ecr has security
    # off, so it writes them as that tenant's through the single-tenant default.
    return {"KAA_TENANT_DEFAULT": TENANT} if self.multitenancy else {}


SECURITY_MODES = (
    SecurityMode("off", "security off"),
    # The secured runs' requests, token and all, to an ecr that reads no token: what
    # verifying costs, apart from moving and parsing the larger requests.
    SecurityMode("off+token", "security off, token sent", DEFAULT_REALM, verified=False),
    SecurityMode("keycloak", "Keycloak", DEFAULT_REALM),
    SecurityMode("tenant", f"Keycloak multitenant ({TENANT})", TENANT, multitenancy=True),
)


@dataclass
class SecurityRun:
  mode: SecurityMode
  get: WrkResult
  # From the first decision asked (the read-back) to the end of the measured run: while
  # under DECISION_CACHE_S, every decision of the run came from ecr's cache.
  cached_s: float


def measure_security_mode(opts, children, workdir, idp, signer, mode):
  """Seeds a fresh store, restarts ecr on it in `mode`, checks every key answers 200 with
  the mode's token (which also fills ecr's decision cache) and runs the GET benchmark."""
  d = workdir / f"security-{mode.name}"
  (d / "data").mkdir(parents=True)
  (d / "service-config.yml").write_text(SECURITY_APP_CONFIG)
  seeding = Ecr(children, opts.ecr, d, mode.seed_env())
  try:
    seeding.start()
    took = seed(seeding.port, opts.configs, opts.seed_workers)
    if not stop_ecr(seeding):
      raise BenchError("the seeding ecr did not stop cleanly")
    ecr = Ecr(children, opts.ecr, d, mode.ecr_env(idp))
    ecr.start()
    steps = [f"seeded {opts.configs:,} configs in {took:.1f} s", "restarted"]
    headers = {}
    if mode.realm and mode.verified:
      status, body = http_request(ecr.port, "GET", config_path(endpoint_id(0)))
      if status != 401:
        raise BenchError(f"{mode.name}: GET without a token answered {status}, not 401: "
                         f"{body[:200]!r}")
      steps.append("without a token 401")
    if mode.realm:
      headers["Authorization"] = "Bearer " + signer.token(idp.issuer(mode.realm), BENCH_USER)
    started = time.monotonic()
    took = read_back(ecr.port, opts.configs, opts.seed_workers, headers)
    steps.append(f"every key read back{' with the token' if headers else ''} (200, same "
                 f"config) in {took:.1f} s")
    print(f"{mode.name}: " + "; ".join(steps), flush=True)
    get = bench_get(children, ecr.port, opts, opts.configs,
                    [f"{k}: {v}" for k, v in headers.items()])
    cached_s = time.monotonic() - started
    print(get.line(f"GET {mode.name}", "req/s"), flush=True)
    if get.socket_errors or get.status_errors:
      raise BenchError(f"{mode.name}: {get.status_errors} answers >= 400 and "
                       f"{get.socket_errors} socket errors during the GET run (must be 0)")
    if not stop_ecr(ecr):
      raise BenchError(f"{mode.name}: ecr did not stop cleanly")
    return SecurityRun(mode, get, cached_s)
  except BenchError as e:
    raise BenchError(f"{e}\n--- {mode.name} ecr log (last lines) ---\n"
                     f"{tail(d / 'ecr.log')}") from None


def measure_security(opts, children, workdir):
  signer = TokenSigner(workdir)
  idp = KeycloakStandIn(children, workdir)
  # Every endpoint's config may be read; nothing else is needed.
  for realm in (DEFAULT_REALM, TENANT):
    idp.add_realm(realm, signer.jwks, [f"{BENCH_USER} *#endpoint:read"])
  idp.start()
  print(f"\nSecurity: the GET benchmark over {opts.configs:,} configs, each time on a fresh "
        f"ecr and store: off, off with the token sent (not read), then with Keycloak (token of "
        f"realm {DEFAULT_REALM}), then with "
        f"Keycloak multitenancy (token of tenant {TENANT}, which owns {APP_VERSION}).\n"
        f"Keycloak stand-in on {idp.url}; RS256 tokens. ecr caches each decision "
        f"{DECISION_CACHE_S} s per token and permission, and every key is read once before "
        f"the wrk runs, so the measured runs are decision cache hits.", flush=True)
  if opts.configs > DECISION_CACHE_ENTRIES:
    print(f"note: ecr keeps at most {DECISION_CACHE_ENTRIES:,} decisions; with "
          f"{opts.configs:,} keys the secured runs also ask the stand-in.", flush=True)
  try:
    return [measure_security_mode(opts, children, workdir, idp, signer, mode)
            for mode in SECURITY_MODES]
  finally:
    idp.stop()


def security_rows(runs):
  off, off_token, *secured = runs
  rows = []
  for run in (off, off_token):
    rows += [Row(f"GET throughput, {run.mode.label} (req/s)", f"{run.get.rps:,.0f}"),
             Row(f"GET p99, {run.mode.label} (ms)", f"{run.get.p99_ms:.3f}")]
  for run in secured:
    for reference, name in ((off, "off"), (off_token, "off+token")):
      ratio = run.get.rps / reference.get.rps
      rows.append(Row(f"GET throughput, {run.mode.label} (req/s)", f"{run.get.rps:,.0f}",
                      f"{reference.get.rps:,.0f} {name}", f"{ratio:.2f}x",
                      f">= {SECURITY_RATIO_TARGET}x {name}",
                      yes_no(ratio >= SECURITY_RATIO_TARGET)))
    rows.append(Row(f"GET p99, {run.mode.label} (ms)", f"{run.get.p99_ms:.3f}",
                    f"{off.get.p99_ms:.3f} off", f"{run.get.p99_ms / off.get.p99_ms:.2f}x"))
  # ecr counts decision lifetimes in whole seconds: allow for one lost.
  cached = all(run.cached_s < DECISION_CACHE_S - 1 for run in secured)
  rows.append(Row("read-back to end of run, secured (s)",
                  ", ".join(f"{run.cached_s:.1f}" for run in secured),
                  target=f"< {DECISION_CACHE_S - 1} (all cache hits)", met=yes_no(cached)))
  return rows


def run(opts, children, workdir):
  print(f"ecr {opts.ecr}; {os.cpu_count()} cpus, {platform.platform()}")
  print(f"{tool_version([find_tool('wrk'), '-v'])}; {tool_version([find_tool('nginx'), '-v'])}")
  print(f"wrk -t{opts.threads} -c{opts.connections} -d{opts.duration}s, warm-up {opts.warmup}s, "
        f"{opts.configs:,} configs\n", flush=True)
  results = measure(opts, children, workdir)
  print(f"\nSummary ({opts.configs:,} configs, wrk -t{opts.threads} -c{opts.connections} "
        f"-d{opts.duration}s, {os.cpu_count()} cpus, load generator on the same machine)\n")
  print_table(summary_rows(opts, results))
  if opts.security:
    runs = measure_security(opts, children, workdir)
    print(f"\nSecurity summary ({opts.configs:,} configs, wrk -t{opts.threads} "
          f"-c{opts.connections} -d{opts.duration}s; every GET answered 200: each key once "
          f"before the runs, no HTTP >= 400 nor socket error during them)\n")
    print_table(security_rows(runs))


def common_arg_parser(description):
  """Options every driver here shares: the binary, the wrk GET runs and seeding."""
  p = argparse.ArgumentParser(description=description)
  p.add_argument("--ecr", default=str(HERE.parents[1] / "build-bench" / "ecr"),
                 help="path of the ecr binary (default: build-bench/ecr)")
  p.add_argument("--duration", type=int, default=10, help="seconds per measured run")
  p.add_argument("--warmup", type=int, default=2, help="seconds of load before measuring")
  p.add_argument("--connections", type=int, default=64, help="wrk connections")
  p.add_argument("--threads", type=int, default=2, help="wrk threads")
  p.add_argument("--configs", type=int, default=10_000, help="endpoint configs seeded for GET")
  p.add_argument("--seed-workers", type=int, default=16,
                 help="concurrent keep-alive connections used for seeding")
  p.add_argument("--verbose", action="store_true", help="also print wrk's own output")
  return p


def check_common_args(p, opts):
  if opts.configs < 1 or opts.duration < 1 or opts.warmup < 1 or opts.seed_workers < 1 \
      or not 1 <= opts.threads <= opts.connections:
    p.error("counts and durations must be >= 1, and threads <= connections")
  if not os.access(opts.ecr, os.X_OK):
    p.error(f"{opts.ecr} is not an executable; build it or pass --ecr")
  opts.ecr = str(Path(opts.ecr).resolve())


def parse_args():
  p = common_arg_parser(__doc__.splitlines()[0])
  p.add_argument("--starts", type=int, default=5, help="restarts timed for start-to-ready")
  p.add_argument("--idle-wait", type=float, default=2.0,
                 help="seconds after ready before idle RSS is read")
  p.add_argument("--security", action="store_true",
                 help="then also GET with REST security off, with Keycloak and with "
                      "Keycloak multitenancy (a stand-in), and compare")
  opts = p.parse_args()
  if opts.starts < 1:
    p.error("--starts must be >= 1")
  check_common_args(p, opts)
  return opts


def drive(run_bench, opts, temp_prefix):
  """Runs `run_bench(opts, children, workdir)` in a fresh temp dir; returns the exit code.

  Whatever happens (failure, Ctrl-C, SIGTERM), every child is stopped by PID and the
  temp dir removed.
  """
  # SIGTERM/SIGHUP unwind like Ctrl-C, so the finally below always cleans up.
  for sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
  children = Children()
  workdir = Path(tempfile.mkdtemp(prefix=temp_prefix))
  try:
    run_bench(opts, children, workdir)
    return 0
  except BenchError as e:
    print(f"\nbenchmark failed: {e}\n--- ecr log (last lines) ---\n{tail(workdir / 'ecr.log')}",
          file=sys.stderr)
    return 1
  except KeyboardInterrupt:
    print("\ninterrupted", file=sys.stderr)
    return 130
  finally:
    children.stop_all()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
  sys.exit(drive(run, parse_args(), "ecr-bench-"))
