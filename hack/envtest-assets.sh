#!/usr/bin/env bash
# Prints the directory holding the `etcd` and `kube-apiserver` binaries of the test control
# plane (operator/test/envtest/), building them once when missing: kube-apiserver from
# hack/kubernetes/ (the Kubernetes module the local cluster's binaries come from too), etcd
# from hack/envtest/etcd/.
#
#   hack/envtest-assets.sh              build when missing (`make envtest-assets`)
#   hack/envtest-assets.sh --no-build   fail instead of building (the jest harness: a
#                                       20-minute build does not belong in a test hook)
#
# - KUBEBUILDER_ASSETS set: it wins; nothing is built, the directory is only checked.
# - Otherwise the binaries live outside the clone in setup-envtest's layout,
#   ~/.local/share/kubebuilder-envtest/k8s/<version>-linux-amd64/ (XDG_DATA_HOME honoured),
#   with <version> the k8s.io/kubernetes version pinned in hack/kubernetes/go.mod.
#   A directory that already holds both binaries (ours or setup-envtest's) is reused.
#
# The Go build is long (see docs/testing.md), so its output goes to a log file next to the
# directory and only the log's tail is shown when it fails. Binaries are built in a
# temporary directory and moved in only when both are done, and concurrent callers wait
# for one build under a lock (hack/lib/build-once.sh).
#
# The body is one function, read whole before it runs: bash reads scripts as it goes, so
# editing this file during a build would otherwise derail it.
set -euo pipefail

# shellcheck disable=SC2317 # the builders below are called by name through build_once
main() {
  root=$(cd "$(dirname "$0")/.." && pwd)
  # shellcheck source=lib/build-once.sh
  source "$root/hack/lib/build-once.sh"
  build_once_flag "$@"

  if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
    for bin in etcd kube-apiserver; do
      if [ ! -x "$KUBEBUILDER_ASSETS/$bin" ]; then
        echo "envtest-assets: KUBEBUILDER_ASSETS: $KUBEBUILDER_ASSETS/$bin is missing or not executable" >&2
        exit 1
      fi
    done
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi

  kube_version=$("$root/hack/kubernetes/build.sh" --version)
  # shellcheck source=lib/go-mod.sh
  source "$root/hack/lib/go-mod.sh"
  etcd_version=$(go_mod_version "$root/hack/envtest/etcd/go.mod" go.etcd.io/etcd/server/v3)

  versions_dir="${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest/k8s"
  assets="$versions_dir/${kube_version#v}-linux-amd64"

  build() { # <output dir>; a condition in build_once, so no set -e: steps chained with &&
    echo "kube-apiserver $kube_version, etcd $etcd_version" &&
      (cd "$root/hack/envtest/etcd" && CGO_ENABLED=0 nice -n 10 go build -mod=readonly \
        -buildvcs=false -trimpath -ldflags "-s -w" -o "$1/etcd" .) &&
      "$root/hack/kubernetes/build.sh" "$1" kube-apiserver
  }
  build_once envtest-assets "$assets" "$assets.build.log" "set KUBEBUILDER_ASSETS" build \
    etcd kube-apiserver
  echo "$assets"
}

main "$@"; exit
