#!/usr/bin/env bash
# `make local-cluster-monitoring`: Prometheus on the running local cluster, as production
# runs it. Builds once (hack/local-cluster/addon-binaries.sh) the Prometheus server and
# the Prometheus Operator with its config reloader, pushes their images, installs the
# operator's CRDs (from its Go module, hack/delivery-tools.sh), the operator and a
# Prometheus (hack/local-cluster/monitoring.yaml), then config/monitoring as it is
# (PrometheusRules, dashboards). Idempotent. Run it before `make deploy`: the Notejam
# operator turns on ServiceMonitors when it starts and finds their CRD.
#
# Prometheus is then at http://<ClusterIP of monitoring/prometheus>:9090 (printed).
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # shellcheck source=lib.sh
  source "$root/hack/local-cluster/lib.sh"
  if [ ! -f "$state_dir/cluster.env" ]; then
    echo "local-cluster-monitoring: the local cluster is not up (make local-cluster-up)" >&2
    exit 1
  fi
  # shellcheck disable=SC1091 # written by up.sh
  source "$state_dir/cluster.env"

  echo "local-cluster-monitoring: binaries and images" >&2
  ADDON_IMAGES="prometheus prometheus-operator" "$root/hack/local-cluster/images.sh" "$registry" >/dev/null
  echo "local-cluster-monitoring: the Prometheus Operator's CRDs" >&2
  kubectl apply --server-side -f "$("$root/hack/delivery-tools.sh" prometheus-operator-crds)" >/dev/null
  # shellcheck source=../lib/crd.sh
  source "$root/hack/lib/crd.sh"
  wait_crds_established 60 prometheuses.monitoring.coreos.com servicemonitors.monitoring.coreos.com \
    prometheusrules.monitoring.coreos.com || {
    echo "local-cluster-monitoring: FAILED" >&2
    exit 1
  }

  echo "local-cluster-monitoring: operator and Prometheus" >&2
  sed -e "s#@FIRST_NODE@#$node_name#" \
    -e "s#@OPERATOR_IMAGE@#$registry/$prometheus_operator_image#" \
    -e "s#@RELOADER_IMAGE@#$registry/$config_reloader_image#" \
    -e "s#@PROMETHEUS_IMAGE@#$registry/$prometheus_image#" \
    "$root/hack/local-cluster/monitoring.yaml" | kubectl apply --server-side -f - >/dev/null
  kubectl kustomize "$root/config/monitoring" | kubectl apply --server-side -f - >/dev/null
  kubectl -n monitoring rollout status deployment/prometheus-operator --timeout 180s >&2
  local deadline=$((SECONDS + 240))
  until kubectl -n monitoring get statefulset prometheus-kube-prometheus-stack-prometheus >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "local-cluster-monitoring: the operator created no Prometheus StatefulSet; its log:" >&2
      kubectl -n monitoring logs deployment/prometheus-operator --tail 40 >&2 || true
      exit 1
    fi
    sleep 2
  done
  kubectl -n monitoring rollout status statefulset/prometheus-kube-prometheus-stack-prometheus \
    --timeout 240s >&2
  local address
  address=$(kubectl -n monitoring get service prometheus -o jsonpath='{.spec.clusterIP}')
  until curl -fsS "http://$address:9090/-/ready" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "local-cluster-monitoring: Prometheus at $address:9090 not ready" >&2
      exit 1
    fi
    sleep 2
  done
  echo "local-cluster-monitoring: Prometheus is ready at http://$address:9090" >&2
  echo "http://$address:9090"
}

main "$@"
