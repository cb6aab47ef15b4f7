#!/usr/bin/env bash
# `make local-cluster-down`: removes the local cluster of up.sh completely — its processes
# and containers, mounts, network namespaces, interfaces, iptables rules, sysctls, cgroups
# and state directories — restoring what up.sh recorded, then checks that nothing is left
# and fails naming what is. Safe to run when nothing (or half a cluster) is up.
#
# The body is one function, read whole before it runs (the file may change during a run).
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # shellcheck source=lib.sh
  source "$root/hack/local-cluster/lib.sh"
  if [ "$(id -u)" != 0 ]; then
    echo "local-cluster-down: needs root" >&2
    exit 1
  fi
  before=$state_dir/host-before

  # The kubelets first, so that they restart nothing; then every container, each node's
  # containerd, then the rest. Every possible node: a half-started cluster may not have
  # recorded how many it has.
  local index
  for ((index = 0; index < max_nodes; index++)); do stop "$(node_component kubelet "$index")"; done
  remove_containers
  for ((index = 0; index < max_nodes; index++)); do stop "$(node_component containerd "$index")"; done
  remove_containers # when containerd was not running, runc may still hold containers
  for ((index = ${#components[@]} - 1; index >= 0; index--)); do
    stop "${components[index]}"
  done
  stop_strays

  unmount_all
  remove_network
  restore_host
  remove_cgroups
  remove_paths
  verify
}

# stop <component>: SIGTERM, then SIGKILL after 10 s.
stop() {
  local pid
  pid=$(pid_of "$1") || {
    rm -f "$run_dir/$1.pid"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$run_dir/$1.pid"
}

# Every container of each node's runc root.
remove_containers() {
  local index runc_root id
  for ((index = 0; index < max_nodes; index++)); do
    runc_root=$(node_run_dir_of "$index")/runc/k8s.io
    [ -d "$runc_root" ] || continue
    for id in $(runc --root "$runc_root" list -q 2>/dev/null); do
      runc --root "$runc_root" kill "$id" KILL 2>/dev/null || true
      runc --root "$runc_root" delete --force "$id" 2>/dev/null || true
    done
  done
}

# Processes started from the cluster's directories that outlived their parent (shims,
# container processes whose runc state was lost).
stop_strays() {
  local pids
  pids=$(pgrep -f -- "$run_dir|$state_dir" || true)
  [ -z "$pids" ] && return 0
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 1
}

unmount_all() {
  local target
  # Deepest first; netns files of the cluster's pods live in /run/netns/cni-*.
  for target in $(findmnt -rn -o TARGET | grep -E "^($state_dir|$run_dir|/run/netns/cni-|/var/run/netns/cni-)" | sort -r); do
    umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true
  done
}

remove_network() {
  local namespace
  for namespace in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
    if ! grep -qx "$namespace" "$before/netns" 2>/dev/null && [[ $namespace == cni-* ]]; then
      ip netns delete "$namespace" 2>/dev/null || true
    fi
  done
  local index
  for ((index = 0; index < max_nodes; index++)); do
    ip link delete "$(node_bridge_of "$index")" 2>/dev/null || true
    # A node powered off (node.sh) and never back: its blackhole routes.
    ip route del blackhole "$(node_pod_cidr_of "$index")" metric 4000 2>/dev/null || true
    ip route del blackhole "$(node_ip_of "$index")/32" metric 4000 2>/dev/null || true
  done
  ip link delete "$node_interface" 2>/dev/null || true
}

# iptables, ip_forward and the propagation of / as up.sh found them. Tables the host did
# not have are emptied (iptables cannot remove a table).
restore_host() {
  [ -d "$before" ] || return 0
  restore_rules iptables "$before/iptables"
  restore_rules ip6tables "$before/ip6tables"
  [ -f "$before/ip_forward" ] && sysctl -qw "net.ipv4.ip_forward=$(cat "$before/ip_forward")"
  if [ "$(cat "$before/root-propagation" 2>/dev/null)" = private ]; then
    mount --make-rprivate /
  fi
}

restore_rules() { # <iptables|ip6tables> <saved rules>
  local tool=$1 saved=$2 table
  [ -f "$saved" ] || return 0
  for table in $("$tool-save" | sed -n 's/^\*//p'); do
    if ! grep -qx "\*$table" "$saved"; then
      "$tool" -t "$table" -F
      "$tool" -t "$table" -X
    fi
  done
  "$tool-restore" <"$saved"
}

# The kubelets' cgroup trees in every v1 hierarchy: the first node's kubepods, the other
# nodes' cgroup roots.
remove_cgroups() {
  local tree
  for tree in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice /sys/fs/cgroup/*/"$node_name"-?; do
    if [ -d "$tree" ]; then find "$tree" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
}

remove_paths() {
  local path
  for path in "${created_paths[@]}"; do
    if [ -e "$path" ] && ! grep -qx "$path" "$before/existing-paths" 2>/dev/null; then
      rm -rf "$path"
    fi
  done
  rm -rf "$state_dir" "$run_dir"
}

verify() {
  local left=()
  pgrep -f -- "$run_dir|$state_dir" >/dev/null && left+=("processes: $(pgrep -a -f -- "$run_dir|$state_dir" | head -5)")
  findmnt -rn -o TARGET | grep -qE "^($state_dir|$run_dir|/run/netns/cni-)" && left+=("mounts")
  ip -o link show | grep -qE ": (notejam-cni[0-9]+|$node_interface)[:@]" &&
    left+=("interfaces: $(ip -o link show | grep -oE ": (notejam-cni[0-9]+|$node_interface)[:@]" | tr -d ':@ ' | xargs)")
  ip route show table main | grep -qE "^blackhole (10\.244\.|10\.250\.0\.)" && left+=("blackhole routes of powered-off nodes")
  iptables-save | grep -qE "KUBE-|CNI-" && left+=("iptables rules (KUBE-*/CNI-*)")
  for tree in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/"$node_name"-?; do
    [ -d "$tree" ] && left+=("cgroup $tree")
  done
  if [ ${#left[@]} -gt 0 ]; then
    echo "local-cluster-down: NOT clean, left behind:" >&2
    printf '  %s\n' "${left[@]}" >&2
    exit 1
  fi
  echo "local-cluster-down: removed; nothing of the local cluster is left" >&2
}

main "$@"
