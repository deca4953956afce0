#!/usr/bin/env bash
# Makes sure every real server the test suite uses is installed, so the README's test command
# skips nothing on a fresh machine: the Temporal CLI (dev server), Prometheus and the
# Pushgateway, PostgreSQL's server binaries, Jaeger, Chromium (the dashboard's browser tests). Each ensure-*.sh finds an installed copy
# first (PATH, the usual folders, or an env var naming it) and installs only what is missing.
# The tests start their own instances on free loopback ports.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

temporal="$(bash ensure-temporal.sh | tail -n 1)"
prometheus="$(bash ensure-prometheus.sh | tail -n 1)"
postgres="$(bash ensure-postgres.sh | tail -n 1)"
jaeger="$(bash ensure-jaeger.sh | tail -n 1)"
chromium="$(bash ensure-chromium.sh | tail -n 1)"
pushgateway="$(command -v prometheus-pushgateway || echo 'missing (its test fails under CI=true, else skips)')"
echo "servers: temporal ${temporal}; prometheus ${prometheus}; pushgateway ${pushgateway}; postgresql ${postgres}; jaeger ${jaeger}; chromium ${chromium}"
