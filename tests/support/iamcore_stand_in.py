#!/usr/bin/python3
"""A stand-in for the iamcore routes a resource server calls, for tests (see
iamcore_stand_in.hpp).

Serves from a directory that the test changes while the server runs; every
request re-reads it:
  failing            when present, every request answers 500
  credentials        lines "bearer <token> <principal IRN>" and
                     "api-key <key> <principal IRN>"
  policy             lines "<principal IRN> <action> <resource IRN>"; the
                     resource IRN may end with "*" (a prefix match)
  answer-principal,  when present, "<status>\n<body>": that route answers
  answer-evaluate    every well-formed request with it
  requests.log       written here, one line per request (below)
Routes:
  GET  /api/v1/users/me/irn  200 {"data": "<principal IRN>"}, 401 unknown
  POST /api/v1/evaluate      {"action": "<action>", "resources": [IRN...]}:
                             200 (a JSON array of the IRNs) when the policy
                             allows the action on every one, else 403
Both need exactly one credential header: "Authorization: Bearer <token>" or
"X-iamcore-API-Key: <key>". A request of another shape (method, path, query,
content type, body, headers) is answered 400 {"message": "<why>"}.
requests.log lines: "principal <IRN|-> <found|unknown>",
"evaluate <principal|-> <action> <IRN>[,<IRN>...] <allowed|denied|unknown>",
"rejected <method> <path>: <why>", "failed", "forced <route>".
Binds 127.0.0.1:<port> (0: any free port) and then writes the port to
port-file."""

import json
import re
from http.server import BaseHTTPRequestHandler

import stand_in_main

TOKEN = r"[A-Za-z0-9@._-]+"
# Tenant and pool may be empty; a type, then path segments and an id.
PLAIN_IRN = re.compile(
  rf"^irn:{TOKEN}:{TOKEN}:(?:{TOKEN})?:(?:{TOKEN})?:{TOKEN}(?:/{TOKEN})+$")
ACTION = re.compile(rf"^{TOKEN}(?::{TOKEN})+$")
ROUTES = {"/api/v1/users/me/irn": ("GET", "principal"),
          "/api/v1/evaluate": ("POST", "evaluate")}


class bad_request(Exception):
  pass


def matches(pattern, value):
  if pattern.endswith("*"):
    return value.startswith(pattern[:-1])
  return pattern == value


class handler(BaseHTTPRequestHandler):
  protocol_version = "HTTP/1.1"

  def log_message(self, *args):
    pass

  def answer(self, status, body):
    data = body.encode()
    self.send_response(status)
    self.send_header("Content-Type", "application/json")
    self.send_header("Content-Length", str(len(data)))
    self.end_headers()
    self.wfile.write(data)

  def answer_message(self, status, message):
    self.answer(status, json.dumps({"message": message}))

  def record(self, line):
    with self.server.lock:
      with open(self.server.directory / "requests.log", "a") as out:
        out.write(line + "\n")

  def do_GET(self):
    self.route("GET")

  def do_POST(self):
    self.route("POST")

  def do_PUT(self):
    self.route("PUT")

  def do_DELETE(self):
    self.route("DELETE")

  def route(self, method):
    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
    directory = self.server.directory
    if (directory / "failing").exists():
      self.record("failed")
      return self.answer_message(500, "Internal Server Error")
    try:
      name = self.check_shape(method, body)
    except bad_request as why:
      self.record(f"rejected {method} {self.path}: {why}")
      return self.answer_message(400, str(why))
    forced = stand_in_main.read_text(directory / f"answer-{name}")
    if forced is not None:
      self.record(f"forced {name}")
      status, _, answer = forced.partition("\n")
      return self.answer(int(status), answer)
    principal = self.principal()
    if name == "principal":
      return self.principal_irn(principal)
    return self.evaluate(principal, json.loads(body))

  def check_shape(self, method, body):
    """The route's name; raises bad_request for a request of another shape."""
    if self.path not in ROUTES:
      raise bad_request(f"no route {self.path}")
    expected, name = ROUTES[self.path]
    if method != expected:
      raise bad_request(f"{self.path} takes {expected} only")
    credentials = (self.headers.get_all("Authorization", [])
                   + self.headers.get_all("X-iamcore-API-Key", []))
    if len(credentials) != 1:
      raise bad_request("exactly one credential header is needed, "
                        "Authorization or X-iamcore-API-Key")
    if method == "GET":
      if body:
        raise bad_request("a GET has no body")
      return name
    if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
      raise bad_request("the body must be application/json")
    try:
      request = json.loads(body)
    except ValueError:
      raise bad_request("the body is not JSON")
    if not isinstance(request, dict) or set(request) != {"action", "resources"}:
      raise bad_request("the body must be an object of action and resources only")
    action, resources = request["action"], request["resources"]
    if not isinstance(action, str) or not ACTION.match(action):
      raise bad_request("the action is not <type>:<operation>")
    if not isinstance(resources, list) or not resources:
      raise bad_request("resources must be a non-empty array")
    for resource in resources:
      if not isinstance(resource, str) or not PLAIN_IRN.match(resource):
        raise bad_request(f"not a plain IRN without wildcards: {resource}")
    return name

  def principal(self):
    """The principal IRN of the request's credential; None when unknown."""
    authorization = self.headers.get("Authorization")
    if authorization is not None:
      scheme, _, token = authorization.partition(" ")
      if scheme.lower() != "bearer" or not token or " " in token:
        return None
      wanted = ("bearer", token)
    else:
      wanted = ("api-key", self.headers.get("X-iamcore-API-Key"))
    for line in stand_in_main.read_text(self.server.directory / "credentials", "").splitlines():
      fields = line.split()
      if len(fields) == 3 and (fields[0], fields[1]) == wanted:
        return fields[2]
    return None

  def principal_irn(self, principal):
    if principal is None:
      self.record("principal - unknown")
      return self.answer_message(401, "Unauthorized")
    self.record(f"principal {principal} found")
    self.answer(200, json.dumps({"data": principal}))

  def evaluate(self, principal, request):
    action, resources = request["action"], request["resources"]
    record = lambda outcome: self.record(
      f"evaluate {principal or '-'} {action} {','.join(resources)} {outcome}")
    if principal is None:
      record("unknown")
      return self.answer_message(401, "Unauthorized")
    grants = [line.split() for line in
              stand_in_main.read_text(self.server.directory / "policy", "").splitlines()]
    def allowed(resource):
      return any(len(grant) == 3 and grant[0] == principal and grant[1] == action
                 and matches(grant[2], resource) for grant in grants)
    if all(allowed(resource) for resource in resources):
      record("allowed")
      return self.answer(200, json.dumps(resources))
    record("denied")
    self.answer_message(403, "Access denied")


if __name__ == "__main__":
  stand_in_main.serve(handler)
