#!/usr/bin/env bash
# Quick start: install dependencies, build a release, and price the bundled sample usage log
# (3,524 calls over 75 days, 4 providers, 9 models) with a per-model summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
./build/release/cli/cost-ops price --summary data/samples/usage.jsonl
