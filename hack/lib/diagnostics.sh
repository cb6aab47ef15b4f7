# shellcheck shell=bash
# Sourced by the scripts that deploy to a cluster (hack/kind/deploy.sh, hack/argocd/
# install.sh): what explains a failed step, per namespace — the workloads, the recent
# events and the logs of every pod that is not ready.
#
#   print_diagnostics <namespace>...     on stderr; namespaces that do not exist are skipped

print_diagnostics() {
  local namespace pod
  for namespace in "$@"; do
    kubectl get namespace "$namespace" >/dev/null 2>&1 || continue
    echo "=== $namespace ===" >&2
    kubectl -n "$namespace" get notejaminstances,deployments,statefulsets,jobs,pods -o wide >&2 2>&1 ||
      kubectl -n "$namespace" get deployments,statefulsets,jobs,pods -o wide >&2 2>&1 || true
    kubectl -n "$namespace" get events --sort-by=.lastTimestamp 2>&1 | tail -20 >&2 || true
    for pod in $(kubectl -n "$namespace" get pods -o \
      jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.status.containerStatuses[*].ready}{"\n"}{end}' |
      awk '$2 != "Succeeded" && (NF < 3 || / false/) { print $1 }'); do
      echo "--- logs of $namespace/$pod ---" >&2
      kubectl -n "$namespace" logs "$pod" --all-containers --prefix --tail 80 >&2 2>&1 || true
    done
  done
}
