#!/usr/bin/env bash
# Prints the directory holding the binaries of one of the local cluster's add-ons, building
# them once from Go modules when missing (the way hack/local-cluster/binaries.sh builds the
# Kubernetes components):
#
#   hack/local-cluster/addon-binaries.sh <add-on> [--no-build]
#
#   metrics-server        metrics-server (resource metrics: `kubectl top`, autoscalers)
#   prometheus            prometheus (the server)
#   prometheus-operator   operator and prometheus-config-reloader
#
# Each add-on is a wrapper module, hack/local-cluster/<add-on>/, whose go.mod pins the
# upstream release and lists its commands as tools; its binaries land in
# ~/.local/share/notejam-local-cluster/<add-on>-<version>/bin (XDG_DATA_HOME honoured), so
# changing the pinned version builds again. Static, stripped, the release stamped where
# the program reports it. Lock, log and the move into place: hack/lib/build-once.sh. The
# builds are long (see docs/testing.md) and run under nice.
#
# The body is one function, read whole before it runs (the file may change during a build).
set -euo pipefail

# shellcheck disable=SC2317 # the builder below is called by name through build_once
main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # shellcheck source=../lib/build-once.sh
  source "$root/hack/lib/build-once.sh"
  addon=${1:-}
  shift || true
  build_once_flag "$@"

  local upstream stamp tags='' target=local-cluster-monitoring
  case "$addon" in
    metrics-server)
      target=local-cluster-up
      upstream=sigs.k8s.io/metrics-server
      stamp=k8s.io/client-go/pkg/version.gitVersion
      ;;
    prometheus)
      upstream=github.com/prometheus/prometheus
      stamp=github.com/prometheus/common/version.Version
      # Only Kubernetes service discovery (what the operator's configuration uses): the
      # cloud providers' SDKs would double the build.
      tags=remove_all_sd,enable_kubernetes_sd
      ;;
    prometheus-operator)
      upstream=github.com/prometheus-operator/prometheus-operator
      stamp=github.com/prometheus/common/version.Version
      ;;
    *)
      echo "usage: $0 metrics-server|prometheus|prometheus-operator [--no-build]" >&2
      exit 2
      ;;
  esac
  module_dir=$root/hack/local-cluster/$addon
  version=$(awk -v module="$upstream" '$1 == module && $2 ~ /^v/ { print $2; exit }' "$module_dir/go.mod")
  # The commands are the module's tools: the last path element names the binary.
  mapfile -t tools < <(awk '/^tool \(/ { block = 1; next } block && /^\)/ { block = 0 }
    block { print $1 } /^tool [^(]/ { print $2 }' "$module_dir/go.mod")
  if [ -z "$version" ] || [ ${#tools[@]} -eq 0 ]; then
    echo "addon-binaries: $module_dir/go.mod requires no $upstream or lists no tool" >&2
    exit 1
  fi
  binaries=()
  for tool in "${tools[@]}"; do binaries+=("${tool##*/}"); done
  dir="${XDG_DATA_HOME:-$HOME/.local/share}/notejam-local-cluster/$addon-$version"

  build() { # <output dir>
    # Prometheus' module versions v0.3xx.y are its releases 3.xx.y; Prometheus' own
    # version package takes the number without "v", Kubernetes' with it.
    local reported=$version
    [ "$addon" = prometheus ] && reported=$(awk -F. '{ printf "v3.%d.%d", substr($2, 2), $3 }' <<<"$version")
    [[ $stamp == github.com/prometheus/* ]] && reported=${reported#v}
    (cd "$module_dir" && CGO_ENABLED=0 nice -n 10 go build -mod=readonly -buildvcs=false -trimpath \
      -tags "$tags" -ldflags "-s -w -X $stamp=$reported" -o "$1/" "${tools[@]}")
  }
  build_once "$target" "$dir/bin" "$dir/build.log" "" build "${binaries[@]}"
  echo "$dir/bin"
}

main "$@"; exit
