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

failed=0
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
