#!/usr/bin/env bash
# Builds Kubernetes components from this module's cmd/<name> packages as static binaries
# that report the pinned release, for hack/envtest-assets.sh and
# hack/local-cluster/binaries.sh (which own caching, locking and logging).
#
#   hack/kubernetes/build.sh --version            print the pinned k8s.io/kubernetes version
#   hack/kubernetes/build.sh <out dir> <name>...  build cmd/<name> into <out dir>/<name>
set -euo pipefail

main() {
  module=$(cd "$(dirname "$0")" && pwd)
  # shellcheck source=../lib/go-mod.sh
  source "$module/../lib/go-mod.sh"
  version=$(go_mod_version "$module/go.mod" k8s.io/kubernetes)
  if [ "${1:-}" = --version ]; then
    echo "$version"
    exit 0
  fi
  if [ $# -lt 2 ]; then
    echo "usage: $0 --version | <out dir> <component>..." >&2
    exit 2
  fi
  out=$(mkdir -p "$1" && cd "$1" && pwd)
  shift

  # Without -X, /version and --version would report v0.0.0: the release is normally
  # stamped by upstream's build scripts, which a module build does not run.
  ldflags="-s -w -X k8s.io/component-base/version.gitTreeState=clean"
  major=$(cut -d. -f1 <<<"${version#v}")
  minor=$(cut -d. -f2 <<<"$version")
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  done

  packages=()
  for name in "$@"; do packages+=("./cmd/$name"); done
  # One `go build` for all of them: shared packages are compiled once. Static like
  # upstream's release binaries (the kubelet included: it needs no cgo on Linux).
  cd "$module"
  CGO_ENABLED=0 nice -n 10 go build -mod=readonly -buildvcs=false -trimpath \
    -ldflags "$ldflags" -o "$out/" "${packages[@]}"
}

main "$@"; exit
