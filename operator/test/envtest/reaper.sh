#!/usr/bin/env bash
# Cleanup guard of one test control plane (started by control-plane.ts in its own session,
# so a Ctrl-C aimed at jest does not reach it).
#
#   reaper.sh <owner pid> <work dir>
#
# Waits until the owner process (the jest process that started the control plane) is gone,
# however it ended (even SIGKILL, where no exit hook runs), or until it is sent SIGTERM (the
# normal stop). Then it kills the process groups listed in <work dir>/process-groups (one id
# a line, kept current by control-plane.ts) and removes <work dir>. SIGKILL right away:
# all their data is thrown away, so a graceful shutdown would only cost seconds.
#
# The body is one function, read whole before it runs: bash reads scripts as it goes, so an
# edit to this file would otherwise derail the reapers running at that moment.
set -uo pipefail

reap() {
  local owner=$1 work_dir=$2 stopping= group tenth
  trap 'stopping=1' TERM INT HUP

  while [ -z "$stopping" ] && kill -0 "$owner" 2>/dev/null; do
    sleep 0.5 &
    wait $! # returns early when a trapped signal arrives
  done

  local groups=()
  if [ -f "$work_dir/process-groups" ]; then
    mapfile -t groups <"$work_dir/process-groups"
  fi

  any_alive() {
    local group
    for group in "${groups[@]}"; do
      kill -0 -- "-$group" 2>/dev/null && return 0
    done
    return 1
  }

  for group in "${groups[@]}"; do
    kill -KILL -- "-$group" 2>/dev/null
  done
  # SIGKILL is not instant, and the directory should go only once nobody writes to it.
  for ((tenth = 0; tenth < 100; tenth++)); do
    any_alive || break
    sleep 0.1
  done
  rm -rf -- "$work_dir"
}

reap "$@"; exit
