#!/usr/bin/python3
"""A MongoDB stand-in for tests (see mongo_stand_in.hpp).

Speaks the wire protocol through python3-mockupdb and executes the commands
the MongoDB store sends on in-memory data, one command at a time (a real
server is atomic per document; serializing everything is a stricter model),
except that an upsert matching nothing lets other commands run before its
insert, as a real server may:
  insert, update (upsert, $set, $setOnInsert, $unset, replacements, multi),
  delete, find (filter, sort, skip, limit), aggregate ($match, $sort, $skip,
  $limit, $group with a constant _id and $sum), createIndexes (unique indexes
  are enforced with the server's duplicate-key write error, code 11000),
  dropDatabase, ping, the handshake, endSessions and killCursors.
Filters: equality on top-level fields and $eq / $ne / $in. Anything else is
answered with an error naming it (and printed on stderr), never silently
approximated. Binds 127.0.0.1:<port> (0: any free port), then writes the
port to port-file. Exits with code 3 when python3-mockupdb is missing."""

import argparse
import datetime
import errno
import os
import sys
import threading
import time
import traceback
from collections import OrderedDict

import stand_in_main

try:
  import mockupdb
  from bson import ObjectId, json_util
  from bson.int64 import Int64
except ImportError as missing:
  print(f"python3-mockupdb is not installed ({missing})", file=sys.stderr)
  sys.exit(3)

# What a 3.6 standalone server announces (ECR's oldest supported MongoDB).
HANDSHAKE = {
  "ismaster": True,
  "minWireVersion": 0,
  "maxWireVersion": 6,
  "maxBsonObjectSize": 16 * 1024 * 1024,
  "maxMessageSizeBytes": 48000000,
  "maxWriteBatchSize": 100000,
  "logicalSessionTimeoutMinutes": 30,
}

COMMAND_NOT_FOUND = 59
COMMAND_NOT_SUPPORTED = 115
CURSOR_NOT_FOUND = 43
BAD_VALUE = 2
FAILED_TO_PARSE = 9
CONFLICTING_UPDATE_OPERATORS = 40
IMMUTABLE_FIELD = 66
INDEX_OPTIONS_CONFLICT = 85
INDEX_KEY_SPECS_CONFLICT = 86
DUPLICATE_KEY = 11000


class command_error(Exception):
  """Fails the whole command."""

  def __init__(self, code, message):
    super().__init__(message)
    self.code = code


class write_error(command_error):
  """Fails one write of a batch, reported in writeErrors."""

  def __init__(self, code, message, **details):
    super().__init__(code, message)
    self.details = details


def unsupported(what):
  return command_error(COMMAND_NOT_SUPPORTED, f"the stand-in does not support {what}")


# -- values ---------------------------------------------------------------------


def order(value):
  """A key comparing BSON values as MongoDB does: type class first (so
  True is not 1, and 1 is 1.0), then value; null and missing are alike."""
  if value is None:
    return (1,)
  if isinstance(value, bool):
    return (8, value)
  if isinstance(value, (int, float)):
    return (2, value)
  if isinstance(value, str):
    return (3, value)
  if isinstance(value, dict):
    return (4, tuple((k, order(v)) for k, v in value.items()))
  if isinstance(value, list):
    return (5, tuple(order(v) for v in value))
  if isinstance(value, ObjectId):
    return (7, value.binary)
  if isinstance(value, bytes):
    return (6, value)
  if isinstance(value, datetime.datetime):
    return (9, value)
  raise unsupported(f"values of type {type(value).__name__}")


def is_operator(x):
  return isinstance(x, dict) and len(x) > 0 and next(iter(x)).startswith("$")


def plain_field(name):
  if name.startswith("$") or "." in name:
    raise unsupported(f"the field path '{name}'")
  return name


def matches(doc, query):
  for name, condition in query.items():
    value = order(doc.get(plain_field(name)))
    tests = condition.items() if is_operator(condition) else [("$eq", condition)]
    for op, operand in tests:
      if op == "$eq":
        if value != order(operand):
          return False
      elif op == "$ne":
        if value == order(operand):
          return False
      elif op == "$in":
        if not isinstance(operand, list):
          raise write_error(BAD_VALUE, "$in needs an array")
        if value not in [order(x) for x in operand]:
          return False
      else:
        raise unsupported(f"the query operator {op}")
  return True


def sort_docs(docs, spec):
  result = list(docs)
  # Stable sorts from the last key to the first; ties keep insertion order.
  for name, direction in reversed(list(spec.items())):
    if direction not in (1, -1):
      raise unsupported(f"the sort direction {direction!r}")
    result.sort(key=lambda d: order(d.get(plain_field(name))), reverse=direction < 0)
  return result


def with_id(doc):
  """`doc` with an _id, first as the server puts it."""
  if "_id" in doc:
    return doc
  return OrderedDict([("_id", ObjectId())] + list(doc.items()))


def apply_update(doc, update, inserting):
  """What `update` (operators or a replacement) makes of `doc`."""
  if not is_operator(update):
    result = OrderedDict((k, v) for k, v in doc.items() if k == "_id")
    for name, value in update.items():
      if name.startswith("$"):
        raise write_error(BAD_VALUE, f"operator {name} in a replacement document")
      result[name] = value
  else:
    result = OrderedDict(doc)
    touched = set()
    for op, fields in update.items():
      if op not in ("$set", "$setOnInsert", "$unset"):
        raise unsupported(f"the update operator {op}")
      if not fields:
        raise write_error(FAILED_TO_PARSE, f"'{op}' is empty")
      for name in fields:
        if name in touched:
          raise write_error(CONFLICTING_UPDATE_OPERATORS,
                            f"Updating the path '{name}' would create a conflict at '{name}'")
        touched.add(name)
      if op == "$setOnInsert" and not inserting:
        continue
      for name, value in fields.items():
        if op == "$unset":
          result.pop(plain_field(name), None)
        else:
          result[plain_field(name)] = value
  if "_id" in doc and order(result.get("_id")) != order(doc["_id"]):
    raise write_error(IMMUTABLE_FIELD, "the (immutable) field '_id' was found to have been altered")
  return result


# -- storage ----------------------------------------------------------------------


class collection:
  def __init__(self, namespace):
    self.namespace = namespace
    self.docs = []
    self.indexes = OrderedDict(_id_={"key": OrderedDict(_id=1), "unique": True})

  def check_unique(self, candidate, replacing=None):
    """Fails like the server when `candidate` (taking the place of
    `replacing`) would share a unique index key with another document."""
    for name, index in self.indexes.items():
      if not index["unique"]:
        continue
      key = [order(candidate.get(f)) for f in index["key"]]
      for other in self.docs:
        if other is not replacing and [order(other.get(f)) for f in index["key"]] == key:
          value = OrderedDict((f, candidate.get(f)) for f in index["key"])
          raise write_error(
            DUPLICATE_KEY,
            f"E11000 duplicate key error collection: {self.namespace} index: {name} "
            f"dup key: {json_util.dumps(value)}",
            keyPattern=index["key"], keyValue=value)

  def insert(self, doc):
    doc = with_id(doc)
    self.check_unique(doc)
    self.docs.append(doc)
    return doc

  def replace(self, position, doc):
    self.check_unique(doc, replacing=self.docs[position])
    self.docs[position] = doc


class stand_in:
  def __init__(self, server, verbose):
    self.server = server
    self.verbose = verbose
    # Taken inside mockupdb's own lock, which it holds around every handler.
    self.lock = threading.Lock()
    self.databases = {}  # name -> {collection name -> collection}

  def collection(self, db, name, create):
    colls = self.databases.setdefault(db, {}) if create else self.databases.get(db, {})
    if name not in colls:
      if not create:
        return collection(f"{db}.{name}")  # reads of a missing collection see nothing
      colls[name] = collection(f"{db}.{name}")
    return colls[name]

  # -- the wire ------------------------------------------------------------------

  def handle(self, request):
    if not isinstance(request, mockupdb.CommandBase):
      print(f"mongo stand-in: UNSUPPORTED legacy request {request!r}", file=sys.stderr, flush=True)
      return request.hangup()
    doc = request.doc
    name = request.command_name
    db = doc.get("$db") or request.namespace.split(".", 1)[0]
    with self.lock:
      try:
        reply = self.execute(name, db, doc)
      except command_error as e:
        reply = {"ok": 0, "code": e.code, "errmsg": str(e)}
      except Exception as e:  # a stand-in bug: answer, never leave the driver waiting
        traceback.print_exc()
        reply = {"ok": 0, "code": 1, "errmsg": f"mongo stand-in failure: {e!r}"}
    if reply.get("ok") == 0:
      print(f"mongo stand-in: FAILED {doc!r}: {reply['errmsg']}", file=sys.stderr, flush=True)
    if self.verbose:
      print(f"{db}: {doc!r}\n  -> {reply!r}", file=sys.stderr, flush=True)
    return request.replies(reply)

  def execute(self, name, db, cmd):
    if name.lower() in ("ismaster", "hello"):
      return dict(HANDSHAKE, localTime=datetime.datetime.utcnow(), ok=1)
    run = getattr(self, "cmd_" + name, None)
    if run is None:
      raise command_error(COMMAND_NOT_FOUND, f"no such command: '{name}'")
    return run(db, cmd)

  def yield_to_others(self):
    """Lets other connections run, as a server yields between an upsert's
    query and its insert: racing upserts of one key then fail with 11000,
    as they do on MongoDB 3.6."""
    self.lock.release()
    try:
      with self.server._unlock():
        time.sleep(0.001)
    finally:
      self.lock.acquire()

  # -- commands --------------------------------------------------------------------

  def cmd_ping(self, db, cmd):
    return {"ok": 1}

  def cmd_endSessions(self, db, cmd):
    return {"ok": 1}

  def cmd_killCursors(self, db, cmd):
    # Every cursor is exhausted in its first batch.
    return {"cursorsKilled": [], "cursorsNotFound": cmd["cursors"], "cursorsAlive": [],
            "cursorsUnknown": [], "ok": 1}

  def cmd_getMore(self, db, cmd):
    raise command_error(CURSOR_NOT_FOUND, f"cursor id {cmd['getMore']} not found")

  def cmd_dropDatabase(self, db, cmd):
    if self.databases.pop(db, None) is None:
      return {"ok": 1}
    return {"dropped": db, "ok": 1}

  def writes(self, db, cmd, key, write):
    """Runs `write(coll, op, index, reply)` for each op of `cmd[key]`; an
    ordered batch stops at the first write error."""
    coll = self.collection(db, cmd[next(iter(cmd))], True)
    reply = OrderedDict(n=0)
    errors = []
    for index, op in enumerate(cmd.get(key, [])):
      try:
        write(coll, op, index, reply)
      except write_error as e:
        errors.append(OrderedDict(index=index, code=e.code, errmsg=str(e), **e.details))
        if cmd.get("ordered", True):
          break
    if errors:
      reply["writeErrors"] = errors
    reply["ok"] = 1
    return reply

  def cmd_insert(self, db, cmd):
    def insert(coll, doc, index, reply):
      coll.insert(doc)
      reply["n"] += 1
    return self.writes(db, cmd, "documents", insert)

  def cmd_update(self, db, cmd):
    def update(coll, op, index, reply):
      for option in ("arrayFilters", "collation", "hint"):
        if option in op:
          raise unsupported(f"the update option {option}")
      query, change = op["q"], op["u"]
      if isinstance(change, list):
        raise unsupported("pipeline updates")
      if op.get("multi") and not is_operator(change):
        raise write_error(BAD_VALUE, "multi update is not supported for replacement-style update")
      reply.setdefault("nModified", 0)
      positions = [i for i, d in enumerate(coll.docs) if matches(d, query)]
      if not op.get("multi"):
        positions = positions[:1]
      if not positions and op.get("upsert"):
        seed = OrderedDict()
        for name, condition in query.items():
          if not is_operator(condition):
            seed[name] = condition
          elif "$eq" in condition:
            seed[name] = condition["$eq"]
        created = apply_update(seed, change, True)
        self.yield_to_others()
        created = coll.insert(created)
        reply["n"] += 1
        reply.setdefault("upserted", []).append(OrderedDict(index=index, _id=created["_id"]))
        return
      for position in positions:
        old = coll.docs[position]
        new = apply_update(old, change, False)
        reply["n"] += 1
        if order(new) != order(old):  # the server counts real changes only
          coll.replace(position, new)
          reply["nModified"] += 1
    return self.writes(db, cmd, "updates", update)

  def cmd_delete(self, db, cmd):
    def delete(coll, op, index, reply):
      if op.get("limit") not in (0, 1):
        raise write_error(BAD_VALUE, f"delete limit must be 0 or 1, not {op.get('limit')!r}")
      positions = [i for i, d in enumerate(coll.docs) if matches(d, op["q"])]
      if op["limit"] == 1:
        positions = positions[:1]
      for position in reversed(positions):
        del coll.docs[position]
      reply["n"] += len(positions)
    return self.writes(db, cmd, "deletes", delete)

  def cursor(self, db, name, batch):
    return {"cursor": {"firstBatch": batch, "id": Int64(0), "ns": f"{db}.{name}"}, "ok": 1}

  def cmd_find(self, db, cmd):
    for option in ("projection", "collation", "min", "max", "returnKey", "showRecordId",
                   "tailable", "awaitData", "allowPartialResults"):
      if cmd.get(option):
        raise unsupported(f"the find option {option}")
    coll = self.collection(db, cmd["find"], False)
    docs = [d for d in coll.docs if matches(d, cmd.get("filter", {}))]
    docs = sort_docs(docs, cmd.get("sort", {}))[cmd.get("skip", 0):]
    if cmd.get("limit"):
      docs = docs[:abs(cmd["limit"])]
    return self.cursor(db, cmd["find"], docs)

  def cmd_aggregate(self, db, cmd):
    if cmd.get("explain"):
      raise unsupported("explain")
    docs = list(self.collection(db, cmd["aggregate"], False).docs)
    for stage in cmd["pipeline"]:
      (op, arg), = stage.items()
      if op == "$match":
        docs = [d for d in docs if matches(d, arg)]
      elif op == "$sort":
        docs = sort_docs(docs, arg)
      elif op == "$skip":
        docs = docs[arg:]
      elif op == "$limit":
        docs = docs[:arg]
      elif op == "$group":
        docs = group(docs, arg)
      else:
        raise unsupported(f"the aggregation stage {op}")
    return self.cursor(db, cmd["aggregate"], docs)

  def cmd_createIndexes(self, db, cmd):
    coll = self.collection(db, cmd["createIndexes"], True)
    before = len(coll.indexes)
    for spec in cmd["indexes"]:
      extra = set(spec) - {"key", "name", "unique", "background", "v"}
      if extra:
        raise unsupported(f"the index options {sorted(extra)}")
      wanted = {"key": OrderedDict(spec["key"]), "unique": bool(spec.get("unique"))}
      for name, index in coll.indexes.items():
        same_key = order(index["key"]) == order(wanted["key"])
        if name == spec["name"] and not same_key:
          raise command_error(INDEX_KEY_SPECS_CONFLICT,
                              f"an index named {name} exists with a different key")
        if same_key and (name != spec["name"] or index["unique"] != wanted["unique"]):
          raise command_error(INDEX_OPTIONS_CONFLICT,
                              f"index {spec['name']} conflicts with existing index {name}")
      if spec["name"] in coll.indexes:
        continue
      coll.indexes[spec["name"]] = wanted
      try:
        for doc in coll.docs:
          coll.check_unique(doc, replacing=doc)
      except write_error as e:
        del coll.indexes[spec["name"]]
        raise command_error(e.code, str(e))
    return {"createdCollectionAutomatically": False, "numIndexesBefore": before,
            "numIndexesAfter": len(coll.indexes), "ok": 1}


def group(docs, spec):
  """$group with a constant _id and $sum accumulators of constants."""
  result = OrderedDict(_id=spec["_id"])
  if isinstance(spec["_id"], str) and spec["_id"].startswith("$"):
    raise unsupported("$group by a field")
  for name, accumulator in spec.items():
    if name == "_id":
      continue
    (op, operand), = accumulator.items()
    if op != "$sum" or not isinstance(operand, (int, float)) or isinstance(operand, bool):
      raise unsupported(f"the accumulator {op}: {operand!r}")
    result[name] = operand * len(docs)
  return [result] if docs else []


def hanging_up_on_garbage(receive):
  """Closes the connection at once, loudly, on a request mockupdb cannot
  decode (say, a date past year 9999), instead of leaving the driver waiting
  for its socket timeout."""
  def receive_request(client, server):
    try:
      return receive(client, server)
    except OSError:
      raise
    except Exception:
      print("mongo stand-in: UNDECODABLE request", file=sys.stderr, flush=True)
      traceback.print_exc()
      raise OSError(errno.ECONNRESET, "undecodable request")
  return receive_request


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--port", type=int, default=0)
  parser.add_argument("--port-file", required=True)
  parser.add_argument("--verbose", action="store_true")
  args = parser.parse_args()
  mockupdb.mock_server_receive_request = hanging_up_on_garbage(
    mockupdb.mock_server_receive_request)
  server = mockupdb.MockupDB(port=args.port, request_timeout=int(1e6))
  server.autoresponds(stand_in(server, args.verbose).handle)
  port = server.run()
  stand_in_main.port_written(args.port_file, port)
  print(f"mongo stand-in listening on 127.0.0.1:{port}", flush=True)
  # Serves until SIGTERM, or until the test that started it died without
  # stopping it (then this process is re-parented).
  parent = os.getppid()
  while os.getppid() == parent:
    time.sleep(0.5)


if __name__ == "__main__":
  main()
