#!/usr/bin/env bash
# Bootstraps GitOps on a cluster whose Argo CD runs, the way terraform/modules/
# cluster-bootstrap does on a real one: the release `notejam-bootstrap` of
# config/argocd/bootstrap (the environments' namespaces, the platform project and the root
# Application, which deploys everything else from git), then the database Secrets
# (hack/kind/database.sh secrets, where Terraform writes Cloud SQL's).
#   hack/gitops/bootstrap.sh
# Reads GITOPS_REPO_URL, GITOPS_RELEASES_REPO_URL and IMAGE_REGISTRY (gitops.env of hack/gitops/up.sh) and the local
# cluster's values in hack/gitops/bootstrap-values.yaml. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
: "${GITOPS_REPO_URL:?set GITOPS_REPO_URL (hack/gitops/up.sh writes it to gitops.env)}"
: "${GITOPS_RELEASES_REPO_URL:?set GITOPS_RELEASES_REPO_URL (hack/gitops/up.sh writes it to gitops.env)}"
: "${IMAGE_REGISTRY:?set IMAGE_REGISTRY (hack/gitops/up.sh writes it to gitops.env)}"
helm=$(hack/delivery-tools.sh helm)

"$helm" upgrade --install notejam-bootstrap config/argocd/bootstrap --namespace argocd \
  --values hack/gitops/bootstrap-values.yaml \
  --set-string repoURL="$GITOPS_REPO_URL" \
  --set-string releasesRepoURL="$GITOPS_RELEASES_REPO_URL" \
  --set-string platform.images.notejam="$IMAGE_REGISTRY/notejam" \
  --set-string platform.images.notejam-operator="$IMAGE_REGISTRY/notejam-operator" >&2
hack/kind/database.sh secrets >&2
