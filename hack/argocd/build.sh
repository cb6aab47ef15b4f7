#!/usr/bin/env bash
# Prints the directory holding `argocd`, Argo CD's multi-call binary (it acts as
# argocd-application-controller, argocd-repo-server, ... by the name it is started under),
# and the `kustomize` its repo-server runs, building them once when missing: argocd from
# this directory's Go module, kustomize from hack/kubernetes/ (the release kubectl embeds).
#
#   hack/argocd/build.sh              build when missing (`make argocd-binary`)
#   hack/argocd/build.sh --no-build   fail instead of building
#   hack/argocd/build.sh --version    print the pinned Argo CD version
#
# The directory is ~/.local/share/notejam-local-cluster/argocd/<version>/bin (XDG_DATA_HOME
# honoured), <version> the github.com/argoproj/argo-cd/v3 version of go.mod; a new version
# builds into a new directory (after changing only the Kubernetes module, remove it). Static (CGO_ENABLED=0), stamped with its version through
# -ldflags -X (a module build skips Argo CD's Makefile, so it would say v99.99.99; the
# module carries no commit, so it reports v<version>+unknown as any untagged build), under
# nice; log, lock and move into place: hack/lib/build-once.sh. Cold build times are in
# docs/testing.md.
#
# The body is one function, read whole before it runs (the file may change during a build).
set -euo pipefail

# shellcheck disable=SC2317 # the builder below is called by name through build_once
main() {
  module=$(cd "$(dirname "$0")" && pwd)
  root=$(cd "$module/../.." && pwd)
  # shellcheck source=../lib/go-mod.sh
  source "$root/hack/lib/go-mod.sh"
  version=$(go_mod_version "$module/go.mod" github.com/argoproj/argo-cd/v3)
  if [ "${1:-}" = --version ]; then
    echo "$version"
    exit 0
  fi
  # shellcheck source=../lib/build-once.sh
  source "$root/hack/lib/build-once.sh"
  build_once_flag "$@"

  dir="${XDG_DATA_HOME:-$HOME/.local/share}/notejam-local-cluster/argocd/${version#v}"
  build() { # <output dir>; a condition in build_once, so no set -e: steps chained with &&
    local package=github.com/argoproj/argo-cd/v3/common
    echo "Argo CD $version" &&
      (cd "$module" && CGO_ENABLED=0 nice -n 10 go build -mod=readonly -buildvcs=false -trimpath \
        -ldflags "-s -w -X $package.version=${version#v} -X $package.kubectlVersion=$(kubectl_version)" \
        -o "$1/argocd" github.com/argoproj/argo-cd/v3/cmd) &&
      "$root/hack/kubernetes/build.sh" "$1" kustomize
  }
  kubectl_version() { # what Argo CD's Makefile stamps: the client-go it builds with
    (cd "$module" && go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' k8s.io/client-go)
  }
  build_once argocd-binary "$dir/bin" "$dir/build.log" "" build argocd kustomize
  echo "$dir/bin"
}

main "$@"; exit
