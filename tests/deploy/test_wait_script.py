"""The chart's wait script (files/wait-for.sh, run by the init containers)
against a real nats-server: it passes once the first server of a Kaa-style URL
accepts connections and fails after its timeout when none does."""

import subprocess
import sys
import unittest

from deploy_support import CHART, NatsServer, free_port

SCRIPT = CHART / "files" / "wait-for.sh"
RUN_TIMEOUT_S = 60


def wait_for(url, default_port, timeout_s):
  """Runs the script under dash, the POSIX sh closest to busybox's."""
  return subprocess.run(["dash", str(SCRIPT), "service", url, str(default_port), str(timeout_s)],
                        capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


class wait_script_test(unittest.TestCase):
  def test_passes_for_a_listening_server_whatever_the_url_shape(self):
    with NatsServer() as nats:
      urls = [
        nats.url,
        f"nats://user:secret@127.0.0.1:{nats.port},nats://127.0.0.1:1",
        f"mongodb://127.0.0.1:{nats.port}/ecr?authSource=admin",
        f"127.0.0.1:{nats.port}",
      ]
      for url in urls:
        run = wait_for(url, 1, 30)
        self.assertEqual(run.returncode, 0, f"{url}: {run.stdout}{run.stderr}")
        self.assertIn(f"127.0.0.1:{nats.port} accepts connections", run.stdout)
      # No port in the URL: the default port is used.
      run = wait_for("nats://127.0.0.1", nats.port, 30)
      self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

  def test_fails_after_the_timeout_when_nothing_listens(self):
    port = free_port()
    run = wait_for(f"nats://127.0.0.1:{port}", 4222, 1)
    self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
    self.assertIn(f"127.0.0.1:{port} not reachable within 1s", run.stderr)

  def test_rejects_missing_arguments(self):
    run = subprocess.run(["dash", str(SCRIPT), "nats"], capture_output=True, text=True,
                         timeout=RUN_TIMEOUT_S)
    self.assertEqual(run.returncode, 2)
    self.assertIn("usage:", run.stderr)


if __name__ == "__main__":
  unittest.main(argv=sys.argv[:1], verbosity=2)
