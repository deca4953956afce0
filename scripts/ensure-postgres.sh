#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, postgres, pg_ctl) exist; prints their directory
# on the last line. The history tests start their own throwaway cluster in a temp folder.
set -euo pipefail

find_bin_dir() {
  if [[ -n "${PG_BIN_DIR:-}" && -x "${PG_BIN_DIR}/initdb" ]]; then echo "$PG_BIN_DIR"; return 0; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/postgres" ]]; then echo "$dir"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

if dir="$(find_bin_dir)"; then echo "$dir"; exit 0; fi

echo "ensure-postgres: installing Debian's postgresql package" >&2
# shellcheck source=lib/apt-install.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/apt-install.sh"
apt_install postgresql
# Debian starts a system cluster on install; the tests never use it.
dir="$(find_bin_dir)"
echo "$dir"
