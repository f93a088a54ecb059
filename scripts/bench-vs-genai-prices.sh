#!/usr/bin/env bash
# Whole-process comparison: `cost-ops price` vs genai-prices' JavaScript library under Node.js on
# the same 200,000-line JSONL of {provider, model, usage}. Needs node and npm (npm registry).
# Usage: scripts/bench-vs-genai-prices.sh [BUILD_DIR] [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
n=${2:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd bench/node && [ -d node_modules/@pydantic/genai-prices ] || npm install --silent --no-audit --no-fund >/dev/null)
node bench/node/make_input.mjs data/samples/usage.jsonl "$n" > "$work/in.jsonl"
best() {  # best of 5 wall-clock runs, in seconds
  local b=999
  for _ in 1 2 3 4 5; do
    local s e
    s=$(date +%s.%N); "$@" > "$work/out" ; e=$(date +%s.%N)
    b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN { d = e - s; print (d < b) ? d : b }')
  done
  echo "$b"
}
c=$(best "$build/cli/cost-ops" price --as-of 2026-08-21T12:00:00Z "$work/in.jsonl")
cp "$work/out" "$work/costops.out"
j=$(best node bench/node/genai_prices_price.mjs "$work/in.jsonl" 2026-08-21T12:00:00Z)
cp "$work/out" "$work/js.out"
# Same totals line by line (JS prices are binary floats: compare to 9 significant digits).
node -e '
const fs=require("fs");const a=fs.readFileSync(process.argv[1],"utf8").trim().split("\n"),b=fs.readFileSync(process.argv[2],"utf8").trim().split("\n");
let diff=0;for(let i=0;i<a.length;i++){const x=JSON.parse(a[i]),y=JSON.parse(b[i]);if(Number(x.total_price).toPrecision(9)!==Number(y.total_price).toPrecision(9))diff++}
console.log(`lines: ${a.length}, totals that differ: ${diff}`)' "$work/costops.out" "$work/js.out"
echo "cost-ops price:           ${c}s for $n lines"
echo "genai-prices (Node.js):   ${j}s for $n lines"
echo "speed-up:                 $(awk -v j="$j" -v c="$c" 'BEGIN { printf "%.1f", j / c }')x"
