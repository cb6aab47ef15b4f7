#!/usr/bin/env bash
# Prints the directory holding the local cluster's binaries (kubelet,
# kube-controller-manager, kube-scheduler, kube-proxy, kubectl, coredns, pause), building
# them once from Go modules when missing. etcd and kube-apiserver come from
# hack/envtest-assets.sh.
#
#   hack/local-cluster/binaries.sh              build when missing (`make local-cluster-binaries`)
#   hack/local-cluster/binaries.sh --no-build   fail instead of building
#
# The directory is ~/.local/share/notejam-local-cluster/<version>/bin (XDG_DATA_HOME
# honoured), <version> being the k8s.io/kubernetes version pinned in hack/kubernetes/go.mod.
# Sources: hack/kubernetes/ (the Kubernetes components), hack/local-cluster/coredns/ and
# hack/local-cluster/pause/. After changing only the CoreDNS version or the pause program,
# remove the directory to rebuild.
#
# The build takes minutes, so its output goes to build.log next to the directory (with
# each step's duration) and only the log's tail is shown when it fails; see
# hack/lib/build-once.sh for the lock and the move into place.
#
# The body is one function, read whole before it runs: bash reads scripts as it goes, so
# editing this file during a build would otherwise derail it.
set -euo pipefail

# shellcheck disable=SC2317 # the builders below are called by name through build_once
main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # shellcheck source=../lib/build-once.sh
  source "$root/hack/lib/build-once.sh"
  build_once_flag "$@"

  kube_version=$("$root/hack/kubernetes/build.sh" --version)
  version_dir="${XDG_DATA_HOME:-$HOME/.local/share}/notejam-local-cluster/${kube_version#v}"
  kubernetes=(kubelet kube-controller-manager kube-scheduler kube-proxy kubectl)

  step() { # <what> <command>...: runs it, noting its duration in the log
    local started=$SECONDS
    echo "== $1"
    "${@:2}" || return # a condition in build_once: set -e does not apply
    echo "== $1: $((SECONDS - started)) s"
  }
  module() { # <module dir> <output>
    (cd "$1" && CGO_ENABLED=0 nice -n 10 go build -mod=readonly -buildvcs=false -trimpath \
      -ldflags "-s -w" -o "$2" .)
  }
  build() { # <output dir>
    step pause module "$root/hack/local-cluster/pause" "$1/pause" &&
      step coredns module "$root/hack/local-cluster/coredns" "$1/coredns" &&
      step "Kubernetes $kube_version" "$root/hack/kubernetes/build.sh" "$1" "${kubernetes[@]}"
  }
  build_once local-cluster-binaries "$version_dir/bin" "$version_dir/build.log" "" build \
    "${kubernetes[@]}" coredns pause
  echo "$version_dir/bin"
}

main "$@"; exit
