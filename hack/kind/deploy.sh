#!/usr/bin/env bash
# Deploys the platform onto the current kube context (kind, or the local cluster whose
# cluster.env `make deploy` sources; README "Deploying on kind" and "A local cluster without
# Docker") without Argo CD: the operator from its Helm chart, a MariaDB for test and prod
# (hack/kind/database.sh), each environment's namespace and database Secret, and the three
# NotejamInstances from samples/ with their images pointed at the locally built ones (the
# same tags as in the samples, in IMAGE_REGISTRY or loaded into the nodes, without any
# pinned digest).
# Idempotent: running it again keeps the generated passwords and data.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
helm=$(hack/delivery-tools.sh helm)
operator_image=${OPERATOR_IMAGE:-notejam-operator:dev}
# Where the app images are (the local cluster's registry); unset: loaded into the nodes.
app_images=${IMAGE_REGISTRY:+$IMAGE_REGISTRY/}notejam
# The local cluster's registry is plain HTTP: the operator resolves tags there over HTTP,
# and its own image is pinned by digest, so a rebuilt operator:dev is rolled out.
operator_values=()
if [ -n "${PLAIN_HTTP_REGISTRIES:-}" ]; then
  operator_values=(--set "extraEnv[0].name=PLAIN_HTTP_REGISTRIES"
    --set-string "extraEnv[0].value=$PLAIN_HTTP_REGISTRIES")
fi
if [ -n "${IMAGE_REGISTRY:-}" ] && [[ $operator_image == "$IMAGE_REGISTRY"/* ]]; then
  repository=${operator_image#"$IMAGE_REGISTRY"/}
  digest=$(curl -fsSI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$IMAGE_REGISTRY/v2/${repository%:*}/manifests/${repository##*:}" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }') || digest=
  if [ -z "$digest" ]; then
    echo "deploy: no digest for $operator_image (registry $IMAGE_REGISTRY down, or the image not pushed: make local-cluster-images)" >&2
    exit 1
  fi
  operator_values+=(--set "image.digest=$digest")
fi

# With the Prometheus Operator's CRDs in the cluster (hack/local-cluster/monitoring.sh), the
# operator's own ServiceMonitor too, labelled as in config/argocd/platform/values.yaml.
if kubectl get crd servicemonitors.monitoring.coreos.com >/dev/null 2>&1; then
  operator_values+=(--set serviceMonitor.enabled=true
    --set serviceMonitor.labels.release=kube-prometheus-stack)
fi

# section <name>: announces a step; a failure names the last one and shows what explains
# it: the workloads, recent events and the logs of every pod not ready.
# shellcheck source=../lib/diagnostics.sh
source "$root/hack/lib/diagnostics.sh"
section() {
  current_section=$1
  echo "== $1 =="
}
diagnose() {
  local status=$?
  [ "$status" -eq 0 ] && return
  echo "deploy: FAILED during \"$current_section\"" >&2
  print_diagnostics notejam-system notejam-db notejam-dev notejam-test notejam-prod
  exit "$status"
}
current_section=start
trap diagnose EXIT

section "operator (${operator_image})"
"$helm" upgrade --install notejam-operator charts/notejam-operator \
  --namespace notejam-system --create-namespace \
  --set image.repository="${operator_image%:*}" --set image.tag="${operator_image##*:}" \
  "${operator_values[@]}" \
  --wait --timeout 5m

section "MariaDB for test and prod"
hack/kind/database.sh server

section "environments"
# The namespaces as the bootstrap makes them (restricted Pod Security); only they are
# rendered, so the repository URLs the chart requires are placeholders.
"$helm" template notejam-bootstrap config/argocd/bootstrap --set repoURL=unused \
  --set releasesRepoURL=unused-releases --show-only templates/namespaces.yaml | kubectl apply -f -
hack/kind/database.sh secrets
for file in samples/{dev,test,prod}/*.yaml; do
  [ "$(basename "$file")" = kustomization.yaml ] && continue
  sed -E 's#^([[:space:]]*image:[[:space:]]*)[^[:space:]]*/notejam:([^@[:space:]]+)(@[^[:space:]]+)?#\1'"$app_images"':\2#' "$file" |
    kubectl apply --server-side -f -
done
for env in dev test prod; do
  section "waiting for notejam-$env to be Ready (migrations and, for test, seeding run first)"
  kubectl -n "notejam-$env" wait notejaminstance --all --for=condition=Ready --timeout=15m
done
kubectl get notejaminstances --all-namespaces
