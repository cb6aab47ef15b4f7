#!/usr/bin/env bash
# Prints the tags CI pushes for one commit of a branch, one per line: the branch's
# environment tag (dev, v<VERSION>-test, v<VERSION>) and an immutable sha-<commit> tag.
# The release line comes from the VERSION file, its only home.
#   hack/image-tags.sh <branch> <commit sha>
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 <branch> <commit sha>" >&2
  exit 2
fi
branch=$1 sha=$2
version=$(tr -d ' \n' <"$(dirname "$0")/../VERSION")
if ! [[ $version =~ ^[0-9]+\.[0-9]+$ ]]; then
  echo "VERSION must be <major>.<minor>, got '$version'" >&2
  exit 1
fi
if ! [[ $sha =~ ^[0-9a-f]{40}$ ]]; then
  echo "commit sha must be 40 lowercase hex digits, got '$sha'" >&2
  exit 1
fi
case "$branch" in
  dev) echo dev ;;
  test) echo "v$version-test" ;;
  prod) echo "v$version" ;;
  *)
    echo "images are built for the dev, test and prod branches only, not '$branch'" >&2
    exit 1
    ;;
esac
echo "sha-${sha:0:12}"
