#!/usr/bin/env bash
# Prints the Python of a virtualenv with requirements.txt installed, made once under
# ~/.cache/notejam (a new one whenever requirements.txt changes). Needs python3.11 and the
# machine's configured package index; the original Notejam's code is not fetched here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${BENCH_PYTHON:-python3.11}"
command -v "$python" >/dev/null || {
  echo "flask baseline: $python not found (set BENCH_PYTHON)" >&2
  exit 1
}
key="$(sha256sum "$here/requirements.txt" | cut -c1-12)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/notejam/flask-baseline-$key"
# A virtualenv cannot be moved (its scripts name its path): built in place, marked complete.
if [ ! -e "$venv/.complete" ]; then
  echo "flask baseline: creating $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
