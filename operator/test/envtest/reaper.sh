#!/usr/bin/env bash
# Cleanup guard of one test control plane (started by control-plane.ts in its own session,
# so a Ctrl-C aimed at jest does not reach it).
#
#   reaper.sh <owner pid> <work dir>
#
# Waits until the owner process (the jest process that started the control plane) is gone,
# however it ended (even SIGKILL, where no exit hook runs), or until it is sent SIGTERM (the
# normal stop). Then it stops the process groups listed in <work dir>/process-groups (one id
# a line, kept current by control-plane.ts), SIGTERM first and SIGKILL after a grace period,
# and removes <work dir>. Exits 0 once everything is gone.
set -uo pipefail

owner=$1
work_dir=$2
grace_tenths=50 # 5 s for etcd and kube-apiserver to shut down before SIGKILL

stopping=
trap 'stopping=1' TERM INT HUP

while [ -z "$stopping" ] && kill -0 "$owner" 2>/dev/null; do
  sleep 0.5 &
  wait $! # returns early when a trapped signal arrives
done

groups=()
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
  kill -TERM -- "-$group" 2>/dev/null
done
for ((tenth = 0; tenth < grace_tenths; tenth++)); do
  any_alive || break
  sleep 0.1
done
for group in "${groups[@]}"; do
  kill -KILL -- "-$group" 2>/dev/null
done
# SIGKILL is not instant, and the directory should go only once nobody writes to it.
for ((tenth = 0; tenth < 100; tenth++)); do
  any_alive || break
  sleep 0.1
done
rm -rf -- "$work_dir"
