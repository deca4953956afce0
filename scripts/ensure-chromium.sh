#!/usr/bin/env bash
# Makes sure a Chromium binary exists for the dashboard's browser tests; prints its path on the
# last line. Debian's package: playwright-core drives it, and never downloads a browser of its own.
set -euo pipefail

find_chromium() {
  if [[ -n "${CASCADENCE_CHROMIUM_BIN:-}" && -x "${CASCADENCE_CHROMIUM_BIN}" ]]; then echo "$CASCADENCE_CHROMIUM_BIN"; return 0; fi
  local name
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

if bin="$(find_chromium)"; then echo "$bin"; exit 0; fi

echo "ensure-chromium: installing Debian's chromium package" >&2
# shellcheck source=lib/apt-install.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/apt-install.sh"
apt_install chromium
find_chromium
