#!/usr/bin/env bash
# The delivery pipeline: what CI runs on every push to dev, test and prod (.github/workflows/
# images.yml), and what the GitOps end-to-end suite runs on the local cluster.
#
#   hack/gitops/pipeline.sh key <image> [<commit>]        the image's source key at a commit
#   hack/gitops/pipeline.sh publish <branch> [<commit>]   build once or promote, then record
#   hack/gitops/pipeline.sh rollback <environment> [<release commit>]
#   hack/gitops/pipeline.sh history <environment>         which digests it ran, and when
#
# Build once, promote the digest. Each image of hack/gitops/images.conf has a source key:
# a hash of the git objects of exactly what goes into it. `publish dev` builds an image only
# when the registry has no `src-<key>` tag for it yet, and pushes it under that tag;
# `publish test` and `publish prod` never build: they find the image built for the same
# source (what dev ran) and fail when there is none. Then the branch's tags (hack/image-
# tags.sh: dev, v<VERSION>-test or v<VERSION>, and sha-<commit>) are moved to those digests
# and the environment's release is recorded: <environment>.yaml on the `releases` branch,
# one commit per change, which Argo CD deploys (config/argocd/platform) and whose history
# says which digests each environment ran when. A commit that changes no image's source
# (docs, Terraform, charts) records nothing and changes nothing that runs.
#
# `rollback` records the environment's previous release again (or the one of the given
# releases-branch commit) and moves its tag back: the previous build runs again as soon as
# Argo CD syncs, nothing is rebuilt.
#
# Environment:
#   IMAGE_REGISTRY        where the images are, e.g. ghcr.io/<owner> (publish, rollback)
#   REGISTRY_TLS_VERIFY   false for a plain-HTTP registry (the local cluster's); default true
#   RELEASES_REMOTE       the git remote the releases branch is read from and pushed to (origin)
#   RELEASES_BRANCH       its name (releases)
#   GITOPS_IMAGES         the image table (hack/gitops/images.conf)
# Builds use buildah (hack/lib/buildah.sh) on the commit's own files (git archive), so a
# checkout's untracked files never reach an image. Runs in the repository this script is in.
#
# The body is one function, read whole before it runs (the file may change during a run).
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  cd "$root"
  images_conf=${GITOPS_IMAGES:-$root/hack/gitops/images.conf}
  remote=${RELEASES_REMOTE:-origin}
  releases_branch=${RELEASES_BRANCH:-releases}
  releases_ref=refs/remotes/$remote/$releases_branch
  tls_verify=${REGISTRY_TLS_VERIFY:-true}
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT

  local command=${1:-}
  shift || true
  case "$command" in
    key)
      arguments 1 2 "$@"
      source_key "$1" "$(commit_of "${2:-HEAD}")"
      ;;
    publish)
      arguments 1 2 "$@"
      publish "$1" "$(commit_of "${2:-HEAD}")"
      ;;
    rollback)
      arguments 1 2 "$@"
      rollback "$(environment_of "$1")" "${2:-}"
      ;;
    history)
      arguments 1 1 "$@"
      history "$(environment_of "$1")"
      ;;
    *) usage ;;
  esac
}

usage() {
  echo "usage: $0 key <image> [<commit>] | publish <branch> [<commit>] | rollback <environment> [<release commit>] | history <environment>" >&2
  exit 2
}

# arguments <least> <most> <argument>...: the usage unless their number is in that range.
arguments() {
  local least=$1 most=$2
  shift 2
  if [ $# -lt "$least" ] || [ $# -gt "$most" ]; then usage; fi
}

fail() {
  echo "pipeline: $*" >&2
  exit 1
}

commit_of() {
  git rev-parse --verify --quiet "$1^{commit}" || fail "no commit '$1' in $root"
}

environment_of() {
  case "$1" in
    dev | test | prod) echo "$1" ;;
    *) fail "environments are dev, test and prod, not '$1'" ;;
  esac
}

# The image names of the table, in its order.
image_names() {
  awk '!/^[[:space:]]*(#|$)/ { print $1 }' "$images_conf"
}

# image_entry <image>: "<Dockerfile> <path>..." of its line in the table.
image_entry() {
  local entry
  entry=$(awk -v name="$1" '!/^[[:space:]]*(#|$)/ && $1 == name { $1 = ""; print substr($0, 2) }' "$images_conf")
  [ -n "$entry" ] || fail "$images_conf has no image '$1'"
  echo "$entry"
}

# source_key <image> <commit>: 20 hex digits naming what goes into the image at that commit:
# a hash of the git object (blob or tree) of each of its paths.
source_key() {
  local image=$1 commit=$2 dockerfile rest path object listing=""
  local -a paths
  read -r dockerfile rest <<<"$(image_entry "$image")"
  read -r -a paths <<<"$rest"
  for path in "${paths[@]}"; do
    object=$(git rev-parse --verify --quiet "$commit:$path") ||
      fail "$image: '$path' ($images_conf) is not in commit $commit"
    listing+="$path $object"$'\n'
  done
  printf '%s %s\n%s' "$image" "$dockerfile" "$listing" | sha256sum | cut -c1-20
}

# digest_of <reference>: the manifest digest the registry serves for it; nothing when the
# registry does not have it; fails on any other error (unreachable, unauthorised).
digest_of() {
  if skopeo inspect --format '{{.Digest}}' --tls-verify="$tls_verify" "docker://$1" 2>"$work/inspect.err"; then
    return 0
  elif grep -qiE 'manifest unknown|not found|name unknown' "$work/inspect.err"; then
    return 0
  else
    fail "cannot read $1 from the registry: $(tr '\n' ' ' <"$work/inspect.err")"
  fi
}

# build <image> <commit> <reference>: builds the image from the commit's own files and
# pushes it; prints the pushed digest.
build() {
  local image=$1 commit=$2 reference=$3 dockerfile context=$work/context-$1
  read -r dockerfile _ <<<"$(image_entry "$image")"
  mkdir -p "$context"
  git archive "$commit" | tar -x -C "$context"
  # One timestamp for every file: the layer cache keys on what is copied, mtimes included,
  # and an archive stamps files with their commit's time, so without this every commit
  # would miss the cache even where package-lock.json did not change.
  find "$context" -exec touch --no-dereference --date=@0 {} +
  # shellcheck source=../lib/buildah.sh
  source "$root/hack/lib/buildah.sh"
  buildah_npm_settings "$work/npm" ||
    fail "cannot hand this machine's npm registry and CA certificates to the build (hack/local-cluster/npm-build-config.sh)"
  # Bases from local storage when there (the local cluster makes them), else pulled (CI).
  # The source key is in the tag (src-<key>), not a label: the image is the build's alone.
  buildah_build "$work/build-$image.log" "$context" --pull=missing -f "$context/$dockerfile" \
    -t "$reference" || fail "building $image failed (the log's end is above)"
  buildah push --quiet --tls-verify="$tls_verify" --digestfile "$work/digest" "$reference" \
    "docker://$reference" >&2
  cat "$work/digest"
}

# tag <repository> <digest> <tag>...: points each tag at the digest (the manifest copied
# as it is, so the digest stays), unless it already does.
tag() {
  local repository=$1 digest=$2 name
  shift 2
  for name in "$@"; do
    [ "$(digest_of "$repository:$name")" = "$digest" ] && continue
    skopeo copy --quiet --preserve-digests --src-tls-verify="$tls_verify" \
      --dest-tls-verify="$tls_verify" "docker://$repository@$digest" "docker://$repository:$name"
    [ "$(digest_of "$repository:$name")" = "$digest" ] ||
      fail "$repository:$name does not point at $digest after the copy"
  done
}

publish() {
  local branch=$1 commit=$2 environment tags env_tag image key reference digest
  local -a lines=()
  environment=$(environment_of "$branch")
  registry=${IMAGE_REGISTRY:?set IMAGE_REGISTRY: where the images are (e.g. ghcr.io/<owner>)}
  tags=$("$root/hack/image-tags.sh" "$branch" "$commit")
  env_tag=$(head -n 1 <<<"$tags")
  for image in $(image_names); do
    key=$(source_key "$image" "$commit")
    reference=$registry/$image:src-$key
    digest=$(digest_of "$reference")
    if [ -n "$digest" ]; then
      echo "pipeline: $image for source $key was built before: $digest" >&2
    elif [ "$environment" = dev ]; then
      echo "pipeline: building $image for source $key (${commit:0:12})" >&2
      digest=$(build "$image" "$commit" "$reference")
      echo "pipeline: built $image for source $key: $digest" >&2
    else
      fail "no $image was built for source $key (${commit:0:12}): $branch never builds, it promotes what dev ran; was this commit published on dev?"
    fi
    # shellcheck disable=SC2086 # one tag per line
    tag "$registry/$image" "$digest" $tags
    lines+=("$image $digest")
  done
  record "$environment" "$env_tag" "$branch@$commit" "${lines[@]}"
}

fetch_releases() {
  git fetch --quiet "$remote" "+refs/heads/$releases_branch:$releases_ref" 2>/dev/null ||
    git update-ref -d "$releases_ref" # none yet
}

# release_images <releases commit> <environment>: "<image> <digest>" lines of its record.
release_images() {
  git show "$1:$2.yaml" 2>/dev/null |
    sed -n 's/^      \([a-z0-9][a-z0-9.-]*\): \(sha256:[0-9a-f]\{64\}\)$/\1 \2/p'
}

# release_field <releases commit> <environment> <field>
release_field() {
  git show "$1:$2.yaml" 2>/dev/null | sed -n "s/^    $3: //p"
}

# record <environment> <tag> <source> <"image digest">...: commits <environment>.yaml to the
# releases branch when the images changed; retried when another environment's record went
# in first.
record() {
  local environment=$1 env_tag=$2 source=$3 parent blob tree commit attempt line
  shift 3
  for attempt in 1 2 3 4 5; do
    fetch_releases
    parent=$(git rev-parse --verify --quiet "$releases_ref" || true)
    if [ -n "$parent" ] && [ "$(release_images "$parent" "$environment")" = "$(printf '%s\n' "$@")" ]; then
      echo "pipeline: $environment already runs these images; nothing to record" >&2
      return 0
    fi
    {
      echo "# Written by hack/gitops/pipeline.sh: what the $environment environment runs."
      echo "releases:"
      echo "  $environment:"
      echo "    tag: $env_tag"
      echo "    source: $source"
      echo "    recordedAt: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
      echo "    images:"
      for line in "$@"; do echo "      ${line% *}: ${line#* }"; done
    } >"$work/release.yaml"
    blob=$(git hash-object -w "$work/release.yaml")
    rm -f "$work/index"
    if [ -n "$parent" ]; then GIT_INDEX_FILE=$work/index git read-tree "$parent"; fi
    GIT_INDEX_FILE=$work/index git update-index --add --cacheinfo "100644,$blob,$environment.yaml"
    tree=$(GIT_INDEX_FILE=$work/index git write-tree)
    commit=$(with_identity git commit-tree "$tree" ${parent:+-p "$parent"} \
      -m "release $environment: $(printf '%s ' "$@" | sed 's/ sha256:\([0-9a-f]\{12\}\)[0-9a-f]*/@\1/g')(${source})")
    if git push --quiet "$remote" "$commit:refs/heads/$releases_branch" 2>"$work/push.err"; then
      echo "pipeline: recorded the $environment release ($releases_branch ${commit:0:12})" >&2
      return 0
    fi
    echo "pipeline: pushing the $environment release failed (attempt $attempt): $(tr '\n' ' ' <"$work/push.err")" >&2
  done
  fail "could not record the $environment release on $releases_branch"
}

# Commits need an identity; CI may not configure one.
with_identity() {
  GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-$(git config user.name || echo notejam-pipeline)} \
    GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-$(git config user.email || echo pipeline@notejam.invalid)} \
    GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-$(git config user.name || echo notejam-pipeline)} \
    GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-$(git config user.email || echo pipeline@notejam.invalid)} \
    "$@"
}

# The releases-branch commits that recorded the environment, newest first.
records() {
  git log --format=%H "$releases_ref" -- "$1.yaml" 2>/dev/null || true
}

rollback() {
  local environment=$1 target=$2 current candidate images line
  registry=${IMAGE_REGISTRY:?set IMAGE_REGISTRY: where the images are (e.g. ghcr.io/<owner>)}
  fetch_releases
  current=$(records "$environment" | head -n 1)
  [ -n "$current" ] || fail "$environment has no recorded release to roll back from"
  if [ -z "$target" ]; then
    # The newest earlier record whose images differ from what runs now.
    for candidate in $(records "$environment" | tail -n +2); do
      if [ "$(release_images "$candidate" "$environment")" != "$(release_images "$current" "$environment")" ]; then
        target=$candidate
        break
      fi
    done
    [ -n "$target" ] || fail "$environment has no earlier release with other images"
  fi
  target=$(git rev-parse --verify --quiet "$target^{commit}") || fail "no releases commit '$2'"
  images=$(release_images "$target" "$environment")
  [ -n "$images" ] || fail "releases commit ${target:0:12} records no $environment release"
  echo "pipeline: rolling $environment back to the release of $(release_field "$target" "$environment" recordedAt) ($(release_field "$target" "$environment" source))" >&2
  while read -r line; do
    tag "$registry/${line% *}" "${line#* }" "$(release_field "$current" "$environment" tag)"
  done <<<"$images"
  local -a lines
  mapfile -t lines <<<"$images"
  record "$environment" "$(release_field "$current" "$environment" tag)" \
    "rollback to $(release_field "$target" "$environment" source)" "${lines[@]}"
}

history() {
  local environment=$1 commit
  fetch_releases
  for commit in $(records "$environment"); do
    printf '%s %s %s %s\n' "$(release_field "$commit" "$environment" recordedAt)" \
      "$(release_field "$commit" "$environment" tag)" \
      "$(release_images "$commit" "$environment" | tr ' \n' '@ ' | sed 's/ $//')" \
      "($(release_field "$commit" "$environment" source))"
  done
}

main "$@"; exit
