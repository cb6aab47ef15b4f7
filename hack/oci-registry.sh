#!/usr/bin/env bash
# Prints the path of the OCI distribution registry server (CNCF distribution, the
# `registry` command) that the operator's registry tests run, building it once from its
# Go module (through the Go module proxy) into a cache outside the clone:
# ~/.cache/notejam/oci-registry/<version>/registry (XDG_CACHE_HOME honoured).
# OCI_REGISTRY_BIN set: it wins and is only checked.
set -euo pipefail

module=github.com/distribution/distribution/v3
version=v3.1.2

if [ -n "${OCI_REGISTRY_BIN:-}" ]; then
  if [ ! -x "$OCI_REGISTRY_BIN" ]; then
    echo "oci-registry: OCI_REGISTRY_BIN=$OCI_REGISTRY_BIN is not an executable file" >&2
    exit 1
  fi
  echo "$OCI_REGISTRY_BIN"
  exit 0
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/notejam/oci-registry/$version"
binary="$cache/registry"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "oci-registry: building $binary needs Go on PATH (or set OCI_REGISTRY_BIN)" >&2
  exit 1
fi
mkdir -p "$cache"
# One build at a time; a concurrent caller waits and then finds the binary.
exec 9>"$cache/.lock"
flock 9
if [ ! -x "$binary" ]; then
  staging=$(mktemp -d "$cache/.building-XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  log="$cache/build.log"
  echo "oci-registry: building $module/cmd/registry@$version (log: $log)" >&2
  if ! GOBIN="$staging" GOFLAGS=-trimpath CGO_ENABLED=0 nice -n 10 \
    go install -ldflags='-s -w' "$module/cmd/registry@$version" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "oci-registry: build failed (full log: $log)" >&2
    exit 1
  fi
  mv "$staging/registry" "$binary"
fi
echo "$binary"
