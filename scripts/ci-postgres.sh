#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests/postgres/ (real logins with real passwords).
#
#   eval "$(bash scripts/ci-postgres.sh)"    # start; prints the export lines below on stdout
#   bash scripts/ci-postgres.sh stop         # stop the server started above (reads AURORA_RESTORE_PG_DATA)
#
# Start prints
#   export AURORA_RESTORE_PG_URL=postgres://postgres:<password>@127.0.0.1:<port>/postgres
#   export AURORA_RESTORE_PG_DATA=<data directory>
# and nothing else on stdout (progress goes to stderr). Installs PostgreSQL with apt-get when it is
# missing (Debian 12: PostgreSQL 15). It never fails the caller: when PostgreSQL cannot be installed or
# started it prints a warning, exits 0 with nothing on stdout, and the tests that need it skip.
#
# Measured here (Debian 12, 2 vCPU): with PostgreSQL present, initdb + start take ~2 s; apt-get
# update + install of postgresql add ~30-60 s on a fresh image.
set -uo pipefail

log() { echo "ci-postgres: $*" >&2; }

# pg binaries: on PATH, or where Debian's postgresql-common puts them (newest major version).
find_bin() {
  command -v "$1" 2>/dev/null && return 0
  ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}

# initdb and postgres refuse to run as root: run them as the `postgres` OS user then.
as_pg() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

stop_server() {
  local data="${AURORA_RESTORE_PG_DATA:-}"
  [ -n "$data" ] && [ -d "$data" ] || return 0
  local pg_ctl
  pg_ctl="$(find_bin pg_ctl)"
  [ -n "$pg_ctl" ] && as_pg "$pg_ctl" -D "$data" -m fast -w stop >&2 || true
  rm -rf "$(dirname "$data")"
}

if [ "${1:-start}" = "stop" ]; then
  stop_server
  exit 0
fi

started=$(date +%s)
initdb="$(find_bin initdb)"
if [ -z "$initdb" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "warning: PostgreSQL is not installed and cannot be installed here (needs root and apt-get); real-login tests will skip"
    exit 0
  fi
  log "installing PostgreSQL with apt-get"
  if ! { timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends postgresql; } >&2; then
    log "warning: could not install PostgreSQL; real-login tests will skip"
    exit 0
  fi
  initdb="$(find_bin initdb)"
  if [ -z "$initdb" ]; then
    log "warning: initdb not found after installing PostgreSQL; real-login tests will skip"
    exit 0
  fi
fi
pg_ctl="$(dirname "$initdb")/pg_ctl"
[ -x "$pg_ctl" ] || pg_ctl="$(find_bin pg_ctl)"

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  log "warning: running as root without a 'postgres' OS user to run the server as; real-login tests will skip"
  exit 0
fi

# A free port: ask the OS (Node is always here; bash has no portable way).
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
password="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
if [ -z "$port" ] || ! dir="$(mktemp -d "${TMPDIR:-/tmp}/aurora-restore-pg.XXXXXX")"; then
  log "warning: no free port or temporary directory; real-login tests will skip"
  exit 0
fi
data="$dir/data"
printf '%s\n' "$password" > "$dir/pwfile"
chmod 700 "$dir"
chmod 600 "$dir/pwfile"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"

if ! as_pg "$initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$dir/pwfile" --no-locale -E UTF8 -N >"$dir/initdb.log" 2>&1; then
  log "warning: initdb failed; real-login tests will skip"
  tail -n 20 "$dir/initdb.log" >&2
  rm -rf "$dir"
  exit 0
fi
rm -f "$dir/pwfile"

# Loopback only, its own socket directory, no fsync (throwaway data).
if ! as_pg "$pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start </dev/null >&2; then
  log "warning: PostgreSQL did not start; real-login tests will skip"
  tail -n 20 "$dir/server.log" >&2
  rm -rf "$dir"
  exit 0
fi

log "PostgreSQL $("$(dirname "$initdb")/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, ready in $(( $(date +%s) - started )) s"
echo "export AURORA_RESTORE_PG_URL=postgres://postgres:${password}@127.0.0.1:${port}/postgres"
echo "export AURORA_RESTORE_PG_DATA=${data}"
