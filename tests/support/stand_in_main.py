"""What every stand-in script shares: its command line and how it tells the
test which port it listens on (tests/support/python_stand_in.cpp)."""

import argparse
import os
import pathlib
import threading
from http.server import ThreadingHTTPServer


class server(ThreadingHTTPServer):
  """An HTTP stand-in on 127.0.0.1: `directory` holds what it serves and
  logs, `lock` guards that, and `connections` counts accepted connections,
  so tests can see connection reuse."""
  daemon_threads = True

  def __init__(self, port, directory, handler):
    super().__init__(("127.0.0.1", port), handler)
    self.directory = directory
    self.lock = threading.Lock()
    self.connections = 0

  def process_request(self, request, client_address):
    with self.lock:
      self.connections += 1
    super().process_request(request, client_address)


def read_text(path, default=None):
  """The text of `path`, or `default` when there is no such file."""
  try:
    return path.read_text()
  except FileNotFoundError:
    return default


def port_written(path, port):
  """Writes `port` to `path` whole, then renames it: the test never reads
  half a port number."""
  temporary = path + ".tmp"
  with open(temporary, "w") as out:
    out.write(str(port))
  os.replace(temporary, path)


def serve(handler):
  """Parses --port, --dir and --port-file, starts a `server` with `handler`,
  announces its port and serves until stopped."""
  parser = argparse.ArgumentParser()
  parser.add_argument("--port", type=int, default=0)
  parser.add_argument("--dir", required=True)
  parser.add_argument("--port-file", required=True)
  args = parser.parse_args()
  # Handlers write headers and body apart: with Nagle each keep-alive answer
  # after the first would wait for the client's delayed ACK (~40 ms).
  handler.disable_nagle_algorithm = True
  http = server(args.port, pathlib.Path(args.dir), handler)
  port_written(args.port_file, http.server_address[1])
  http.serve_forever()
