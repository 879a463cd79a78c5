#!/usr/bin/python3
"""A stand-in for Tekton's REST API, for tests (see tekton_stand_in.hpp).

Serves from a directory that the test changes while the server runs; every
request re-reads it:
  app-configs.json  body of GET /api/v1/app-configs (any query)
  status            when present, every route answers with this HTTP status
  release-<name>    lets a held GET /hold?name=<name> answer
Routes besides app-configs, for the HTTP client's tests:
  GET /hold?name=N  answers 200 "released" once release-N exists (at most 30 s)
  GET /connections  how many TCP connections the server has accepted
Each request is appended to requests.log as "<method> <path?query>", and the
credential it carried to credentials.log, on the same line number, as
"<header>: <value>" (Authorization, else X-iamcore-API-Key; empty when
neither). Binds
127.0.0.1:<port> (0: any free port) and then writes the port to port-file."""

import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import stand_in_main

HOLD_LIMIT_SECONDS = 30
# Where ecr puts its own credential, in the order they are looked for.
CREDENTIAL_HEADERS = ("Authorization", "X-iamcore-API-Key")


class handler(BaseHTTPRequestHandler):
  # Keep-alive, so the client's connection reuse can be observed.
  protocol_version = "HTTP/1.1"

  def log_message(self, *args):
    pass

  def answer(self, status, body, content_type="application/json"):
    data = body.encode()
    self.send_response(status)
    self.send_header("Content-Type", content_type)
    self.send_header("Content-Length", str(len(data)))
    self.end_headers()
    self.wfile.write(data)

  def credential(self):
    for name in CREDENTIAL_HEADERS:
      value = self.headers.get(name)
      if value is not None:
        return f"{name}: {value}"
    return ""

  def do_GET(self):
    directory = self.server.directory
    with self.server.lock:
      with open(directory / "requests.log", "a") as log:
        log.write(f"GET {self.path}\n")
      with open(directory / "credentials.log", "a") as log:
        log.write(self.credential() + "\n")
    status_file = directory / "status"
    if status_file.exists():
      status = int(status_file.read_text().strip())
      return self.answer(status, '{"message": "stand-in failure"}')
    url = urlsplit(self.path)
    query = parse_qs(url.query)
    if url.path == "/api/v1/app-configs":
      return self.answer(200, (directory / "app-configs.json").read_text())
    if url.path == "/hold":
      release = directory / ("release-" + query.get("name", [""])[0])
      deadline = time.monotonic() + HOLD_LIMIT_SECONDS
      while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
      return self.answer(200, "released", "text/plain")
    if url.path == "/connections":
      with self.server.lock:
        count = self.server.connections
      return self.answer(200, str(count), "text/plain")
    return self.answer(404, '{"message": "no such route"}')


if __name__ == "__main__":
  stand_in_main.serve(handler)
