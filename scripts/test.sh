#!/usr/bin/env bash
# Installs dependencies, checks formatting, builds with -Werror and runs every test, then builds
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test again. A throwaway
# PostgreSQL server (scripts/with-postgres.sh) serves the storage tests and is removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-format.sh
for preset in ci asan; do
  echo "== $preset: configure, build, test" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  scripts/with-postgres.sh ctest --preset "$preset" -j 2
done
