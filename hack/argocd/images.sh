#!/usr/bin/env bash
# Builds the images Argo CD runs in on the local cluster with buildah and pushes them to its
# registry; prints their references, Argo CD's first:
#   hack/argocd/images.sh [registry]      (default: $REGISTRY, else 10.250.0.1:5000)
# - argocd:<version>: hack/argocd/Dockerfile around the binaries of hack/argocd/build.sh
#   (built once, cached), helm (hack/delivery-tools.sh) and Argo CD's GnuPG wrappers;
# - redis:7.0-notejam: Debian's redis-server (hack/argocd/redis/).
# Their base, debian:bookworm-slim, comes from hack/local-cluster/images.sh (local-cluster-up).
#
# The body is one function, read whole before it runs (the file may change during a run).
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  registry=${1:-${REGISTRY:-10.250.0.1:5000}}
  local version bin helm module logs argocd_image redis_image=redis:7.0-notejam
  version=$("$root/hack/argocd/build.sh" --version)
  bin=$("$root/hack/argocd/build.sh")
  helm=$("$root/hack/delivery-tools.sh" helm)
  module=$(cd "$root/hack/argocd" && go list -mod=readonly -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
  argocd_image=argocd:$version
  logs=${XDG_CACHE_HOME:-$HOME/.cache}/notejam/base-images
  mkdir -p "$logs"
  context=$(mktemp -d) # global: the EXIT trap runs after main returns
  trap 'rm -rf "$context"' EXIT
  cp "$root/hack/argocd/Dockerfile" "$bin/argocd" "$bin/kustomize" "$helm" \
    "$module/hack/gpg-wrapper.sh" "$module/hack/git-verify-wrapper.sh" "$context/"
  chmod 0755 "$context"/*.sh

  # shellcheck source=../lib/buildah.sh
  source "$root/hack/lib/buildah.sh"
  build "$argocd_image" "$context" "$logs/argocd.build.log"
  build "$redis_image" "$root/hack/argocd/redis" "$logs/argocd-redis.build.log"
  for image in "$argocd_image" "$redis_image"; do
    buildah push --quiet --tls-verify=false "localhost/$image" "docker://$registry/$image"
    echo "$registry/$image"
  done
}

# build <image> <context> <log>
build() {
  local started=$SECONDS
  echo "argocd images: building $1 (log: $3)" >&2
  if ! buildah_build "$3" "$2" --pull=never -t "localhost/$1"; then
    echo "argocd images: building $1 failed (full log: $3)" >&2
    exit 1
  fi
  echo "argocd images: $1 built in $((SECONDS - started)) s" >&2
}

main "$@"; exit
