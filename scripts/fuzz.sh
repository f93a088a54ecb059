#!/usr/bin/env bash
# Fuzzes the inputs users give cost-ops (tests/fuzz: usage input in every format, read and
# stored; date,value series; pricing catalogs; compressed files; the short texts of command lines)
# with libFuzzer under ASan + UBSan, each target for SECONDS (default 60) from a copy of its corpus
# in tests/fuzz/corpus. An input that fails is saved as build/fuzz/findings/TARGET/crash-* (or
# leak-*, timeout-*, oom-*); once it is fixed, add it to the target's corpus, which the test suite
# runs under every build's sanitizers.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (needs clang; installed with apt when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_input fuzz_store fuzz_series fuzz_catalog fuzz_decompress fuzz_text fuzz_bill)
scripts/install-deps.sh
if ! command -v clang++ >/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${targets[@]}"
status=0
for t in "${targets[@]}"; do
  work=build/fuzz/work/$t findings=build/fuzz/findings/$t
  mkdir -p "$work" "$findings"
  cp -n tests/fuzz/corpus/"$t"/* "$work"/ || true  # (coreutils 9.2+ fails on a file kept)
  echo "== $t: ${seconds}s" >&2
  if ! build/fuzz/tests/fuzz/"$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
       -artifact_prefix="$findings/" -print_final_stats=1 "$work" >"$findings/log" 2>&1; then
    echo "$t: failed; see $findings/log and the input saved beside it" >&2
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$findings/log" | sed "s/^/$t /" >&2 || true
done
exit $status
