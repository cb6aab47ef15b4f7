#!/usr/bin/env bash
# Installs Debian's wrk (the HTTP load generator of the app benchmark) when it is missing.
set -euo pipefail
if command -v wrk >/dev/null; then exit 0; fi
echo "installing Debian's wrk" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wrk >/dev/null
