# shellcheck shell=bash
# Sourced by the scripts that build Go binaries once into a directory outside the clone
# and print it (hack/envtest-assets.sh, hack/local-cluster/binaries.sh): the
# `--no-build` flag, the lock, the log and the move into place, written once.
#
#   build_once_flag "$@"     sets build_allowed from the arguments: none, or --no-build
#   build_once <make target> <dir> <log> <alternative> <builder> <binary>...
#
# build_once returns when <dir> holds every <binary>. When one is missing it exits 1 if
# building is not allowed or Go is missing (naming `make <make target>` and the
# <alternative>, if any, as ways out); otherwise it runs `<builder> <temporary dir>` with
# its output in <log>, shows only the log's tail when that fails, and moves the binaries
# into <dir> when all are built. Concurrent callers wait for one build under a lock.
# The builder runs as a condition, where set -e does not apply: it chains its steps with &&.

build_once_flag() {
  build_allowed=1
  case "${1:-}" in
    "") ;;
    --no-build) build_allowed= ;;
    *)
      echo "usage: $0 [--no-build]" >&2
      exit 2
      ;;
  esac
}

build_once() {
  local target=$1 dir=$2 log=$3 alternative=$4 builder=$5
  shift 5
  local binaries=("$@") parent started bin
  build_once_complete() {
    for bin in "${binaries[@]}"; do [ -x "$dir/$bin" ] || return 1; done
  }

  build_once_complete && return 0
  if [ -z "$build_allowed" ]; then
    echo "$target: $dir does not hold ${binaries[*]} yet: run \`make $target\`" \
      "(builds them once)${alternative:+ or $alternative}" >&2
    exit 1
  fi
  PATH=$PATH:/usr/local/go/bin # where Go's own installer puts it, not always on PATH
  if ! command -v go >/dev/null 2>&1; then
    echo "$target: building $dir needs Go (1.25 or newer) on PATH${alternative:+, or $alternative}" >&2
    exit 1
  fi

  parent=$(dirname "$dir")
  mkdir -p "$parent"
  exec 9>"$parent/.notejam-build.lock"
  flock 9
  build_once_complete && return 0 # built while we waited

  build_once_staging=$(mktemp -d "$parent/.building-XXXXXX") # global: the trap runs after return
  trap 'rm -rf "$build_once_staging"' EXIT
  echo "$target: building ${binaries[*]} into $dir (first time only, takes a while;" \
    "log: $log)" >&2
  started=$SECONDS
  if ! "$builder" "$build_once_staging" >"$log" 2>&1; then
    echo "$target: the build failed; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  for bin in "${binaries[@]}"; do
    if [ ! -x "$build_once_staging/$bin" ]; then
      echo "$target: the build did not produce $bin; see $log" >&2
      exit 1
    fi
  done
  echo "built in $((SECONDS - started)) s" >>"$log"
  mkdir -p "$dir"
  for bin in "${binaries[@]}"; do mv -f "$build_once_staging/$bin" "$dir/$bin"; done
  echo "$target: built in $((SECONDS - started)) s" >&2
}
