#!/usr/bin/env bash
# Cross-check of `cost-ops price` against genai-prices' JavaScript library, on the same catalog:
# random usages for every model and random response bodies for every usage extractor, priced by
# both (bench/node/crosscheck.mjs says how). Needs node and npm (npm registry); skipped, with a
# note, without them. Exit status 1 when a line differs.
# Usage: scripts/crosscheck-genai-prices.sh [BUILD_DIR] [CATALOG_DIR] [SEEDS]
#   CATALOG_DIR holds data.json and units.yml (default: ../shared/data/pricing/genai-prices, else
#   the copy built in, data/pricing/genai-prices); SEEDS: how many random sets (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
catalog=${2:-../shared/data/pricing/genai-prices}
[ -f "$catalog/data.json" ] || catalog=data/pricing/genai-prices
seeds=${3:-3}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "crosscheck-genai-prices: skipped (needs node and npm)" >&2
  exit 0
fi
if ! (cd bench/node && { [ -d node_modules/@pydantic/genai-prices ] ||
      npm install --silent --no-audit --no-fund >/dev/null; }); then
  echo "crosscheck-genai-prices: skipped (npm install of @pydantic/genai-prices failed)" >&2
  exit 0
fi
status=0
for seed in $(seq 1 "$seeds"); do
  echo "seed $seed:"
  # The library warns on stderr of usage keys it does not price; those lines are compared too.
  node bench/node/crosscheck.mjs "$build/cli/cost-ops" "$catalog/data.json" "$catalog/units.yml" \
    "$seed" 2>/dev/null || status=1
done
exit $status
