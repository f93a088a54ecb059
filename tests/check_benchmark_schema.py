#!/usr/bin/env python3
"""Validates a `cost-ops run` output directory against the published JSON Schema.

Usage: check_benchmark_schema.py SCHEMA DIR

Strict where Python's defaults are lenient: NaN/Infinity are rejected, and `*_duration_ns` and
counts must be JSON integers (jsonschema accepts 5.0 as an integer). Exit 0 when every file is
valid, 1 with one line per problem otherwise, 77 (skipped) when python3-jsonschema is missing
outside CI.
"""
import json
import os
import sys


def reject_constant(name):
    raise ValueError(f"non-finite number {name}")


def main():
    schema_path, out_dir = sys.argv[1], sys.argv[2]
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema is not installed", file=sys.stderr)
        return 1 if os.environ.get("CI") == "true" else 77
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    raw = os.path.join(out_dir, "raw")
    problems = []
    names = sorted(os.listdir(raw))
    if not names:
        problems.append(f"{raw}: no result files")
    for name in names:
        path = os.path.join(raw, name)
        if not name.endswith(".json"):
            problems.append(f"{path}: not a result file (raw/ holds only <target_id>.json)")
            continue
        with open(path) as f:
            try:
                doc = json.load(f, parse_constant=reject_constant)
            except ValueError as e:
                problems.append(f"{path}: {e}")
                continue
        for err in validator.iter_errors(doc):
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            problems.append(f"{path}: {where}: {err.message}")
        metrics = doc.get("metrics", {})
        for key, value in metrics.items():
            if (key.endswith("_duration_ns") or key == "total_iterations") and type(value) is not int:
                problems.append(f"{path}: metrics/{key}: {value!r} is not a JSON integer")
        if doc.get("target_id") + ".json" != name:
            problems.append(f"{path}: target_id {doc.get('target_id')!r} does not match the file name")
    if not os.path.isfile(os.path.join(out_dir, "summary.md")):
        problems.append(f"{out_dir}/summary.md: missing")
    for p in problems:
        print(p)
    print(f"{len(names)} result files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
