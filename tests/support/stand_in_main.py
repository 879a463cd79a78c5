"""What every stand-in script shares: its command line and how it tells the
test which port it listens on (tests/support/python_stand_in.cpp)."""

import argparse
import os
import pathlib


def port_written(path, port):
  """Writes `port` to `path` whole, then renames it: the test never reads
  half a port number."""
  temporary = path + ".tmp"
  with open(temporary, "w") as out:
    out.write(str(port))
  os.replace(temporary, path)


def serve(make_server):
  """Parses --port, --dir and --port-file, makes the HTTP server with
  `make_server(port, dir)`, announces its port and serves until stopped."""
  parser = argparse.ArgumentParser()
  parser.add_argument("--port", type=int, default=0)
  parser.add_argument("--dir", required=True)
  parser.add_argument("--port-file", required=True)
  args = parser.parse_args()
  server = make_server(args.port, pathlib.Path(args.dir))
  port_written(args.port_file, server.server_address[1])
  server.serve_forever()
