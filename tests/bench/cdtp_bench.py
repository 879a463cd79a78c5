#!/usr/bin/env python3
"""CDTP benchmark of the `ecr` binary, with a cnats echo responder as the same-run reference.

Starts its own nats-server, measures the echo responder and then ecr answering Avro
ConfigRequests (N in flight, random endpoint of 10k stored configs), then grows the
store to 1,000,000 configs and measures CDTP and REST GET again, with ecr's RSS after
the runs; last, a 256 KiB default pulled by endpoints without their own. Figures are printed, never asserted: the exit code only says whether the run
itself worked. Loopback only; every child is stopped by PID and the temp dir removed,
also on Ctrl-C, SIGTERM or failure. The load itself comes from ecr_cdtp_bench (C++).
See README.md here.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

# Importing rest_bench must not leave a __pycache__ in the source tree.
sys.dont_write_bytecode = True
import rest_bench as rb  # noqa: E402
from rest_bench import APP_VERSION, BenchError, Children, Row, yes_no  # noqa: E402

NATS_SERVER = "/usr/sbin/nats-server"
ECHO_SUBJECT = "bench.cdtp.echo"
CDTP_SUBJECT = "kaa.v1.service.ecr.cdtp.request"
LOAD_GRACE_S = 30.0
# Bound for --seed direct: a fixed allowance plus 0.2 ms per config.
DIRECT_SEED_BASE_S = 60.0
DIRECT_SEED_PER_CONFIG_S = 0.0002

# Design targets (DESIGN.md, "Performance targets").
CDTP_RATIO_TARGET = 0.6
CDTP_P99_TARGET_MS = 2.0
SCALE_RATIO_TARGET = 0.8
SCALE_RSS_TARGET_MIB = 64

# The fleet scenario: one large default, pulled by endpoints without their own.
LARGE_APP_VERSION = "bench-large"
LARGE_DEFAULT_KIB = 256
# Seconds to wait after that run before reading the RSS again: ecr's default
# memory.release-interval (10 s) and some slack.
SETTLE_S = 12
LARGE_ENDPOINTS = 200_000
READY_TARGET_MS = 100


class NatsServer:
  """nats-server on a random loopback port; the URL comes from its ports file."""

  def __init__(self, children, workdir):
    self._children = children
    self._dir = workdir / "nats"
    self.log_path = workdir / "nats.log"
    self.proc = None
    self.url = None

  def start(self):
    if not os.access(NATS_SERVER, os.X_OK):
      raise BenchError(f"{NATS_SERVER} not found; run scripts/install-deps.sh")
    self._dir.mkdir()
    with open(self.log_path, "wb") as log:
      self.proc = self._children.spawn(
          [NATS_SERVER, "-a", rb.LOOPBACK, "-p", "-1", "--ports_file_dir", str(self._dir)],
          stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + rb.READY_TIMEOUT_S
    while time.monotonic() < deadline:
      if self.proc.poll() is not None:
        raise BenchError(f"nats-server exited with {self.proc.returncode}:\n"
                         f"{rb.tail(self.log_path)}")
      for ports in self._dir.glob("*.ports"):
        try:
          self.url = json.loads(ports.read_text())["nats"][0]
          return
        except (ValueError, KeyError, IndexError):
          pass  # Still being written.
      time.sleep(0.02)
    raise BenchError(f"nats-server wrote no ports file within {rb.READY_TIMEOUT_S:.0f} s")

  def stop(self):
    return Children.stop(self.proc)


@dataclass
class LoadResult:
  rps: float
  p50_us: float
  p90_us: float
  p99_us: float
  max_us: float
  replies: int
  non_200: int
  statuses: str  # "code:count,..." of the non-200 replies
  decode_failures: int
  mismatched: int  # decoded, but for another request or without content
  timeouts: int
  late: int

  @property
  def bad(self):
    return self.non_200 + self.decode_failures + self.mismatched + self.timeouts

  def line(self, label):
    statuses = f" ({self.statuses})" if self.statuses else ""
    return (f"{label:<16} {self.rps:>9,.0f} req/s  p50 {self.p50_us:,.1f} us  "
            f"p90 {self.p90_us:,.1f} us  p99 {self.p99_us:,.1f} us  max {self.max_us:,.1f} us  "
            f"replies {self.replies:,}  non-200 {self.non_200}{statuses}  "
            f"decode failures {self.decode_failures}  mismatched {self.mismatched}  "
            f"timeouts {self.timeouts}  late {self.late}")


def run_load(children, opts, url, subject, expect, endpoints, app_version=APP_VERSION):
  """One ecr_cdtp_bench load run; waits for a correct answer first, then measures."""
  argv = [opts.cdtp_bench, "load", "--url", url, "--subject", subject, "--expect", expect,
          "--inflight", str(opts.inflight), "--warmup", str(opts.warmup),
          "--duration", str(opts.duration), "--endpoints", str(endpoints),
          "--app-version", app_version, "--ready-timeout", str(rb.READY_TIMEOUT_S),
          "--reply-timeout", str(opts.reply_timeout)]
  bound = rb.READY_TIMEOUT_S + opts.warmup + opts.duration + opts.reply_timeout + LOAD_GRACE_S
  proc = children.spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
  try:
    out, err = proc.communicate(timeout=bound)
  except subprocess.TimeoutExpired:
    Children.stop(proc)
    raise BenchError(f"ecr_cdtp_bench did not finish within {bound:.0f} s")
  found = [line for line in out.splitlines() if line.startswith("BENCH_RESULT ")]
  if proc.returncode != 0 or not found:
    raise BenchError(f"ecr_cdtp_bench {expect} failed (exit {proc.returncode}):\n{out}{err}")
  r = json.loads(found[0].removeprefix("BENCH_RESULT "))
  return LoadResult(rps=r["requests"] / (r["duration_us"] / 1e6), p50_us=r["p50_us"],
                    p90_us=r["p90_us"], p99_us=r["p99_us"], max_us=r["max_us"],
                    replies=r["requests"], non_200=r["non_200"], statuses=r["statuses"],
                    decode_failures=r["decode_failures"], mismatched=r["mismatched"],
                    timeouts=r["timeouts"], late=r["late"])


def bench_echo(opts, children, nats):
  echo = children.spawn([opts.cdtp_bench, "echo", "--url", nats.url, "--subject", ECHO_SUBJECT,
                         "--queue", "bench"],
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
  try:
    return run_load(children, opts, nats.url, ECHO_SUBJECT, "echo", opts.configs)
  finally:
    Children.stop(echo)


def bench_cdtp(opts, children, nats, configs, label):
  result = run_load(children, opts, nats.url, CDTP_SUBJECT, "ecr", configs)
  print(result.line(label), flush=True)
  if result.bad:
    rb.shout(f"{label}: {result.bad} bad replies (non-200, undecodable, mismatched or "
             f"missing); must be 0")
  return result


def seed_rest(port, first, count, workers):
  took = rb.seed(port, count, workers, first)
  print(f"seeded configs {first:,}..{count - 1:,} over REST in {took:.1f} s "
        f"({(count - first) / took:,.0f}/s)", flush=True)


def seed_direct(db_path, first, count):
  """Adds configs first..count-1 straight into ecr's SQLite file while ecr is stopped.

  Each row copies the one ecr itself stored for endpoint 0 and changes only the
  endpoint, configId, content and dates, so the rows stay in the product's own shape.
  """
  started = time.monotonic()
  deadline = started + DIRECT_SEED_BASE_S + DIRECT_SEED_PER_CONFIG_S * (count - first)
  db = sqlite3.connect(db_path, isolation_level=None)
  try:
    db.row_factory = sqlite3.Row
    sample = db.execute("SELECT * FROM configs WHERE endpoint_id = ? AND app_version = ?",
                        (rb.endpoint_id(0), APP_VERSION)).fetchone()
    varying = ("endpoint_id", "config_id", "content", "created_ms", "updated_ms")
    if sample is None or not set(varying) <= set(sample.keys()):
      raise BenchError("ecr's configs table does not look as expected; seed with --scale-seed rest")
    fixed = {k: sample[k] for k in sample.keys() if k not in varying}
    columns = [*fixed, *varying]
    now_ms = int(time.time() * 1000)

    def rows():
      for i in range(first, count):
        if i % 100_000 == 0 and time.monotonic() > deadline:
          raise BenchError(f"direct seeding of {count:,} configs took too long")
        yield (*fixed.values(), rb.endpoint_id(i), str(uuid.uuid4()), rb.seed_config(i),
               now_ms, now_ms)

    # A throwaway store: no fsync, a rollback journal instead of a huge WAL, and a
    # page cache large enough for the configId index's random inserts.
    db.executescript("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; "
                     "PRAGMA cache_size=-262144;")
    db.execute("BEGIN")
    db.executemany(f"INSERT INTO configs ({', '.join(columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})", rows())
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")
  except sqlite3.Error as e:
    raise BenchError(f"direct seeding failed: {e}") from e
  finally:
    db.close()
  took = time.monotonic() - started
  print(f"seeded configs {first:,}..{count - 1:,} directly into SQLite in {took:.1f} s "
        f"({(count - first) / took:,.0f}/s)", flush=True)


@dataclass
class Scale:
  """One store size: CDTP and REST GET over all its keys, then ecr's RSS."""
  configs: int
  cdtp: LoadResult
  get: rb.WrkResult
  rss_mib: float


def bench_scale(opts, children, nats, ecr, configs):
  label = f"{configs:,}"
  cdtp = bench_cdtp(opts, children, nats, configs, f"ecr CDTP {label}")
  get = rb.bench_get(children, ecr.port, opts, configs)
  print(get.line(f"ecr GET {label}", "req/s"), flush=True)
  rss = ecr.rss_mib()
  print(f"RSS after CDTP + GET over {label} configs: {rss:.1f} MiB", flush=True)
  return Scale(configs, cdtp, get, rss)


@dataclass
class LargeDefault:
  cdtp: LoadResult
  rss_before_mib: float
  rss_after_mib: float
  rss_settled_mib: float


def bench_large_default(opts, children, nats, ecr):
  """Every answer is the first dispatch of one large default to another endpoint, so
  ecr's pending delivery history fills with it: the RSS shows whether it is kept once."""
  body = json.dumps({"blob": "x" * (LARGE_DEFAULT_KIB * 1024 - len('{"blob":""}'))})
  status, answer = rb.http_request(ecr.port, "PUT", f"/api/v1/app-versions/{LARGE_APP_VERSION}",
                                   body)
  if status != 200:
    raise BenchError(f"PUT of the large default answered {status}: {answer[:200]!r}")
  before = ecr.rss_mib()
  result = run_load(children, opts, nats.url, CDTP_SUBJECT, "ecr", LARGE_ENDPOINTS,
                    LARGE_APP_VERSION)
  print(result.line(f"ecr CDTP {LARGE_DEFAULT_KIB} KiB default"), flush=True)
  after = ecr.rss_mib()
  time.sleep(SETTLE_S)
  settled = ecr.rss_mib()
  print(f"RSS before / after / {SETTLE_S} s after the {LARGE_DEFAULT_KIB} KiB default run: "
        f"{before:.1f} / {after:.1f} / {settled:.1f} MiB", flush=True)
  return LargeDefault(result, before, after, settled)


@dataclass
class Results:
  echo: LoadResult
  small: Scale
  big: Scale | None
  large: LargeDefault
  big_ready_ms: float | None  # start-to-ready on the big store (direct seeding only)
  clean_stops: list


def measure(opts, children, workdir):
  (workdir / "service-config.yml").write_text("")
  (workdir / "data").mkdir()
  nats = NatsServer(children, workdir)
  nats.start()
  print(f"nats-server at {nats.url}", flush=True)

  echo = bench_echo(opts, children, nats)
  print(echo.line("echo responder"), flush=True)

  ecr = rb.Ecr(children, opts.ecr, workdir, {"NATS_URLS": nats.url})
  ecr.start()
  print(f"ecr ready on {rb.LOOPBACK}:{ecr.port}", flush=True)
  # A default for the app version, as in a real deployment; the seeded endpoints all
  # have their own config, so CDTP serves those.
  status, body = rb.http_request(ecr.port, "PUT", f"/api/v1/app-versions/{APP_VERSION}",
                                 rb.seed_config(0))
  if status != 200:
    raise BenchError(f"PUT of the app version default answered {status}: {body[:200]!r}")
  seed_rest(ecr.port, 0, opts.configs, opts.seed_workers)
  rb.check_get(ecr.port, opts.configs - 1)
  small = bench_scale(opts, children, nats, ecr, opts.configs)

  clean_stops = []
  big = big_ready_ms = None
  if opts.scale_configs > opts.configs:
    if opts.scale_seed == "direct":
      clean_stops.append(rb.stop_ecr(ecr))
      seed_direct(ecr.db_path, opts.configs, opts.scale_configs)
      big_ready_ms = ecr.start() * 1000
      print(f"ecr ready on the {opts.scale_configs:,}-config store in {big_ready_ms:.1f} ms",
            flush=True)
    else:
      seed_rest(ecr.port, opts.configs, opts.scale_configs, opts.seed_workers)
    rb.check_get(ecr.port, opts.scale_configs - 1)
    big = bench_scale(opts, children, nats, ecr, opts.scale_configs)
  # Last, so that its garbage cannot weigh on the RSS figures above.
  large = bench_large_default(opts, children, nats, ecr)
  clean_stops.append(rb.stop_ecr(ecr))
  nats.stop()
  return Results(echo, small, big, large, big_ready_ms, clean_stops)


def ratio_row(metric, value, reference, ref_label, target_ratio, unit_fmt="{:,.0f}"):
  ratio = value / reference
  return Row(metric, unit_fmt.format(value), f"{unit_fmt.format(reference)} {ref_label}",
             f"{ratio:.2f}x", f">= {target_ratio}x {ref_label}", yes_no(ratio >= target_ratio))


def p99_row(metric, result, reference, ref_label, target_ms=None):
  p99_ms, ref_ms = result.p99_us / 1000, reference.p99_us / 1000
  return Row(metric, f"{p99_ms:.3f}", f"{ref_ms:.3f} {ref_label}", f"{p99_ms / ref_ms:.2f}x",
             f"<= {target_ms:g} ms" if target_ms else "-",
             yes_no(p99_ms <= target_ms) if target_ms else "-")


def bad_replies_row(metric, result):
  return Row(metric, str(result.bad), target="0", met=yes_no(result.bad == 0))


def summary_rows(opts, r):
  small, big, echo = r.small, r.big, r.echo
  n = f"{small.configs:,}"
  rows = [
      ratio_row(f"CDTP throughput, {n} (req/s)", small.cdtp.rps, echo.rps, "echo",
                CDTP_RATIO_TARGET),
      Row(f"CDTP p50 / p90, {n} (us)", f"{small.cdtp.p50_us:,.1f} / {small.cdtp.p90_us:,.1f}",
          f"{echo.p50_us:,.1f} / {echo.p90_us:,.1f} echo"),
      p99_row(f"CDTP p99, {n} (ms)", small.cdtp, echo, "echo", CDTP_P99_TARGET_MS),
      bad_replies_row(f"CDTP bad replies, {n}", small.cdtp),
      bad_replies_row("echo bad replies", echo),
      Row(f"REST GET, {n} (req/s)", f"{small.get.rps:,.0f}"),
      Row(f"RSS after the {n} runs (MiB)", f"{small.rss_mib:.1f}"),
  ]
  if big:
    # The design's bounds for the big store: throughput within 80 % of the 10k
    # case, RSS <= 64 MiB.
    m = f"{big.configs:,}"
    get_errors = big.get.socket_errors + big.get.status_errors
    rows += [
        ratio_row(f"CDTP throughput, {m} (req/s)", big.cdtp.rps, small.cdtp.rps, n,
                  SCALE_RATIO_TARGET),
        p99_row(f"CDTP p99, {m} (ms)", big.cdtp, small.cdtp, n),
        bad_replies_row(f"CDTP bad replies, {m}", big.cdtp),
        ratio_row(f"REST GET, {m} (req/s)", big.get.rps, small.get.rps, n, SCALE_RATIO_TARGET),
        Row(f"REST GET errors, {m} (socket + http>=400)", str(get_errors), target="0",
            met=yes_no(get_errors == 0)),
        Row(f"RSS after the {m} runs (MiB)", f"{big.rss_mib:.1f}",
            target=f"<= {SCALE_RSS_TARGET_MIB}", met=yes_no(big.rss_mib <= SCALE_RSS_TARGET_MIB)),
    ]
    if r.big_ready_ms is not None:
      rows.append(Row(f"start-to-ready, {m} store (ms)", f"{r.big_ready_ms:.1f}",
                      target=f"<= {READY_TARGET_MS}", met=yes_no(r.big_ready_ms <= READY_TARGET_MS)))
  large = r.large
  rows += [
      Row(f"CDTP, a {LARGE_DEFAULT_KIB} KiB default to {LARGE_ENDPOINTS:,} endpoints (req/s)",
          f"{large.cdtp.rps:,.0f}"),
      bad_replies_row(f"CDTP bad replies, {LARGE_DEFAULT_KIB} KiB default", large.cdtp),
      Row(f"RSS after the {LARGE_DEFAULT_KIB} KiB default run (MiB)", f"{large.rss_after_mib:.1f}",
          f"{large.rss_before_mib:.1f} before"),
      Row(f"RSS {SETTLE_S} s after the {LARGE_DEFAULT_KIB} KiB default run (MiB)",
          f"{large.rss_settled_mib:.1f}", f"{large.rss_before_mib:.1f} before"),
  ]
  stops = len(r.clean_stops)
  rows.append(Row(f"SIGTERM -> exit 0 within {rb.STOP_TIMEOUT_S:g} s",
                  f"{sum(r.clean_stops)}/{stops}", target=f"{stops}/{stops}",
                  met=yes_no(all(r.clean_stops))))
  return rows


def run(opts, children, workdir):
  print(f"ecr {opts.ecr}\nload {opts.cdtp_bench}; {os.cpu_count()} cpus")
  print(f"{rb.tool_version([NATS_SERVER, '--version'])}; "
        f"{rb.tool_version([rb.find_tool('wrk'), '-v'])}")
  print(f"CDTP: {opts.inflight} in flight, {opts.duration} s after {opts.warmup} s warm-up; "
        f"GET: wrk -t{opts.threads} -c{opts.connections}; {opts.configs:,} configs, then "
        f"{opts.scale_configs:,} (seeded {opts.scale_seed})\n", flush=True)
  results = measure(opts, children, workdir)
  print(f"\nSummary (CDTP {opts.inflight} in flight, wrk -t{opts.threads} -c{opts.connections}, "
        f"{opts.duration} s runs, {os.cpu_count()} cpus, load generators on the same machine)\n")
  rb.print_table(summary_rows(opts, results))


def parse_args():
  p = rb.common_arg_parser(__doc__.splitlines()[0])
  p.add_argument("--cdtp-bench",
                 default=str(rb.HERE.parents[1] / "build-bench" / "tests" / "bench" /
                             "ecr_cdtp_bench"),
                 help="path of the ecr_cdtp_bench binary (default: build-bench's)")
  p.add_argument("--inflight", type=int, default=64, help="CDTP requests kept in flight")
  p.add_argument("--reply-timeout", type=float, default=5.0,
                 help="seconds after which a CDTP request counts as unanswered")
  p.add_argument("--scale-configs", type=int, default=1_000_000,
                 help="store size of the scale run; <= --configs skips it")
  p.add_argument("--scale-seed", choices=("direct", "rest"), default="direct",
                 help="grow the store by writing SQLite while ecr is stopped (fast), "
                      "or over REST")
  opts = p.parse_args()
  if opts.inflight < 1 or opts.reply_timeout <= 0:
    p.error("--inflight and --reply-timeout must be positive")
  rb.check_common_args(p, opts)
  if not os.access(opts.cdtp_bench, os.X_OK):
    p.error(f"{opts.cdtp_bench} is not an executable; build ecr_cdtp_bench or pass --cdtp-bench")
  opts.cdtp_bench = str(Path(opts.cdtp_bench).resolve())
  return opts


if __name__ == "__main__":
  raise SystemExit(rb.drive(run, parse_args(), "ecr-cdtp-bench-"))
