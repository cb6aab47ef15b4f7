#!/usr/bin/env bash
# Checks everything under terraform/ offline: formatting, `terraform validate` of every
# module and root, and `terraform test` (mock providers) wherever a tests/ folder exists.
# Providers come from hack/terraform-providers.sh (built from their Go modules, cached).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/terraform"

TF_CLI_CONFIG_FILE=$("$root/hack/terraform-providers.sh")
export TF_CLI_CONFIG_FILE TF_IN_AUTOMATION=1 TF_INPUT=0
# Module installs and test state go outside the clone.
data_root=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}/terraform-data

echo "terraform fmt -check -recursive terraform/"
terraform fmt -check -recursive -diff

failed=0
dirs=(modules/*/ roots/*/)
for dir in "${dirs[@]}"; do
  dir=${dir%/}
  export TF_DATA_DIR="$data_root/$dir"
  echo "== $dir"
  # `terraform get` installs the local modules; providers are dev overrides (Terraform
  # warns about that on every command), so neither `terraform init`, which would ask a
  # registry, nor a backend is needed.
  if ! (cd "$dir" && terraform get -no-color >/dev/null && terraform validate -no-color); then
    failed=$((failed + 1))
    echo "FAILED: terraform validate in $dir"
    continue
  fi
  if [ -d "$dir/tests" ] && ! (cd "$dir" && terraform test -no-color); then
    failed=$((failed + 1))
    echo "FAILED: terraform test in $dir"
  fi
done

if [ "$failed" -gt 0 ]; then
  echo "terraform: $failed check(s) failed"
  exit 1
fi
echo "terraform: every module and root is formatted, valid and its tests pass"
