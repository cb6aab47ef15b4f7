# shellcheck shell=bash disable=SC2034 # buildah_npm_trust is for the scripts that source this file
# Sourced by the scripts that build images with buildah (hack/local-cluster/images.sh,
# hack/gitops/pipeline.sh): a Dockerfile built as it is, with this machine's npm registry
# and CA handed to the build's npm.
#
#   buildah_npm_settings <dir>                  once, before builds that run npm
#   buildah_build <log> <context> <buildah build arguments>...
#
# buildah_build returns non-zero when the build fails, after printing the end of its log;
# the caller says what failed. RUN steps use the host's network; heavy steps run under nice.

# What the build's npm needs from this machine: its registry and the CA certificates this
# machine trusts (hack/local-cluster/npm-build-config.sh writes them into <dir>), mounted
# read-only over /usr/local/etc, the image's global npm config directory, which Debian
# leaves empty, so nothing of them lands in a layer or in the Dockerfiles. Sets
# buildah_npm_dir and buildah_npm_trust (where the trust came from, for messages).
buildah_npm_settings() {
  buildah_npm_dir=$1
  buildah_npm_trust=$("$(dirname "${BASH_SOURCE[0]}")/../local-cluster/npm-build-config.sh" "$1")
}

buildah_build() {
  local log=$1 context=$2
  shift 2
  if ! nice -n 10 buildah build --layers --force-rm --format docker --network host \
    ${buildah_npm_dir:+--volume "$buildah_npm_dir:/usr/local/etc:ro"} "$@" "$context" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    return 1
  fi
}
