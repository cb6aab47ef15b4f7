# shellcheck shell=bash
# Sourced by the scripts that apply CRDs and then use them (hack/argocd/install.sh,
# hack/local-cluster/monitoring.sh).
#
#   wait_crds_established <seconds> <crd name>...
#
# kubectl wait fails at once, instead of waiting, on a CRD whose status has no conditions
# yet (right after the apply): retried until the deadline. Fails naming the CRDs and
# printing them when they are not Established by then.
wait_crds_established() {
  local seconds=$1 deadline=$((SECONDS + $1))
  shift
  until kubectl wait crd --for condition=Established --timeout 10s "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "the CRDs $* are not Established after $seconds s" >&2
      kubectl get crd "$@" >&2 || true
      return 1
    fi
    sleep 1
  done
}
