#!/usr/bin/env bash
# Quick start: install dependencies, build a release, ingest the bundled sample usage log
# (3,524 calls over 75 days, 4 providers, 9 models) into a SQLite database, and summarize it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
export COSTOPS_DB=${COSTOPS_DB:-build/sample.db}
./build/release/cli/cost-ops ingest data/samples/usage.jsonl
./build/release/cli/cost-ops summary --period all
./build/release/cli/cost-ops query --group-by provider,month
