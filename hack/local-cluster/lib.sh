# shellcheck shell=bash disable=SC2034 # the names are for the scripts that source this file
# The local cluster's one set of names, addresses and paths (sourced by up.sh, down.sh and
# the Makefile's local-cluster targets through make.env). See README, "A local cluster
# without Docker".
state_dir=/var/lib/notejam-local-cluster # certificates, etcd, containerd, kubelet, logs
run_dir=/run/notejam-local-cluster       # sockets, pid files, runc state
log_dir=$state_dir/logs
pki_dir=$state_dir/pki
admin_kubeconfig=$state_dir/admin.kubeconfig

node_name=notejam-local # the first node; LOCAL_CLUSTER_NODES adds more (node_* below)
node_interface=notejam0 # a port-less bridge: the node addresses are on no real network
node_ip=10.250.0.1
cluster_cidr=10.244.0.0/16 # every node's pod range
service_cidr=10.96.0.0/16
api_service_ip=10.96.0.1
dns_service_ip=10.96.0.10
cluster_domain=cluster.local
registry=$node_ip:5000
# The add-ons' images, built by images.sh (ADDON_IMAGES) from addon-binaries.sh.
metrics_server_image=metrics-server:v0.8.0-notejam
prometheus_image=prometheus:v3.16.0-notejam
prometheus_operator_image=prometheus-operator:v0.85.0-notejam
config_reloader_image=prometheus-config-reloader:v0.85.0-notejam
git_server=$node_ip:8418 # GitOps (hack/gitops/up.sh)
etcd_client_port=12379
etcd_peer_port=12380
region=local

# Everything outside the two directories above that the components create when missing:
# local-cluster-down removes the ones that did not exist before local-cluster-up.
created_paths=(/var/lib/cni /var/log/pods /var/log/containers /run/netns /etc/cni /opt/cni
  /var/lib/kubelet /opt/containerd /run/containerd /etc/kubernetes)

# process order: started in this order, stopped in reverse (each node's containerd and
# kubelet are stopped first, see down.sh)
components=(registry etcd kube-apiserver kube-controller-manager kube-scheduler kube-proxy coredns git-server)

# The nodes: LOCAL_CLUSTER_NODES (1-3, default 1) at up, recorded for later commands. Node
# <index> 0 is the one above; node 1 and 2 are notejam-local-b/-c in zones local-b/-c,
# each with its own address, pod range, bridge, containerd, cgroup root and directories.
node_count() {
  if [ -f "$state_dir/node-count" ]; then cat "$state_dir/node-count"; else echo "${LOCAL_CLUSTER_NODES:-1}"; fi
}
node_name_of() { if [ "$1" = 0 ]; then echo "$node_name"; else echo "$node_name-$(node_letter "$1")"; fi; }
node_letters=(a b c)
max_nodes=${#node_letters[@]}
node_letter() { echo "${node_letters[$1]}"; } # 0 -> a
node_index_of() { # <node name>: its index, or fails
  local index
  for ((index = 0; index < max_nodes; index++)); do
    [ "$(node_name_of "$index")" = "$1" ] && echo "$index" && return 0
  done
  return 1
}
node_ip_of() { echo "10.250.0.$(($1 + 1))"; }
node_zone_of() { echo "local-$(node_letter "$1")"; }
node_pod_cidr_of() { echo "10.244.$1.0/24"; }
node_bridge_of() { echo "notejam-cni$1"; }
# The first node keeps the single-node layout; the others live in nodes/<name>/.
node_state_dir_of() { if [ "$1" = 0 ]; then echo "$state_dir"; else echo "$state_dir/nodes/$(node_name_of "$1")"; fi; }
node_run_dir_of() { if [ "$1" = 0 ]; then echo "$run_dir"; else echo "$run_dir/nodes/$(node_name_of "$1")"; fi; }
# Components of a node, for pid files and logs: containerd, kubelet (first node) or
# containerd-<name>, kubelet-<name>.
node_component() { if [ "$2" = 0 ]; then echo "$1"; else echo "$1-$(node_name_of "$2")"; fi; }
# The kubelet's cgroup root: / for the first node (its pods under /kubepods), /<name> for the
# others, so that each kubelet manages a tree of its own.
node_cgroup_root_of() { if [ "$1" = 0 ]; then echo /; else echo "/$(node_name_of "$1")"; fi; }

pid_of() { # <component>: its pid when running
  local file=$run_dir/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

log_tail() { # <component> [lines]
  echo "--- last ${2:-40} lines of $log_dir/$1.log ---" >&2
  tail -n "${2:-40}" "$log_dir/$1.log" >&2 2>/dev/null || echo "(no log)" >&2
}

# start <component> <command...>: in its own session, output to its log, pid to run_dir.
start() {
  local name=$1
  shift
  echo "local-cluster: starting $name" >&2
  setsid "$@" >>"$log_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$run_dir/$name.pid"
}

# wait_for <component> <seconds> <probe...>: until the probe passes; fails with the
# component's log when it exits or the time runs out.
wait_for() {
  local name=$1 seconds=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! pid_of "$name" >/dev/null; then
      echo "local-cluster: FAILED: $name exited" >&2
      log_tail "$name" 60
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "local-cluster: FAILED: $name not ready after ${seconds}s (probe: $*)" >&2
      log_tail "$name" 60
      exit 1
    fi
    sleep 1
  done
}

# step <description> <command...>: runs it, announced and, when it fails, named under the
# caller's $step_name (up.sh: local-cluster-up, hack/gitops/up.sh: gitops-up).
step() {
  local what=$1
  shift
  echo "${step_name:?}: $what" >&2
  if ! "$@"; then
    echo "$step_name: FAILED at step \"$what\"" >&2
    exit 1
  fi
}
