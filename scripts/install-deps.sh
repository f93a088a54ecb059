#!/usr/bin/env bash
# Installs every Debian 12 package cost-ops needs to build, test and benchmark (postgresql: the
# server the tests start in a temporary directory; its service is not used; zsh and fish: the shells
# `cost-ops completion`'s scripts are tested in, beside bash).
# Idempotent and quiet when everything is present.
set -euo pipefail
PACKAGES=(
  g++ cmake ninja-build pkg-config git
  nlohmann-json3-dev libcli11-dev libspdlog-dev libsimdjson-dev
  libsqlite3-dev zlib1g-dev libzstd-dev libpq-dev libhowardhinnant-date-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format-14
  postgresql tzdata python3 python3-jsonschema
  zsh fish
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
