#!/usr/bin/env bash
# Writes the npm configuration an image build needs to reach the registry this machine's
# npm uses, trusting exactly what this machine trusts:
#
#   hack/local-cluster/npm-build-config.sh <dir>
#
# <dir> receives `npmrc` (registry, and cafile=/usr/local/etc/ca.pem when there is a CA)
# and `ca.pem`; images.sh mounts <dir> read-only over the image's global npm config
# directory (/usr/local/etc), so nothing of it lands in a layer. npm passes its config to
# the install scripts it runs (npm_config_*), so node-gyp and prebuild-install trust the
# same file.
#
# A host can express its trust in several ways at once, and a build only sees files, not
# the host's environment; so ca.pem is the union, each certificate once, of:
#   - npm's `cafile` and `ca` (whichever config level sets them: project, user, global, env)
#   - NODE_EXTRA_CA_CERTS (how Node.js itself is told; the build's npm has no such variable)
#   - SSL_CERT_FILE
#   - the system bundle: SYSTEM_CA_BUNDLE, else the first of Debian's, Fedora's or Alpine's
# npm's `cafile` replaces Node.js' built-in roots instead of adding to them: the system
# bundle keeps the public roots in. A variable or setting that names a missing or
# certificate-less file fails the script, naming it.
#
# Prints one line on stdout: the registry and where the certificates came from.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <output dir>" >&2
  exit 2
fi
out=$1
mkdir -p "$out"

# npm's effective settings, read once (npm is slow to start): single-line values first,
# then `ca`, inline PEM text that runs to the end.
settings=$(npm config get cafile registry strict-ssl ca)
npm_setting() { # <key>: its value, empty when unset
  local value
  if [ "$1" = ca ]; then
    value=$(printf '%s\n' "$settings" | sed -n '/^ca=/,$p' | sed '1s/^ca=//')
  else
    value=$(printf '%s\n' "$settings" | sed -n "s/^$1=//p" | head -n 1)
  fi
  case "$value" in null | undefined) value= ;; esac
  printf '%s' "$value"
}

sources=()
pems=$(mktemp)
trap 'rm -f "$pems"' EXIT

add_file() { # <what names it> <path>
  local what=$1 file=$2
  if [ ! -r "$file" ]; then
    echo "npm-build-config: $what names $file, which is missing or unreadable" >&2
    exit 1
  fi
  if ! grep -q -- '-----BEGIN CERTIFICATE-----' "$file"; then
    echo "npm-build-config: $what names $file, which holds no PEM certificate" >&2
    exit 1
  fi
  cat "$file" >>"$pems"
  printf '\n' >>"$pems"
  sources+=("$what")
}

cafile=$(npm_setting cafile)
if [ -n "$cafile" ]; then add_file "npm cafile" "$cafile"; fi
# `ca` is inline PEM text; npm prints a list of them joined by commas.
inline_ca=$(npm_setting ca)
if [ -n "$inline_ca" ]; then
  printf '%s\n' "$inline_ca" | sed 's/-----,-----/-----\n-----/g' >>"$pems"
  sources+=("npm ca")
fi
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then add_file NODE_EXTRA_CA_CERTS "$NODE_EXTRA_CA_CERTS"; fi
if [ -n "${SSL_CERT_FILE:-}" ]; then add_file SSL_CERT_FILE "$SSL_CERT_FILE"; fi
if [ -n "${SYSTEM_CA_BUNDLE:-}" ]; then
  add_file "system bundle" "$SYSTEM_CA_BUNDLE"
else
  for bundle in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt \
    /etc/ssl/cert.pem; do
    if [ -r "$bundle" ]; then
      add_file "system bundle" "$bundle"
      break
    fi
  done
fi

# Each certificate once, in first-seen order, compared without surrounding whitespace.
awk '
  /-----BEGIN CERTIFICATE-----/ { inside = 1; block = "" }
  inside { line = $0; gsub(/^[ \t\r]+|[ \t\r]+$/, "", line); block = block line "\n" }
  /-----END CERTIFICATE-----/ && inside {
    inside = 0
    if (!(block in seen)) { seen[block] = 1; printf "%s", block; count++ }
  }
  END { if (count == "") count = 0; print count > "/dev/stderr" }
' "$pems" >"$out/ca.pem" 2>"$out/.count"
count=$(cat "$out/.count")
rm -f "$out/.count"

registry=$(npm_setting registry)
{
  echo "registry=$registry"
  if [ "$count" -gt 0 ]; then echo "cafile=/usr/local/etc/ca.pem"; fi
  # A host that turned verification off for its registry builds the same way.
  if [ "$(npm_setting strict-ssl)" = false ]; then echo "strict-ssl=false"; fi
} >"$out/npmrc"
if [ "$count" -eq 0 ]; then rm -f "$out/ca.pem"; fi

from=none
if [ ${#sources[@]} -gt 0 ]; then
  from=$(printf '%s, ' "${sources[@]}")
  from=${from%, }
fi
echo "registry $registry, $count CA certificates from: $from"
