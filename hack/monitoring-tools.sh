#!/usr/bin/env bash
# Builds (once) and prints the path of a monitoring tool, from the Go module proxy, into a
# cache outside the clone: ~/.cache/notejam/tools/<name>-<version>/<name>.
#
#   hack/monitoring-tools.sh promtool   # Prometheus' rule checker and unit-test runner
#
# The version is pinned here only: Prometheus v3.16.0 (Go module v0.316.0), the major
# version kube-prometheus-stack runs (config/argocd/monitoring.yaml), so rule tests
# evaluate PromQL the way the deployed Prometheus does.
set -euo pipefail

PROMETHEUS_MODULE_VERSION=v0.316.0

cache=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}/tools

case "${1:-}" in
  promtool)
    dir="$cache/promtool-$PROMETHEUS_MODULE_VERSION"
    if [ ! -x "$dir/promtool" ]; then
      echo "building promtool $PROMETHEUS_MODULE_VERSION into $dir (once, a few minutes)" >&2
      mkdir -p "$dir"
      # Under a lock so parallel callers wait for one build; moved in only when complete.
      exec 9>"$dir.lock"
      flock 9
      if [ ! -x "$dir/promtool" ]; then
        tmp=$(mktemp -d "$dir.tmp.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-mod=mod nice -n 10 \
          go install -trimpath -ldflags=-s "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" >&2
        mv "$tmp/promtool" "$dir/promtool"
      fi
    fi
    echo "$dir/promtool"
    ;;
  *)
    echo "usage: $0 promtool" >&2
    exit 2
    ;;
esac
