#!/usr/bin/env bash
# Deploys the platform onto the current kube context (kind, or the local cluster whose
# cluster.env `make deploy` sources; README "Deploying on kind" and "A local cluster without
# Docker"): the operator from its Helm chart, a MariaDB for test and prod, each
# environment's namespace and database Secret, and the three NotejamInstances from
# samples/ with their images pointed at the locally built ones (the same tags as in the
# samples, in IMAGE_REGISTRY or loaded into the nodes, without any pinned digest).
# Idempotent: running it again keeps the generated passwords and data.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
helm=$(hack/delivery-tools.sh helm)
operator_image=${OPERATOR_IMAGE:-notejam-operator:dev}
# The local cluster cannot pull the official image: it runs its own, which has the same
# interface (hack/local-cluster/mariadb/).
mariadb_image=${MARIADB_IMAGE:-mariadb:11.4}
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
# operator's own ServiceMonitor too, labelled as in config/argocd/operator-application.yaml.
if kubectl get crd servicemonitors.monitoring.coreos.com >/dev/null 2>&1; then
  operator_values+=(--set serviceMonitor.enabled=true
    --set serviceMonitor.labels.release=kube-prometheus-stack)
fi

# section <name>: announces a step; a failure names the last one and shows what explains
# it: the workloads, recent events and the logs of every pod not ready.
section() {
  current_section=$1
  echo "== $1 =="
}
diagnose() {
  local status=$? namespace pod
  [ "$status" -eq 0 ] && return
  echo "deploy: FAILED during \"$current_section\"" >&2
  for namespace in notejam-system notejam-db notejam-dev notejam-test notejam-prod; do
    kubectl get namespace "$namespace" >/dev/null 2>&1 || continue
    echo "=== $namespace ===" >&2
    kubectl -n "$namespace" get notejaminstances,deployments,statefulsets,jobs,pods -o wide >&2 2>&1 || true
    kubectl -n "$namespace" get events --sort-by=.lastTimestamp 2>&1 | tail -20 >&2 || true
    for pod in $(kubectl -n "$namespace" get pods -o \
      jsonpath='{range .items[*]}{.metadata.name} {.status.phase} {.status.containerStatuses[*].ready}{"\n"}{end}' |
      awk '$2 != "Succeeded" && (NF < 3 || / false/) { print $1 }'); do
      echo "--- logs of $namespace/$pod ---" >&2
      kubectl -n "$namespace" logs "$pod" --all-containers --prefix --tail 80 >&2 2>&1 || true
    done
  done
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

# secret_value <namespace> <secret> <key>: the decoded value, empty when absent.
secret_value() {
  kubectl -n "$1" get secret "$2" -o "jsonpath={.data.$3}" 2>/dev/null | base64 -d || true
}

section "MariaDB for test and prod"
kubectl create namespace notejam-db --dry-run=client -o yaml | kubectl apply -f -
root_password=$(secret_value notejam-db mariadb-init root-password)
root_password=${root_password:-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')}
init_sql=""
declare -A passwords
for env in test prod; do
  password=$(secret_value "notejam-$env" notejam-db password)
  passwords[$env]=${password:-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')}
  init_sql+="CREATE DATABASE IF NOT EXISTS notejam_$env CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'notejam_$env'@'%' IDENTIFIED BY '${passwords[$env]}';
GRANT ALL PRIVILEGES ON notejam_$env.* TO 'notejam_$env'@'%';
"
done
kubectl -n notejam-db create secret generic mariadb-init \
  --from-literal=root-password="$root_password" --from-literal=init.sql="$init_sql" \
  --dry-run=client -o yaml | kubectl apply -f -
sed -E "s#^([[:space:]]*image:[[:space:]]*)mariadb:[^[:space:]]+\$#\1${mariadb_image}#" hack/kind/mariadb.yaml |
  kubectl apply -f -
kubectl -n notejam-db rollout status statefulset/mariadb --timeout=5m

section "environments"
for env in dev test prod; do
  kubectl create namespace "notejam-$env" --dry-run=client -o yaml | kubectl apply -f -
done
for env in test prod; do
  # The keys the NotejamInstance's spec.database.mysql.secretRef expects.
  kubectl -n "notejam-$env" create secret generic notejam-db \
    --from-literal=host=mariadb.notejam-db.svc.cluster.local --from-literal=port=3306 \
    --from-literal=database="notejam_$env" --from-literal=username="notejam_$env" \
    --from-literal=password="${passwords[$env]}" \
    --dry-run=client -o yaml | kubectl apply -f -
done
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
