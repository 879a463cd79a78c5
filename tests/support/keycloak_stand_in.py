#!/usr/bin/python3
"""A stand-in for the parts of Keycloak that ECR calls, and for the Tenant
Manager of multitenant Keycloak, for tests (see keycloak_stand_in.hpp).

Serves from a directory that the test changes while the server runs; every
request re-reads it:
  failing                     when present, every realm route answers 500
  realms/<realm>/             one realm; its issuer is
                              http://127.0.0.1:<port>/realms/<realm>
    jwks.json                 body of GET .../protocol/openid-connect/certs
    client-id, client-secret  the one client: its client-credentials grant
                              and the audience of UMA requests
    expires-in                lifetime of issued tokens in seconds (300)
    access-token              the token to issue; absent: opaque tokens
    issued-tokens             written here, each token issued, one a line
    policy                    lines "<sub> <resource>#<scope>"; the resource
                              may be "*"
    resources                 when present, the resources that exist (one a
                              line): others are refused as Keycloak does
    token-answer              when present, "<status>\n<body>": the token
                              endpoint answers every request with it
    public-issuer             when present, the issuerPublicUrl the Tenant
                              Manager gives for the realm (else its issuer)
    tenant-hidden             when present, the Tenant Manager does not know
                              the realm
    requests.log              written here, one line per request (below)
  tenant-manager-answer       when present, "<status>\n<body>": the Tenant
                              Manager answers every request with it
  tenant-manager-token-realm  when present, a realm: the Tenant Manager
                              wants a bearer token that realm issued by
                              client credentials, else answers 401
  tenant-manager.log          written here, one line per Tenant Manager
                              request (below)
Routes of a realm:
  GET  .../protocol/openid-connect/certs
  POST .../protocol/openid-connect/token, a form with grant_type
    client_credentials (client authenticated with HTTP Basic only) or
    urn:ietf:params:oauth:grant-type:uma-ticket with response_mode=decision
    (the caller's bearer token is decoded, not verified: ECR verified it).
Route of the Tenant Manager (every realm is a tenant of its name):
  GET  /api/v1/tenants/<tenant>/security-context
    200 {"tenantId", "issuerPublicUrl", "issuerPrivateUrl"}: the private
    URL is the realm's issuer here; 404 for an unknown or hidden tenant.
Routes for the HTTP client's tests:
  GET|POST /_stand_in/echo    answers the request: "<method> <path>", the
                              headers as "Name: value" lines, an empty line,
                              the body
  GET /_stand_in/connections  how many TCP connections were accepted
requests.log lines: "jwks", "token issued", "token refused",
"uma <sub|-> <permission|-> <outcome>", "failed", "token-answer".
tenant-manager.log lines: "tenant-context <tenant> <outcome>", the outcome
being served, unknown, unauthorized or forced.
Binds 127.0.0.1:<port> (0: any free port) and then writes the port to
port-file."""

import base64
import binascii
import json
import re
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote_plus

import stand_in_main

REALM_PATH = re.compile(
  r"^/realms/([A-Za-z0-9_-]+)/protocol/openid-connect/(certs|token)$")
TENANT_CONTEXT_PATH = re.compile(r"^/api/v1/tenants/([A-Za-z0-9_-]+)/security-context$")
UMA_GRANT = "urn:ietf:params:oauth:grant-type:uma-ticket"
DEFAULT_EXPIRES_IN = 300


def bearer_token(authorization):
  """The token of a bearer Authorization header; None for another scheme."""
  if not authorization or not authorization.startswith("Bearer "):
    return None
  return authorization[len("Bearer "):]


def bearer_subject(authorization, realm):
  """The `sub` of a bearer token, decoded without verification; None when
  the header holds no readable token or one of another realm."""
  token = bearer_token(authorization)
  if token is None:
    return None
  parts = token.split(".")
  if len(parts) != 3:
    return None
  try:
    payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    claims = json.loads(payload)
  except (binascii.Error, ValueError):
    return None
  if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
    return None
  issuer = claims.get("iss")
  if issuer is not None and not str(issuer).endswith("/realms/" + realm):
    return None
  return claims["sub"]


def split_permission(permission):
  """The resource and scopes of a permission, read as Keycloak's token
  endpoint reads them: split at every "#", the first part is the resource,
  the second the scopes (split at ","), and any further part is ignored."""
  parts = permission.split("#")
  return parts[0], parts[1].split(",") if len(parts) > 1 else []


def granted(policy, subject, permission):
  resource, scopes = split_permission(permission)
  allowed = set()
  for line in policy.splitlines():
    fields = line.split()
    if len(fields) != 2 or fields[0] != subject:
      continue
    allowed_resource, _, allowed_scope = fields[1].partition("#")
    if allowed_resource in ("*", resource):
      allowed.add(allowed_scope)
  return bool(scopes) and all(scope in allowed for scope in scopes)


class handler(BaseHTTPRequestHandler):
  # Keep-alive, so the client's connection reuse can be observed.
  protocol_version = "HTTP/1.1"

  def log_message(self, *args):
    pass

  def answer(self, status, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else body.encode()
    self.send_response(status)
    self.send_header("Content-Type", content_type)
    self.send_header("Content-Length", str(len(data)))
    self.end_headers()
    self.wfile.write(data)

  def answer_json(self, status, value):
    self.answer(status, json.dumps(value))

  def answer_forced(self, forced):
    """Answers with a forced answer file's "<status>\\n<body>"."""
    status, _, body = forced.partition("\n")
    self.answer(int(status), body)

  def oauth_error(self, status, error, description):
    self.answer_json(status, {"error": error, "error_description": description})

  def request_body(self):
    return self.rfile.read(int(self.headers.get("Content-Length", "0")))

  def record(self, directory, line, name="requests.log"):
    """Appends `line` to the log `name` of `directory` (a realm's, or the
    server's); returns how many times it is there now."""
    log = directory / name
    with self.server.lock:
      with open(log, "a") as out:
        out.write(line + "\n")
      return log.read_text().splitlines().count(line)

  def do_GET(self):
    self.route("GET")

  def do_POST(self):
    self.route("POST")

  def route(self, method):
    body = self.request_body() if method == "POST" else b""
    if self.path == "/_stand_in/echo":
      headers = "".join(f"{name}: {value}\n" for name, value in self.headers.items())
      return self.answer(200, f"{method} {self.path}\n{headers}\n".encode() + body,
                         "application/octet-stream")
    if self.path == "/_stand_in/connections":
      with self.server.lock:
        count = self.server.connections
      return self.answer(200, str(count), "text/plain")
    match = TENANT_CONTEXT_PATH.match(self.path)
    if match and method == "GET":
      return self.tenant_context(match.group(1))
    match = REALM_PATH.match(self.path)
    realm_dir = match and self.server.directory / "realms" / match.group(1)
    if not match or not realm_dir.is_dir():
      return self.answer_json(404, {"error": "Realm does not exist"})
    if (self.server.directory / "failing").exists():
      self.record(realm_dir, "failed")
      return self.answer_json(500, {"error": "unknown_error"})
    realm, endpoint = match.groups()
    if endpoint == "certs" and method == "GET":
      self.record(realm_dir, "jwks")
      return self.answer(200, stand_in_main.read_text(realm_dir / "jwks.json", '{"keys":[]}'))
    if endpoint == "token" and method == "POST":
      return self.token(realm, realm_dir, body)
    return self.answer_json(405, {"error": "HTTP 405 Method Not Allowed"})

  def token(self, realm, realm_dir, body):
    forced = stand_in_main.read_text(realm_dir / "token-answer")
    if forced is not None:
      self.record(realm_dir, "token-answer")
      return self.answer_forced(forced)
    if not self.headers.get("Content-Type", "").startswith(
        "application/x-www-form-urlencoded"):
      return self.answer_json(415, {"error": "HTTP 415 Unsupported Media Type"})
    form = parse_qs(body.decode(errors="replace"), keep_blank_values=True)
    if any(len(values) != 1 for values in form.values()):
      return self.oauth_error(400, "invalid_request", "duplicated parameter")
    form = {name: values[0] for name, values in form.items()}
    grant = form.get("grant_type")
    if grant == "client_credentials":
      return self.client_credentials(realm_dir)
    if grant == UMA_GRANT:
      return self.uma_decision(realm, realm_dir, form)
    return self.oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")

  def client_credentials(self, realm_dir):
    if not self.client_authenticated(realm_dir):
      self.record(realm_dir, "token refused")
      return self.oauth_error(401, "unauthorized_client",
                              "Invalid client or Invalid client credentials")
    issued = self.record(realm_dir, "token issued")
    token = stand_in_main.read_text(realm_dir / "access-token") or f"opaque-{realm_dir.name}-{issued}"
    self.record(realm_dir, token, "issued-tokens")
    expires_in = int(stand_in_main.read_text(realm_dir / "expires-in", str(DEFAULT_EXPIRES_IN)))
    self.answer_json(200, {"access_token": token, "expires_in": expires_in,
                           "token_type": "Bearer", "scope": "profile email"})

  def client_authenticated(self, realm_dir):
    authorization = self.headers.get("Authorization", "")
    if not authorization.startswith("Basic "):
      return False
    try:
      pair = base64.b64decode(authorization[len("Basic "):], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
      return False
    client_id, colon, secret = pair.partition(":")
    # RFC 6749 2.3.1: each part is form-encoded before joining.
    return (colon == ":"
            and unquote_plus(client_id) == stand_in_main.read_text(realm_dir / "client-id")
            and unquote_plus(secret) == stand_in_main.read_text(realm_dir / "client-secret"))

  def uma_decision(self, realm, realm_dir, form):
    subject = bearer_subject(self.headers.get("Authorization"), realm)
    permission = form.get("permission")
    record = lambda outcome: self.record(
      realm_dir, f"uma {subject or '-'} {permission or '-'} {outcome}")
    if subject is None:
      record("unauthenticated")
      return self.oauth_error(401, "invalid_grant", "Invalid bearer token")
    if form.get("audience") != stand_in_main.read_text(realm_dir / "client-id"):
      record("invalid_client")
      return self.oauth_error(400, "invalid_client", "Client application not found")
    if form.get("response_mode") != "decision" or not permission:
      record("invalid_request")
      return self.oauth_error(400, "invalid_request",
                              "the stand-in answers single-permission decisions only")
    resource = split_permission(permission)[0]
    resources = stand_in_main.read_text(realm_dir / "resources")
    if resources is not None and resource not in resources.splitlines():
      record("invalid_resource")
      return self.oauth_error(400, "invalid_resource",
                              f"Resource with id [{resource}] does not exist.")
    if granted(stand_in_main.read_text(realm_dir / "policy", ""), subject, permission):
      record("granted")
      return self.answer_json(200, {"result": True})
    record("denied")
    return self.oauth_error(403, "access_denied", "not_authorized")

  def tenant_context(self, tenant):
    """The Tenant Manager's security context of `tenant`: a realm served
    here, unless hidden."""
    record = lambda outcome: self.record(
      self.server.directory, f"tenant-context {tenant} {outcome}", "tenant-manager.log")
    forced = stand_in_main.read_text(self.server.directory / "tenant-manager-answer")
    if forced is not None:
      record("forced")
      return self.answer_forced(forced)
    token_realm = stand_in_main.read_text(self.server.directory / "tenant-manager-token-realm")
    if token_realm is not None and not self.issued_by(token_realm):
      record("unauthorized")
      return self.answer_json(401, {"error": "unauthorized"})
    realm_dir = self.server.directory / "realms" / tenant
    if not realm_dir.is_dir() or (realm_dir / "tenant-hidden").exists():
      record("unknown")
      return self.answer_json(404, {"error": f"Tenant {tenant} not found"})
    record("served")
    issuer = f"http://127.0.0.1:{self.server.server_address[1]}/realms/{tenant}"
    self.answer_json(200, {
      "tenantId": tenant,
      "issuerPublicUrl": stand_in_main.read_text(realm_dir / "public-issuer", issuer),
      "issuerPrivateUrl": issuer})

  def issued_by(self, realm):
    """Whether the request's bearer token is one `realm` issued."""
    token = bearer_token(self.headers.get("Authorization"))
    with self.server.lock:
      issued = stand_in_main.read_text(
        self.server.directory / "realms" / realm / "issued-tokens", "")
    return token is not None and token in issued.splitlines()


if __name__ == "__main__":
  stand_in_main.serve(handler)
