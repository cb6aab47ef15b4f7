#!/usr/bin/env bash
# Writes the dependency lock file (.terraform.lock.hcl) of every root under terraform/roots
# from the providers hack/terraform-providers.sh built, without any registry:
#   1. lays the built binaries out as a filesystem mirror (the "unpacked" layout,
#      registry.terraform.io/<namespace>/<type>/<version>/linux_amd64/), labelled with the
#      release each pinned commit follows (PROVIDER_RELEASES below);
#   2. runs `terraform providers lock -fs-mirror=<mirror> -platform=linux_amd64` per root.
# The h1: hash Terraform records for an unpacked package is a hash over its files' contents
# (names and SHA-256 of each file), so these lock files pin *our locally built binaries*,
# not HashiCorp's signed release archives (whose binaries, built elsewhere, hash
# differently and have zh: hashes of their zips as well). See the README (Infrastructure,
# "Provider lock files") for what that means for `terraform init` from the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}/terraform-providers
"$root/hack/terraform-providers.sh" >/dev/null

# source address => release the pinned build follows (hack/terraform-providers.sh pins
# commits right after these releases, or the release itself).
declare -A PROVIDER_RELEASES=(
  [hashicorp/google]=8.0.0
  [hashicorp/kubernetes]=3.2.1
  [hashicorp/helm]=1.3.2
  [hashicorp/random]=3.9.0
  [integrations/github]=6.6.0
)

mirror=$(mktemp -d)
trap 'rm -rf "$mirror"' EXIT
for source in "${!PROVIDER_RELEASES[@]}"; do
  type=${source#*/}
  binary=$(find "$cache/$type" -maxdepth 2 -name "terraform-provider-$type" -type f | head -n 1)
  [ -n "$binary" ] || { echo "terraform-lock: no built $type provider in $cache/$type" >&2; exit 1; }
  dir="$mirror/registry.terraform.io/$source/${PROVIDER_RELEASES[$source]}/linux_amd64"
  mkdir -p "$dir"
  cp "$binary" "$dir/terraform-provider-${type}_v${PROVIDER_RELEASES[$source]}"
done

for dir in "$root"/terraform/roots/*/; do
  echo "== ${dir#"$root"/}" >&2
  # No CLI configuration: providers lock must not see the dev_overrides.
  (cd "$dir" && TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 \
    terraform providers lock -fs-mirror="$mirror" -platform=linux_amd64 >&2)
done
