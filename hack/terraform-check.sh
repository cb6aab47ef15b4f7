#!/usr/bin/env bash
# Checks everything under terraform/ offline: formatting, `terraform validate` of every
# module and root, and `terraform test` (mock providers) wherever a tests/ folder exists.
# Providers come from hack/terraform-providers.sh (built from their Go modules, cached).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/terraform"

# Ephemeral resources and write-only arguments need Terraform 1.11 or newer.
if ! version=$(terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p') || [ -z "$version" ]; then
  echo "terraform-check: terraform (1.11 or newer) is not on PATH" >&2
  exit 1
fi
if [ "$(printf '%s\n' 1.11.0 "$version" | sort -V | head -n 1)" != 1.11.0 ]; then
  echo "terraform-check: terraform $version found, 1.11 or newer needed" >&2
  exit 1
fi

TF_CLI_CONFIG_FILE=$("$root/hack/terraform-providers.sh")
export TF_CLI_CONFIG_FILE TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
# Module installs and test state go outside the clone.
data_root=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}/terraform-data

echo "terraform fmt -check -recursive terraform/"
terraform fmt -check -recursive -diff

# The committed lock files are not read here (dev_overrides bypass them), so check that they
# still name the releases the providers table builds: `make terraform-lock` after a bump.
echo "provider lock files of terraform/roots name the releases of hack/terraform-providers.sh"
releases=$("$root/hack/terraform-providers.sh" --releases)
failed=0
for dir in roots/*/; do
  lock="$dir.terraform.lock.hcl"
  if [ ! -f "$lock" ]; then
    echo "FAILED: $lock is missing (make terraform-lock)"
    failed=$((failed + 1))
    continue
  fi
  while read -r source version; do
    expected=$(awk -v source="$source" '$1 == source { print $2 }' <<<"$releases")
    if [ "$version" != "$expected" ]; then
      echo "FAILED: $lock locks $source $version, hack/terraform-providers.sh builds ${expected:-no such provider} (make terraform-lock)"
      failed=$((failed + 1))
    fi
  done < <(sed -n -e 's|^provider "registry.terraform.io/\(.*\)" {$|\1|p' -e 's|^  version *= "\(.*\)"$|\1|p' "$lock" | paste -d ' ' - -)
done

tests_passed=0
tests_failed=0
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
  if [ -d "$dir/tests" ]; then
    if output=$(cd "$dir" && terraform test -no-color 2>&1); then status=0; else status=$?; fi
    echo "$output"
    counts=$(grep -oE '[0-9]+ passed, [0-9]+ failed' <<<"$output" | tail -n 1 || true)
    counts=${counts:-0 passed, 1 failed}
    tests_passed=$((tests_passed + ${counts%% passed*}))
    tests_failed=$((tests_failed + $(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$counts")))
    if [ "$status" -ne 0 ]; then
      failed=$((failed + 1))
      echo "FAILED: terraform test in $dir"
    fi
  fi
done

echo "terraform: ${#dirs[@]} modules and roots validated, $failed check(s) failed"
echo "terraform: $tests_passed passed, $tests_failed failed"
[ "$failed" -eq 0 ]
