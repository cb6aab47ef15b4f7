# shellcheck shell=bash
# Sourced by the scripts that build from a pinned Go module (hack/kubernetes/build.sh,
# hack/argocd/build.sh, hack/envtest-assets.sh, hack/delivery-tools.sh): the one way they
# read a pin.
#
#   go_mod_version <go.mod> <module>   prints the version go.mod requires the module at (the
#                                      first one written after its path); fails naming both
#                                      when there is none

go_mod_version() {
  local version
  version=$(awk -v module="$2" \
    '{ for (i = 1; i < NF; i++) if ($i == module && $(i + 1) ~ /^v/) { print $(i + 1); exit } }' "$1")
  if [ -z "$version" ]; then
    echo "$1 pins no $2" >&2
    return 1
  fi
  echo "$version"
}
