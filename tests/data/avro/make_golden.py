#!/usr/bin/python3
"""Writes the golden Avro files for the C++ codec tests, encoded by Apache
Avro's Python implementation (Debian's python3-avro) from our schema copies.

Run from anywhere with /usr/bin/python3 (the interpreter that has avro):
    /usr/bin/python3 tests/data/avro/make_golden.py

For every schema in schemas/ and every case below it writes
<schema file stem>-<case>.bin, and lists all of them with their values in
cases.json (bytes as hex). Values are derived from each field's type and name,
so every field of a record holds a different value and a swapped field order
cannot go unnoticed.
"""
import io
import json
import sys
from pathlib import Path

import avro.io
import avro.schema

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from check_decode import decode, to_json  # noqa: E402

HERE = Path(__file__).resolve().parent

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# nulls:   every optional field null, strings/bytes/maps empty, numbers 0
# typical: realistic ASCII values, every optional field present
# unicode: multi-byte strings and keys, bytes with 0x00/0xff, minimum numbers
# limits:  optional fields present but empty, long strings and bytes (2-byte
#          lengths), maximum numbers, a map of 70 entries and a long array
CASES = ("nulls", "typical", "unicode", "limits")

TYPICAL = {
    "correlationId": "8d6c5f52-0f43-4f8e-9a5f-6c1e2b9f0a17",
    "timestamp": 1489750202643,
    "timeout": 60000,
    "contentType": "application/json",
    "content": b'{"mode":"eco","target":21.5}',
    "statusCode": 200,
    "configLevel": "APP_VERSION",
    "appVersionsToEndpoints": {"thermostat-v1": ["ep-1", "ep-2"], "thermostat-v2": ["ep-3"]},
}


def sample(schema, case, name, optional=False):
    """The value of field `name` (of type `schema`) in `case`."""
    kind = schema.type
    if kind == "union":  # always ["null", T] here
        return None if case == "nulls" else sample(schema.schemas[1], case, name, True)
    if case == "nulls":
        return {"string": "", "bytes": b"", "long": 0, "int": 0, "map": {}}[kind]
    if case == "typical":
        return TYPICAL[name] if name in TYPICAL else f"{name}-1"
    if case == "unicode":
        return {
            "string": f"{name}: Grüße 📡 конфиг 設定",
            "bytes": b"\x00\xff\x00\x80\x7f\xfe",
            "long": LONG_MIN,
            "int": INT_MIN,
            "map": {"Grüße-📡": ["конфиг", "設定", ""], "empty": []},
        }[kind]
    if optional:
        return {"string": "", "bytes": b""}[kind]
    return {
        "string": f"{name}:" + "x" * 200,
        "bytes": bytes(range(256)) * 2,
        "long": LONG_MAX,
        "int": INT_MAX,
        "map": {f"v{i:03d}": [f"ep-{i}-{j}" for j in range(i % 4)] for i in range(70)}
               | {"all": [f"ep-{j}" for j in range(130)]},
    }[kind]


def sorted_maps(value):
    """Our encoder writes map entries in std::map order (by UTF-8 bytes, which
    for Python strings is code point order), so the goldens do too."""
    return dict(sorted(value.items())) if isinstance(value, dict) else value


def main():
    for old in HERE.glob("*.bin"):
        old.unlink()
    cases = []
    for path in sorted((HERE / "schemas").glob("*.avsc")):
        schema = avro.schema.parse(path.read_text())
        for case in CASES:
            datum = {f.name: sorted_maps(sample(f.type, case, f.name)) for f in schema.fields}
            stream = io.BytesIO()
            avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(stream))
            data = stream.getvalue()
            assert decode(schema, data) == datum, f"{path.stem} {case} does not round-trip"
            file = f"{path.stem}-{case}.bin"
            (HERE / file).write_bytes(data)
            cases.append({"file": file, "schema": schema.fullname, "values": to_json(datum)})
    (HERE / "cases.json").write_text(json.dumps(cases, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} golden files")


if __name__ == "__main__":
    main()
