#!/usr/bin/env bash
# Writes the dependency lock file (.terraform.lock.hcl) of every root under terraform/roots
# from the providers hack/terraform-providers.sh builds, without any registry:
#   1. hack/terraform-providers.sh --fs-mirror lays the built binaries out as a filesystem
#      mirror (the "unpacked" layout), labelled with the release each pinned build is or
#      follows (the providers table there);
#   2. `terraform providers lock -fs-mirror=<mirror>` runs in each root for this machine's
#      platform.
# The h1: hash Terraform records for an unpacked package is a hash over its files' contents
# (names and SHA-256 of each file), so these lock files pin *our locally built binaries*,
# not HashiCorp's signed release archives (whose binaries, built elsewhere, hash
# differently and have zh: hashes of their zips as well). See the README (Infrastructure,
# "Provider lock files") for what that means for `terraform init` from the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mirror=$work/mirror
"$root/hack/terraform-providers.sh" --fs-mirror "$mirror" >/dev/null

platform="$(go env GOOS)_$(go env GOARCH)"
# No CLI configuration: the lock must come from the mirror, not the dev_overrides.
export TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
for dir in "$root"/terraform/roots/*/; do
  name=$(basename "$dir")
  echo "== terraform/roots/$name" >&2
  # The roots' local modules must be installed for Terraform to see their providers; the
  # install goes next to the mirror, outside the clone.
  (cd "$dir" && export TF_DATA_DIR="$work/data/$name" &&
    terraform get >/dev/null &&
    terraform providers lock -fs-mirror="$mirror" -platform="$platform" >&2)
done
