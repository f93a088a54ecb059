#!/usr/bin/env bash
# Whole-process ingest into a new SQLite file: N records in time order (as logs arrive), made
# from the sample log's records with fresh ids and timestamps `STEP` seconds apart, then the same
# records as a file whose days are out of order (back-to-back copies of the sample). Prints the
# best of 3 runs of each with records/s and peak RSS.
# Usage: scripts/bench-ingest.sh [BUILD_DIR] [RECORDS] [STEP_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
n=${2:-200000}
step=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$n" "$step" "$work" <<'PY'
import json, sys, time
n, step, work = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
src = [json.loads(l) for l in open("data/samples/usage.jsonl")]
src.sort(key=lambda r: r["timestamp"])
start = 1767225600  # 2026-01-01T00:00:00Z
with open(f"{work}/ordered.jsonl", "w") as f:
    for i in range(n):
        r = dict(src[i % len(src)], id=f"req-{i:09d}",
                 timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + i * step)))
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
with open(f"{work}/unordered.jsonl", "w") as f:
    for i in range(n):
        r = dict(src[i % len(src)])
        r["id"] = f"{r['id']}-c{i // len(src)}"
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
for input in ordered unordered; do
  best=999 rss=0
  for _ in 1 2 3; do
    rm -f "$work/b.db" "$work/b.db-wal" "$work/b.db-shm"
    /usr/bin/time -f "%e %M" -o "$work/time" "$build/cli/cost-ops" ingest --db "$work/b.db" \
      --rejects "$work/rejects.jsonl" "$work/$input.jsonl" > /dev/null
    read -r s kb < "$work/time"
    best=$(awk -v s="$s" -v b="$best" 'BEGIN { print (s < b) ? s : b }')
    rss=$kb
  done
  awk -v n="$n" -v s="$best" -v kb="$rss" -v what="$input" \
    'BEGIN { printf "%-9s %d records: %.2f s, %.0f records/s, %d MB RSS\n", what, n, s, n / s, kb / 1024 }'
done
