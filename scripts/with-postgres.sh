#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: a cluster in a temporary directory, listening
# on a loopback port only, trust authentication. Exports COSTOPS_TEST_PG_URL for the tests and
# removes everything afterwards. Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL server binaries not found (Debian package postgresql)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/costops-pg.XXXXXX)
port=$(( 20000 + RANDOM % 20000 ))
as_owner=()
if [ "$(id -u)" -eq 0 ]; then  # the server refuses to run as root
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
cleanup() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres costops_test
export COSTOPS_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/costops_test"
"$@"
