#!/usr/bin/env bash
# Installs Argo CD on the current cluster (KUBECONFIG) from its own manifests, the ones its
# Go module ships (core-install.yaml of the version hack/argocd/go.mod pins), with the
# images of hack/argocd/images.sh and the settings of hack/argocd/install/, then waits until
# its controller, repo-server and Redis are ready. Idempotent.
#   hack/argocd/install.sh [registry]            (default: $REGISTRY, else 10.250.0.1:5000)
#   hack/argocd/install.sh --render [registry]   print the manifests instead (the delivery
#                                                tests compare them with Argo CD's own)
#
# The body is one function, read whole before it runs (the file may change during a run).
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  local render=
  if [ "${1:-}" = --render ]; then
    render=1
    shift
  fi
  registry=${1:-${REGISTRY:-10.250.0.1:5000}}
  local version module
  version=$("$root/hack/argocd/build.sh" --version)
  module=$(cd "$root/hack/argocd" && go list -mod=readonly -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
  staging=$(mktemp -d) # global: the EXIT trap runs after main returns
  trap 'rm -rf "$staging"' EXIT
  cp "$module/manifests/core-install.yaml" "$staging/"
  mkdir "$staging/notejam"
  cp -r "$root/config/argocd/kustomization.yaml" "$root/config/argocd/health" "$staging/notejam/"
  sed -e "s#@REGISTRY@#$registry#g" -e "s#@ARGOCD_VERSION@#$version#g" \
    "$root/hack/argocd/install/kustomization.yaml" >"$staging/kustomization.yaml"
  if [ -n "$render" ]; then
    kubectl kustomize "$staging"
    return 0
  fi

  # On a failure, what explains it: Argo CD's pods, events and logs.
  # shellcheck source=../lib/diagnostics.sh
  source "$root/hack/lib/diagnostics.sh"
  trap cleanup EXIT
  kubectl create namespace argocd --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  # Server-side: Argo CD's CRDs are too large for client-side apply's annotation.
  kubectl kustomize "$staging" | kubectl apply --server-side --force-conflicts -f - >/dev/null
  # shellcheck source=../lib/crd.sh
  source "$root/hack/lib/crd.sh"
  wait_crds_established 60 applications.argoproj.io appprojects.argoproj.io
  kubectl -n argocd rollout status deployment/argocd-redis --timeout 5m >&2
  kubectl -n argocd rollout status deployment/argocd-repo-server --timeout 5m >&2
  kubectl -n argocd rollout status statefulset/argocd-application-controller --timeout 5m >&2
  echo "argocd: Argo CD $version is running in namespace argocd" >&2
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local status=$?
  rm -rf "$staging"
  [ "$status" -eq 0 ] || print_diagnostics argocd
}

main "$@"; exit
