#!/usr/bin/env bash
# Prints the absolute path of a Jaeger v2 binary (`jaeger`: OTLP receiver + in-memory storage + query API)
# on its last line of output.
# Order: JAEGER_BIN env var, `jaeger` on PATH, $(go env GOBIN or GOPATH)/bin/jaeger, else build it.
# `go install github.com/jaegertracing/jaeger/cmd/jaeger@…` is refused (the module carries `replace`
# directives), so the build goes through a throwaway module: go get -tool, then go build
# (Go module proxy only; ~2.5 min and ~120 MB the first time). Exit 1 (message on stderr) if none.
set -euo pipefail

JAEGER_VERSION="${JAEGER_VERSION:-v1.76.0}"

if [[ -n "${JAEGER_BIN:-}" && -x "${JAEGER_BIN}" ]]; then
  echo "${JAEGER_BIN}"
  exit 0
fi

if command -v jaeger >/dev/null 2>&1; then
  command -v jaeger
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure-jaeger: no 'jaeger' binary on PATH and no Go toolchain to build one." >&2
  echo "  Download Jaeger v2 (https://www.jaegertracing.io/download/) and set JAEGER_BIN, or install Go >= 1.24, then re-run." >&2
  exit 1
fi

GOBIN_DIR="$(go env GOBIN)"
if [[ -z "${GOBIN_DIR}" ]]; then
  GOBIN_DIR="$(go env GOPATH)/bin"
fi
if [[ -x "${GOBIN_DIR}/jaeger" ]]; then
  echo "${GOBIN_DIR}/jaeger"
  exit 0
fi

echo "ensure-jaeger: building jaeger ${JAEGER_VERSION} in a scratch Go module (takes a few minutes)..." >&2
scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT
mkdir -p "${GOBIN_DIR}"
if ! (
  cd "${scratch}" &&
    go mod init ensure-jaeger >&2 &&
    GOFLAGS=-mod=mod go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@${JAEGER_VERSION}" >&2 &&
    go build -o "${scratch}/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger >&2
); then
  echo "ensure-jaeger: building github.com/jaegertracing/jaeger/cmd/jaeger@${JAEGER_VERSION} failed." >&2
  exit 1
fi
# Moved into place only when complete, so an interrupted build never leaves a broken cached binary.
mv "${scratch}/jaeger" "${GOBIN_DIR}/jaeger.tmp.$$"
mv "${GOBIN_DIR}/jaeger.tmp.$$" "${GOBIN_DIR}/jaeger"
echo "${GOBIN_DIR}/jaeger"
