#!/usr/bin/env bash
# The MySQL side of the test and prod environments on kind or the local cluster, what
# Terraform and Cloud SQL are on a real one (terraform/):
#   hack/kind/database.sh server    MariaDB in notejam-db with a database and a user per
#                                   environment (random passwords, kept in the Secret
#                                   notejam-db/mariadb-init), ready
#   hack/kind/database.sh secrets   the Secret notejam-db in notejam-test and notejam-prod
#                                   (the keys a NotejamInstance's secretRef expects); the
#                                   namespaces must exist (they are the bootstrap's)
# Used by hack/kind/deploy.sh and hack/gitops/bootstrap.sh. Idempotent: a second run keeps
# the passwords, the users and the data.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
environments=(test prod)
# The local cluster cannot pull the official image: it runs its own, which has the same
# interface (hack/local-cluster/mariadb/).
mariadb_image=${MARIADB_IMAGE:-mariadb:11.4}

# secret_value <namespace> <secret> <key>: the decoded value, empty when absent.
secret_value() {
  kubectl -n "$1" get secret "$2" -o "jsonpath={.data.$3}" 2>/dev/null | base64 -d || true
}

random_password() {
  head -c 24 /dev/urandom | base64 | tr -d '/+='
}

# An environment's password: the one MariaDB was initialised with (older deployments kept
# it only in the environment's Secret), else a new one.
password_of() {
  local password
  password=$(secret_value notejam-db mariadb-init "password-$1")
  password=${password:-$(secret_value "notejam-$1" notejam-db password)}
  echo "${password:-$(random_password)}"
}

server() {
  local root_password init_sql="" env password
  local -a password_args=()
  kubectl create namespace notejam-db --dry-run=client -o yaml | kubectl apply -f -
  root_password=$(secret_value notejam-db mariadb-init root-password)
  root_password=${root_password:-$(random_password)}
  for env in "${environments[@]}"; do
    password=$(password_of "$env")
    password_args+=(--from-literal="password-$env=$password")
    init_sql+="CREATE DATABASE IF NOT EXISTS notejam_$env CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'notejam_$env'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON notejam_$env.* TO 'notejam_$env'@'%';
"
  done
  kubectl -n notejam-db create secret generic mariadb-init \
    --from-literal=root-password="$root_password" --from-literal=init.sql="$init_sql" \
    "${password_args[@]}" --dry-run=client -o yaml | kubectl apply -f -
  sed -E "s#^([[:space:]]*image:[[:space:]]*)mariadb:[^[:space:]]+\$#\1${mariadb_image}#" \
    "$root/hack/kind/mariadb.yaml" | kubectl apply -f -
  kubectl -n notejam-db rollout status statefulset/mariadb --timeout=5m
}

secrets() {
  local env password
  for env in "${environments[@]}"; do
    password=$(secret_value notejam-db mariadb-init "password-$env")
    if [ -z "$password" ]; then
      echo "database: no password for $env in notejam-db/mariadb-init: run \`$0 server\` first" >&2
      exit 1
    fi
    # The keys the NotejamInstance's spec.database.mysql.secretRef expects.
    kubectl -n "notejam-$env" create secret generic notejam-db \
      --from-literal=host=mariadb.notejam-db.svc.cluster.local --from-literal=port=3306 \
      --from-literal=database="notejam_$env" --from-literal=username="notejam_$env" \
      --from-literal=password="$password" \
      --dry-run=client -o yaml | kubectl apply -f -
  done
}

case "${1:-}" in
  server) server ;;
  secrets) secrets ;;
  *)
    echo "usage: $0 server|secrets" >&2
    exit 2
    ;;
esac
