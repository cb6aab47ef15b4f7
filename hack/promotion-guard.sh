#!/usr/bin/env bash
# Promotion rule of the GitOps branches: a pull request into `test` must come from `dev`,
# one into `prod` from `test`, both from this repository (not a fork's branch of the same
# name). Pull requests into any other branch are not promotions and pass.
#   hack/promotion-guard.sh <base branch> <head branch> <base repository> <head repository>
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: $0 <base branch> <head branch> <base repository> <head repository>" >&2
  exit 2
fi
base=$1 head=$2 base_repo=$3 head_repo=$4

case "$base" in
  test) allowed="dev" ;;
  prod) allowed="test" ;;
  *)
    echo "promotion guard: '$base' is not a promotion branch; nothing to check"
    exit 0
    ;;
esac

if [ "$head_repo" != "$base_repo" ]; then
  echo "promotion guard: '$base' only takes pull requests from $base_repo:$allowed, not from $head_repo:$head" >&2
  exit 1
fi
if [ "$head" != "$allowed" ]; then
  echo "promotion guard: '$base' only takes pull requests from '$allowed', not from '$head'" >&2
  exit 1
fi
echo "promotion guard: $head -> $base is an allowed promotion"
