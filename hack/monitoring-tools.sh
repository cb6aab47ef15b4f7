#!/usr/bin/env bash
# Builds (once) and prints the path of a monitoring tool, from the Go module proxy, into a
# cache outside the clone: ~/.cache/notejam/tools/<name>-<version>/<name>.
#
#   hack/monitoring-tools.sh promtool   # Prometheus' rule checker and unit-test runner
#   hack/monitoring-tools.sh amtool     # Alertmanager's configuration checker and router
#
# Versions are pinned here only: Prometheus v3.16.0 (Go module v0.316.0), the major
# version kube-prometheus-stack runs (config/argocd/platform/kube-prometheus-stack.yaml), so
# rule tests evaluate PromQL the way the deployed Prometheus does.
set -euo pipefail

PROMETHEUS_MODULE_VERSION=v0.316.0
# Alertmanager v0.28.1: the version prometheus-operator v0.85.0 (hack/delivery-tools.sh, the
# one kube-prometheus-stack runs) deploys by default, so amtool reads our configuration as
# the deployed Alertmanager does.
ALERTMANAGER_VERSION=v0.28.1

cache=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}/tools

# build <name> <version> <package>: builds package@version into its own directory (once) and
# prints the binary's path.
build() {
  local name=$1 version=$2 package=$3
  local dir="$cache/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    echo "building $name $version into $dir (once, a few minutes)" >&2
    mkdir -p "$dir"
    # Under a lock so parallel callers wait for one build; moved in only when complete.
    exec 9>"$dir.lock"
    flock 9
    if [ ! -x "$dir/$name" ]; then
      tmp=$(mktemp -d "$dir.tmp.XXXXXX")
      trap 'rm -rf "$tmp"' EXIT
      CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-mod=mod nice -n 10 \
        go install -trimpath -ldflags=-s "$package@$version" >&2
      mv "$tmp/$name" "$dir/$name"
    fi
  fi
  echo "$dir/$name"
}

case "${1:-}" in
  promtool) build promtool "$PROMETHEUS_MODULE_VERSION" github.com/prometheus/prometheus/cmd/promtool ;;
  amtool) build amtool "$ALERTMANAGER_VERSION" github.com/prometheus/alertmanager/cmd/amtool ;;
  *)
    echo "usage: $0 promtool|amtool" >&2
    exit 2
    ;;
esac
