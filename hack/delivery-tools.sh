#!/usr/bin/env bash
# Builds (once) and prints the path of a delivery tool, from the Go module proxy, into a
# cache outside the clone: ~/.cache/notejam/tools/<name>-<version>/<name>.
#
#   hack/delivery-tools.sh helm          # prints the helm binary's path
#   hack/delivery-tools.sh all           # builds every tool and module below
#   hack/delivery-tools.sh argocd-crds   # prints the directory holding Argo CD's CRDs
#   hack/delivery-tools.sh shellcheck    # Debian's shellcheck, installed with apt-get when missing
#   hack/delivery-tools.sh container-tools   # Debian's buildah and skopeo (the delivery pipeline's)
#
# Versions are pinned here and only here, except Argo CD's: the version the local cluster
# runs (hack/argocd/go.mod), and the gopher-lua it requires. glua is gopher-lua's
# interpreter: the Lua VM Argo CD itself embeds, so our health checks run on the same VM and
# version as in Argo CD. The Argo CD and prometheus-operator modules are fetched (not
# built) for the CRDs and manifests they carry, so the server-side dry-run validates our
# objects against the real schemas.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
HELM_VERSION=v3.22.0
HELM_KUBERNETES_MINOR=37 # helm v3.22.0 builds on client-go v0.37
ACTIONLINT_VERSION=v1.7.12
KIND_VERSION=v0.33.0
# shellcheck source=lib/go-mod.sh
source "$root/hack/lib/go-mod.sh"
ARGOCD_VERSION=$(go_mod_version "$root/hack/argocd/go.mod" github.com/argoproj/argo-cd/v3)
GOPHER_LUA_VERSION=$(go_mod_version "$root/hack/argocd/go.mod" github.com/yuin/gopher-lua)
PROMETHEUS_OPERATOR_VERSION=v0.85.0

cache=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}/tools

# go_install <name> <version> <package> [ldflags]: builds package@version into its own directory.
go_install() {
  local name=$1 version=$2 package=$3 ldflags=${4:-}
  local dir="$cache/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    echo "building $name $version into $dir (once)" >&2
    mkdir -p "$dir"
    CGO_ENABLED=0 GOBIN="$dir" nice -n 10 go install -trimpath -ldflags="-s $ldflags" "$package@$version" >&2
    [ "$(basename "$package")" = "$name" ] || mv "$dir/$(basename "$package")" "$dir/$name"
  fi
  echo "$dir/$name"
}

# module_files <name> <module> <version> <dir in module>: extracts the files of one directory
# of a module zip (the proxy's own, checksum-verified archive; not built, so its Go version
# does not matter) into the cache and prints that directory.
module_files() {
  local name=$1 module=$2 version=$3 subdir=$4
  local dir="$cache/$name-$version"
  if [ ! -d "$dir" ]; then
    command -v unzip >/dev/null || apt-get install -y -qq unzip >&2
    local zip
    # go reports an error when the module needs a newer Go to build; the zip is there anyway
    zip=$(cd "$cache" && { go mod download -json "$module@$version" || true; } |
      sed -n 's/^[[:space:]]*"Zip": "\(.*\)",$/\1/p')
    [ -f "$zip" ] || { echo "could not download $module@$version" >&2; exit 1; }
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    unzip -q -j "$zip" "$module@$version/$subdir/*.yaml" -d "$dir.tmp"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

mkdir -p "$cache"
case "${1:-}" in
  helm)
    # Stamped as helm's Makefile does: its version, and the Kubernetes version of its
    # client-go, which `helm template` and `helm lint` assume as the cluster's.
    go_install helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "$(
      printf -- '-X helm.sh/helm/v3/internal/version.version=%s ' "$HELM_VERSION"
      for package in pkg/chartutil pkg/lint/rules; do
        printf -- '-X helm.sh/helm/v3/%s.k8sVersionMajor=1 -X helm.sh/helm/v3/%s.k8sVersionMinor=%s ' \
          "$package" "$package" "$HELM_KUBERNETES_MINOR"
      done
    )"
    ;;
  actionlint) go_install actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint ;;
  glua) go_install glua "$GOPHER_LUA_VERSION" github.com/yuin/gopher-lua/cmd/glua ;;
  kind) go_install kind "$KIND_VERSION" sigs.k8s.io/kind ;;
  argocd-crds) module_files argocd-crds github.com/argoproj/argo-cd/v3 "$ARGOCD_VERSION" manifests/crds ;;
  prometheus-operator-crds)
    module_files prometheus-operator-crds github.com/prometheus-operator/prometheus-operator \
      "$PROMETHEUS_OPERATOR_VERSION" example/prometheus-operator-crd
    ;;
  shellcheck)
    # Debian's: lints our scripts, and actionlint uses it for the workflows' run: steps.
    command -v shellcheck >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >&2
    command -v shellcheck
    ;;
  container-tools)
    # Debian's: hack/gitops/pipeline.sh builds with buildah and re-tags with skopeo.
    if ! command -v buildah >/dev/null || ! command -v skopeo >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah skopeo >&2
    fi
    command -v skopeo
    ;;
  all)
    for tool in helm actionlint glua shellcheck container-tools argocd-crds prometheus-operator-crds; do
      "$0" "$tool"
    done
    ;;
  *)
    echo "usage: $0 helm|actionlint|glua|shellcheck|container-tools|kind|argocd-crds|prometheus-operator-crds|all" >&2
    exit 2
    ;;
esac
