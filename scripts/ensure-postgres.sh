#!/usr/bin/env bash
# Makes sure PostgreSQL 15 and its RUM extension (Debian's postgresql-15, postgresql-15-rum) are
# installed for the PostgreSQL backend's tests (test/postgres.test.ts starts private clusters from
# /usr/lib/postgresql/15/bin; no server is started here). Installs them with apt-get when missing;
# quiet on success; exits non-zero when they cannot be installed, so CI says so instead of
# skipping the database tests.
set -euo pipefail

have() { [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -f /usr/share/postgresql/15/extension/rum.control ]; }
have && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: no apt-get here; install PostgreSQL 15 with the RUM extension yourself" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); else
    echo "ensure-postgres: not root and no sudo: cannot install postgresql-15 postgresql-15-rum" >&2
    exit 1
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "ensure-postgres: installing postgresql-15 postgresql-15-rum with apt-get"
if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq postgresql-15 postgresql-15-rum; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "ensure-postgres: could not install PostgreSQL" >&2
  exit 1
fi
have || { echo "ensure-postgres: installed, but initdb or rum.control is missing" >&2; exit 1; }
exit 0
