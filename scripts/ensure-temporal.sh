#!/usr/bin/env bash
# Prints the absolute path of a `temporal` CLI binary (which contains the dev server).
# Order: TEMPORAL_BIN env var, `temporal` on PATH, $(go env GOPATH)/bin/temporal,
# else build it with `go install` (Go module proxy only; no other network needed).
# Exit status 1 (with a message on stderr) if no binary can be found or built.
set -euo pipefail

TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"

if [[ -n "${TEMPORAL_BIN:-}" && -x "${TEMPORAL_BIN}" ]]; then
  echo "${TEMPORAL_BIN}"
  exit 0
fi

if command -v temporal >/dev/null 2>&1; then
  command -v temporal
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-temporal: no 'temporal' binary on PATH and no Go toolchain to build one." >&2
  echo "  Install the Temporal CLI (https://docs.temporal.io/cli) or Go >= 1.22, then re-run." >&2
  exit 1
fi

GOBIN_DIR="$(go env GOBIN)"
if [[ -z "${GOBIN_DIR}" ]]; then
  GOBIN_DIR="$(go env GOPATH)/bin"
fi
if [[ -x "${GOBIN_DIR}/temporal" ]]; then
  echo "${GOBIN_DIR}/temporal"
  exit 0
fi

# v1.6.0+ of the CLI carry a `replace` directive that `go install pkg@version` refuses.
echo "ensure-temporal: building temporal CLI ${TEMPORAL_CLI_VERSION} with go install (takes a few minutes)..." >&2
if ! GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}" >&2; then
  echo "ensure-temporal: 'go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}' failed." >&2
  exit 1
fi
if [[ ! -x "${GOBIN_DIR}/temporal" ]]; then
  echo "ensure-temporal: go install succeeded but ${GOBIN_DIR}/temporal is missing." >&2
  exit 1
fi
echo "${GOBIN_DIR}/temporal"
