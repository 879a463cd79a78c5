#!/usr/bin/python3
"""Decodes plain Avro binary records with Apache Avro's Python implementation
(Debian's python3-avro) and writes them as JSON, so the C++ tests can check
our encoder against the reference implementation.

Usage: check_decode.py SCHEMA_DIR OUT_JSON FULL_NAME=FILE...

OUT_JSON receives a JSON array with one object per FILE, in argument order,
fields in schema order, bytes as lowercase hex strings.
"""
import io
import json
import sys
from pathlib import Path

try:
    import avro.io
    import avro.schema
except ImportError:
    sys.exit("python3-avro is not installed for /usr/bin/python3 "
             "(apt-get install python3-avro; see scripts/install-deps.sh)")


def load_schemas(schema_dir):
    """Our schema copies, by full name."""
    schemas = {}
    for path in sorted(Path(schema_dir).glob("*.avsc")):
        schema = avro.schema.parse(path.read_text())
        schemas[schema.fullname] = schema
    return schemas


def to_json(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def decode(schema, data):
    """One record that must span all of `data`."""
    stream = io.BytesIO(data)
    value = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(stream))
    if stream.tell() != len(data):
        raise ValueError(f"{len(data) - stream.tell()} trailing bytes")
    return value


def main(schema_dir, out_json, *inputs):
    schemas = load_schemas(schema_dir)
    values = []
    for arg in inputs:
        name, _, path = arg.partition("=")
        values.append(to_json(decode(schemas[name], Path(path).read_bytes())))
    Path(out_json).write_text(json.dumps(values, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
