#!/usr/bin/env bash
# `make gitops-up`: what GitOps needs on the local cluster (`make local-cluster-up` first),
# besides the environments themselves, which then come from git:
# - Argo CD from its own manifests (hack/argocd/: binaries built once, images, install);
# - a git server on the node address (hack/gitops/git-server/) holding a clone of this
#   repository whose dev, test and prod branches start at this checkout's HEAD;
# - MariaDB for test and prod (hack/kind/database.sh server), Cloud SQL's stand-in.
# Writes /var/lib/notejam-local-cluster/gitops.env (the repository URL and the pipeline's
# settings), which `make gitops-e2e` reads. Idempotent: an existing repository is kept
# with everything pushed to it. The GitOps suite then records the first releases
# (hack/gitops/pipeline.sh) and bootstraps (hack/gitops/bootstrap.sh).
#
# The body is one function, read whole before it runs (the file may change during a run).
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # shellcheck source=../local-cluster/lib.sh
  source "$root/hack/local-cluster/lib.sh"
  step_name=gitops-up
  cd "$root"
  if [ ! -f "$state_dir/cluster.env" ]; then
    echo "gitops-up: the local cluster is not up: run \`make local-cluster-up\` first" >&2
    exit 1
  fi
  # shellcheck source=/dev/null
  source "$state_dir/cluster.env"
  local repositories=$state_dir/git repository_url="http://$git_server/notejam.git"

  step "Argo CD images" "$root/hack/argocd/images.sh" "$registry" >/dev/null
  step "Argo CD" "$root/hack/argocd/install.sh" "$registry"
  step "git server" start_git_server "$repositories"
  step "repository" seed_repository "$repositories/notejam.git" "$repository_url"
  step "MariaDB" "$root/hack/kind/database.sh" server >/dev/null

  cat >"$state_dir/gitops.env" <<ENV
export GITOPS_REPO_URL=$repository_url
export GITOPS_RELEASES_REPO_URL=http://$git_server/notejam-releases.git
export IMAGE_REGISTRY=$registry
export REGISTRY_TLS_VERIFY=false
ENV
  echo "gitops-up: Argo CD runs; the repository is $repository_url" >&2
}

# The git server on the node address, like the registry: a process of the local cluster
# (`make local-cluster-down` stops it), its log in the cluster's log directory.
# shellcheck disable=SC2317 # called by name through step
start_git_server() {
  local repositories=$1 bin=$state_dir/bin/git-server
  if pid_of git-server >/dev/null; then return 0; fi
  mkdir -p "$repositories" "$(dirname "$bin")"
  (cd "$root/hack/gitops/git-server" && CGO_ENABLED=0 go build -trimpath -o "$bin" .) || return 1
  setsid "$bin" -listen "$git_server" -root "$repositories" >>"$log_dir/git-server.log" 2>&1 </dev/null &
  echo $! >"$run_dir/git-server.pid"
  local deadline=$((SECONDS + 30))
  until curl -sS -o /dev/null "http://$git_server/" 2>/dev/null; do
    if ! pid_of git-server >/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      log_tail git-server
      return 1
    fi
    sleep 0.5
  done
}

# A bare clone of this repository with dev, test and prod at HEAD (committed work only),
# served under a second name too, notejam-releases.git, through which Argo CD reads the
# releases branch (releasesRepoURL in config/argocd/bootstrap/values.yaml says why).
# shellcheck disable=SC2317 # called by name through step
seed_repository() {
  local repository=$1 url=$2
  [ -d "$repository" ] && return 0
  git init --quiet --bare "$repository"
  git -C "$repository" symbolic-ref HEAD refs/heads/dev
  ln -s "$(basename "$repository")" "$(dirname "$repository")/notejam-releases.git"
  if [ -n "$(git status --porcelain)" ]; then
    echo "gitops-up: uncommitted changes stay out of the repository: it holds HEAD $(git rev-parse --short HEAD)" >&2
  fi
  git push --quiet "$url" HEAD:refs/heads/dev HEAD:refs/heads/test HEAD:refs/heads/prod
}

main "$@"; exit
