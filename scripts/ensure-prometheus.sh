#!/usr/bin/env bash
# Makes a `prometheus` binary available for the @cascadence/metrics end-to-end test
# (packages/metrics/test/prometheus.e2e.test.ts), and Debian's `prometheus-pushgateway` for the
# real Pushgateway test (packages/metrics/test/push.test.ts) when it can be installed.
#
#   scripts/ensure-prometheus.sh      # prints the binary's path on the last line
#
# 1. `prometheus` already on PATH (or PROMETHEUS_BIN pointing at one): nothing to do.
# 2. Otherwise, as root with apt-get (Debian/Ubuntu): `apt-get update` then
#    `apt-get install -y --no-install-recommends prometheus` (Debian's package; its service is
#    not started in containers without systemd, and the test runs its own instance anyway).
# 3. Otherwise: explain how to install it and exit 1.
set -euo pipefail

say() { printf 'ensure-prometheus: %s\n' "$*" >&2; }

# The Pushgateway: best effort here (push.test.ts fails under CI=true without it).
if ! command -v prometheus-pushgateway >/dev/null 2>&1 && [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  say "prometheus-pushgateway is not on PATH; installing Debian's package"
  if ! apt-get install -y --no-install-recommends prometheus-pushgateway >&2; then
    apt-get update >&2 && apt-get install -y --no-install-recommends prometheus-pushgateway >&2 || say "could not install prometheus-pushgateway"
  fi
fi

if [[ -n "${PROMETHEUS_BIN:-}" && -x "${PROMETHEUS_BIN}" ]]; then
  say "using PROMETHEUS_BIN=${PROMETHEUS_BIN}"
  echo "${PROMETHEUS_BIN}"
  exit 0
fi

if command -v prometheus >/dev/null 2>&1; then
  bin="$(command -v prometheus)"
  say "found ${bin} ($("${bin}" --version 2>&1 | head -n 1))"
  echo "${bin}"
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  say "prometheus is not on PATH; running: apt-get update"
  apt-get update >&2
  say "running: apt-get install -y --no-install-recommends prometheus"
  # The package's postinst may try to start a service; policy-rc.d forbids that where none runs.
  apt-get install -y --no-install-recommends prometheus >&2
  if command -v prometheus >/dev/null 2>&1; then
    bin="$(command -v prometheus)"
    say "installed ${bin} ($("${bin}" --version 2>&1 | head -n 1))"
    echo "${bin}"
    exit 0
  fi
  say "apt-get install finished but no prometheus binary is on PATH"
  exit 1
fi

say "prometheus is not on PATH and this is not root with apt-get."
say "install it (Debian/Ubuntu: sudo apt-get install prometheus; or a release tarball from"
say "https://prometheus.io/download/) and put it on PATH, or set PROMETHEUS_BIN=/path/to/prometheus."
exit 1
