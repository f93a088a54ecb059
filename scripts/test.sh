#!/usr/bin/env bash
# Installs dependencies, checks formatting, builds with -Werror and runs every test, then builds
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test again. A throwaway
# PostgreSQL server (scripts/with-postgres.sh) serves the storage tests and is removed after.
# After the first build's tests, prices are cross-checked against genai-prices' JavaScript library
# (scripts/crosscheck-genai-prices.sh; skipped without node and npm).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-format.sh
for preset in ci asan; do
  echo "== $preset: configure, build, test" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  scripts/with-postgres.sh ctest --preset "$preset" -j 2
  if [ "$preset" = ci ]; then
    echo "== ci: cross-check against genai-prices' JavaScript library" >&2
    scripts/crosscheck-genai-prices.sh build/ci "" 1
  fi
done
