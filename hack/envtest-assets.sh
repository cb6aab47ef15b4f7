#!/usr/bin/env bash
# Prints the directory holding the `etcd` and `kube-apiserver` binaries of the test control
# plane (operator/test/envtest/), building them from the Go modules under hack/envtest/
# once when missing.
#
#   hack/envtest-assets.sh              build when missing (`make envtest-assets`)
#   hack/envtest-assets.sh --no-build   fail instead of building (the jest harness: a
#                                       20-minute build does not belong in a test hook)
#
# - KUBEBUILDER_ASSETS set: it wins; nothing is built, the directory is only checked.
# - Otherwise the binaries live outside the clone in setup-envtest's layout,
#   ~/.local/share/kubebuilder-envtest/k8s/<version>-linux-amd64/ (XDG_DATA_HOME honoured),
#   with <version> the k8s.io/kubernetes version pinned in hack/envtest/kube-apiserver/go.mod.
#   A directory that already holds both binaries (ours or setup-envtest's) is reused.
#
# The Go build is long (see docs/testing.md), so its output goes to a log file next to the
# directory and only the log's tail is shown when it fails. Binaries are built in a
# temporary directory and moved in only when both are done, and concurrent callers wait
# for one build under a lock.
#
# The body is one function, read whole before it runs: bash reads scripts as it goes, so
# editing this file during a build would otherwise derail it.
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/.." && pwd)
  build_allowed=1
  case "${1:-}" in
    "") ;;
    --no-build) build_allowed= ;;
    *)
      echo "usage: $0 [--no-build]" >&2
      exit 2
      ;;
  esac
  binaries=(etcd kube-apiserver)

  require_binaries() { # <dir> <what to blame>
    local bin
    for bin in "${binaries[@]}"; do
      if [ ! -x "$1/$bin" ]; then
        echo "envtest-assets: $2: $1/$bin is missing or not executable" >&2
        exit 1
      fi
    done
  }

  if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
    require_binaries "$KUBEBUILDER_ASSETS" "KUBEBUILDER_ASSETS"
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi

  module_version() { # <go.mod> <module path>
    awk -v module="$2" '{ for (i = 1; i < NF; i++) if ($i == module && $(i + 1) ~ /^v/) { print $(i + 1); exit } }' "$1"
  }
  kube_version=$(module_version "$root/hack/envtest/kube-apiserver/go.mod" k8s.io/kubernetes)
  etcd_version=$(module_version "$root/hack/envtest/etcd/go.mod" go.etcd.io/etcd/server/v3)
  if [ -z "$kube_version" ] || [ -z "$etcd_version" ]; then
    echo "envtest-assets: cannot read the pinned versions from hack/envtest/*/go.mod" >&2
    exit 1
  fi

  data_home=${XDG_DATA_HOME:-$HOME/.local/share}
  versions_dir="$data_home/kubebuilder-envtest/k8s"
  assets="$versions_dir/${kube_version#v}-linux-amd64"

  if [ -x "$assets/etcd" ] && [ -x "$assets/kube-apiserver" ]; then
    echo "$assets"
    exit 0
  fi

  if [ -z "$build_allowed" ]; then
    echo "envtest-assets: $assets does not hold etcd and kube-apiserver yet:" \
      "run \`make envtest-assets\` (builds them once) or set KUBEBUILDER_ASSETS" >&2
    exit 1
  fi
  PATH=$PATH:/usr/local/go/bin # where Go's own installer puts it, not always on PATH
  if ! command -v go >/dev/null 2>&1; then
    echo "envtest-assets: building $assets needs Go (1.25 or newer) on PATH," \
      "or set KUBEBUILDER_ASSETS to a directory holding etcd and kube-apiserver" >&2
    exit 1
  fi

  mkdir -p "$versions_dir"
  exec 9>"$versions_dir/.notejam-build.lock"
  flock 9
  if [ -x "$assets/etcd" ] && [ -x "$assets/kube-apiserver" ]; then # built while we waited
    echo "$assets"
    exit 0
  fi

  log="$versions_dir/${kube_version#v}-linux-amd64.build.log"
  staging=$(mktemp -d "$versions_dir/.building-XXXXXX")
  trap 'rm -rf "$staging"' EXIT

  version_flags() { # -X flags so /version and `--version` report the real release
    local pkg
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s ' \
        "$pkg" "$kube_version" "$pkg" "$(cut -d. -f1 <<<"${kube_version#v}")" \
        "$pkg" "$(cut -d. -f2 <<<"$kube_version")"
    done
    printf -- '-X k8s.io/component-base/version.gitTreeState=clean'
  }

  build() { # <module dir> <output> <ldflags>
    (cd "$1" && CGO_ENABLED=0 nice -n 10 go build -mod=readonly -buildvcs=false -trimpath \
      -ldflags "-s -w $3" -o "$2" .)
  }

  echo "envtest-assets: building kube-apiserver $kube_version and etcd $etcd_version into $assets" \
    "(first time only, takes a while; log: $log)" >&2
  started=$SECONDS
  if ! {
    build "$root/hack/envtest/etcd" "$staging/etcd" "" &&
      build "$root/hack/envtest/kube-apiserver" "$staging/kube-apiserver" "$(version_flags)"
  } >"$log" 2>&1; then
    echo "envtest-assets: the build failed; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  require_binaries "$staging" "the build"
  echo "built in $((SECONDS - started)) s" >>"$log"
  mkdir -p "$assets"
  mv -f "$staging/etcd" "$assets/etcd"
  mv -f "$staging/kube-apiserver" "$assets/kube-apiserver" # last: its presence marks completion
  echo "envtest-assets: built in $((SECONDS - started)) s" >&2
  echo "$assets"
}

main "$@"; exit
