#!/usr/bin/env bash
# The local cluster's nodes: each a kubelet with a containerd of its own (socket, state,
# runc root, CNI bridge and pod range), its own cgroup root, root directory and address on
# the node interface, labelled with its zone. Sourced by up.sh, which starts every node
# with start_node; run directly, it is what the resilience suite uses to lose a zone:
#
#   hack/local-cluster/node.sh power-off <node>   kill its kubelet, containerd and every
#                                                 container at once (SIGKILL, as in a power
#                                                 cut) and drop its traffic on the floor
#   hack/local-cluster/node.sh power-on <node>    bring it back (containerd, kubelet)
#
# What the nodes share, because one host has one of each (README, "Several nodes"): the
# network namespace, so one kube-proxy programs the host's iptables for all of them and
# pods reach each other through the host's routing; the kernel, its memory and CPUs, so
# each node reports the whole machine as its capacity; the host's /var/log/containers.
set -euo pipefail

# start_node <index>: certificates, address, containerd, cgroup root, kubelet; returns once
# the node is registered (Ready comes with the DNS Service, see up.sh).
start_node() {
  local index=$1 name ip dir
  name=$(node_name_of "$index")
  ip=$(node_ip_of "$index")
  dir=$(node_state_dir_of "$index")
  mkdir -p "$dir" "$(node_run_dir_of "$index")"
  if [ ! -f "$pki_dir/$(node_cert "$index" kubelet).crt" ]; then
    issue "$(node_cert "$index" kubelet-serving)" "/CN=$name" serverAuth "IP:$ip,DNS:$name"
    issue "$(node_cert "$index" kubelet)" "/O=system:nodes/CN=system:node:$name" clientAuth
    kubeconfig "$dir/kubelet.kubeconfig" "$(node_cert "$index" kubelet)"
  fi
  node_address_up "$index"
  node_cgroup_root "$index"

  local containerd kubelet run
  containerd=$(node_component containerd "$index")
  kubelet=$(node_component kubelet "$index")
  run=$(node_run_dir_of "$index")
  start "$containerd" containerd --config "$(containerd_config "$index")"
  wait_for "$containerd" 60 ctr --address "$run/containerd.sock" version
  start "$kubelet" "$cluster_bin/kubelet" --config "$(kubelet_config "$index")" \
    --kubeconfig "$dir/kubelet.kubeconfig" --root-dir "$dir/kubelet" \
    --node-ip "$ip" --hostname-override "$name" \
    --node-labels "topology.kubernetes.io/region=$region,topology.kubernetes.io/zone=$(node_zone_of "$index")"
  wait_for "$kubelet" 120 "$kubectl" --kubeconfig "$admin_kubeconfig" get node "$name"
}

# node_cert <index> <kubelet|kubelet-serving>: the certificate's name in pki_dir.
node_cert() { if [ "$1" = 0 ]; then echo "$2"; else echo "$2-$(node_name_of "$1")"; fi; }

# The node's address on the node interface (the first node's comes with the interface).
node_address_up() {
  local ip
  ip=$(node_ip_of "$1")
  ip addr show dev "$node_interface" | grep -q " $ip/32 " || ip addr add "$ip/32" dev "$node_interface"
}

# The kubelet refuses a cgroup root that does not exist: make it in every v1 hierarchy.
node_cgroup_root() {
  local root hierarchy
  root=$(node_cgroup_root_of "$1")
  [ "$root" = / ] && return 0
  for hierarchy in /sys/fs/cgroup/*/; do
    [ "$hierarchy" = /sys/fs/cgroup/unified/ ] && continue
    mkdir -p "$hierarchy${root#/}"
  done
  # A new v1 cpuset admits no task until it has CPUs and memory nodes: the machine's.
  if [ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset${root}/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset${root}/cpuset.mems"
  fi
}

containerd_config() { # <index>: writes the node's containerd and CNI configuration
  local index=$1 dir run file bridge pod_cidr
  dir=$(node_state_dir_of "$index")
  run=$(node_run_dir_of "$index")
  file=$dir/containerd.toml
  bridge=$(node_bridge_of "$index")
  pod_cidr=$(node_pod_cidr_of "$index")
  mkdir -p "$dir/containerd/certs.d/$registry" "$dir/cni/net.d"
  # The local registry over plain HTTP; nothing else is reachable.
  cat >"$dir/containerd/certs.d/$registry/hosts.toml" <<TOML
server = "http://$registry"
[host."http://$registry"]
  capabilities = ["pull", "resolve"]
TOML
  cat >"$dir/cni/net.d/10-notejam.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "notejam-$(node_letter "$index")",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$pod_cidr" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$dir/cni/networks"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  # restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE; SystemdCgroup=false: PID 1 is
  # not systemd and cgroups are v1.
  cat >"$file" <<TOML
version = 2
root = "$dir/containerd/root"
state = "$run/containerd"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.grpc.v1.introspection.tracing"]

[grpc]
  address = "$run/containerd.sock"

[ttrpc]
  address = "$run/containerd.sock.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$registry/pause:3.10-notejam"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true # pod network namespaces under run_dir, not /run/netns
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/containerd/certs.d"
TOML
  echo "$file"
}

kubelet_config() { # <index>
  local index=$1 dir run ip file
  dir=$(node_state_dir_of "$index")
  run=$(node_run_dir_of "$index")
  ip=$(node_ip_of "$index")
  file=$dir/kubelet.yaml
  mkdir -p "$dir/pod-logs"
  cat >"$file" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroups v1 without systemd on these machines
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $(node_cgroup_root_of "$index")
containerRuntimeEndpoint: unix://$run/containerd.sock
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: $ip
tlsCertFile: $pki_dir/$(node_cert "$index" kubelet-serving).crt
tlsPrivateKeyFile: $pki_dir/$(node_cert "$index" kubelet-serving).key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki_dir/ca.crt }
authorization: { mode: Webhook }
clusterDomain: $cluster_domain
clusterDNS: [$dns_service_ip]
podLogsDir: $dir/pod-logs
failSwapOn: false
serializeImagePulls: false
# A shared build machine: evict only when really short.
evictionHard:
  memory.available: 200Mi
  nodefs.available: 2%
  imagefs.available: 2%
  nodefs.inodesFree: 2%
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
YAML
  echo "$file"
}

# power_off <index>: what a power cut does to a node. The kubelet and containerd die first
# (nothing restarts a container), then every process in the node's pod cgroups; its pods'
# addresses and its own then swallow packets instead of answering, as a dead machine does.
power_off() {
  local index=$1 component pid pids cgroup bridge
  for component in kubelet containerd; do
    if pid=$(pid_of "$(node_component "$component" "$index")"); then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  pids=$(pgrep -f -- "-address $(node_run_dir_of "$index")/containerd.sock" || true)
  # shellcheck disable=SC2086 # one pid a word
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  cgroup=/sys/fs/cgroup/pids$(node_cgroup_root_of "$index" | sed 's#/$##')/kubepods
  if [ -d "$cgroup" ]; then
    pids=$(find "$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  fi
  # Blackhole routes first: without them, the pod range and the node address would follow
  # the default route to the real network once the bridge is down and the address gone.
  bridge=$(node_bridge_of "$index")
  ip route replace blackhole "$(node_pod_cidr_of "$index")" metric 4000
  ip route replace blackhole "$(node_ip_of "$index")/32" metric 4000
  ip link set "$bridge" down 2>/dev/null || true
  ip addr del "$(node_ip_of "$index")/32" dev "$node_interface" 2>/dev/null || true
}

# power_on <index>: the node's network back, then containerd and the kubelet.
power_on() {
  local index=$1
  ip route del blackhole "$(node_pod_cidr_of "$index")" metric 4000 2>/dev/null || true
  ip route del blackhole "$(node_ip_of "$index")/32" metric 4000 2>/dev/null || true
  ip link set "$(node_bridge_of "$index")" up 2>/dev/null || true
  start_node "$index"
}

node_main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # shellcheck source=lib.sh
  source "$root/hack/local-cluster/lib.sh"
  # shellcheck source=pki.sh
  source "$root/hack/local-cluster/pki.sh"
  if [ "$(id -u)" != 0 ]; then
    echo "local-cluster node: needs root" >&2
    exit 1
  fi
  local action=${1:-} index
  if [ $# -ne 2 ] || ! index=$(node_index_of "$2") || [ "$index" -ge "$(node_count)" ]; then
    echo "usage: $0 power-off|power-on <node> (a node of the running local cluster)" >&2
    exit 2
  fi
  cluster_bin=$("$root/hack/local-cluster/binaries.sh" --no-build)
  kubectl=$cluster_bin/kubectl
  case "$action" in
    power-off) power_off "$index" ;;
    power-on) power_on "$index" ;;
    *)
      echo "usage: $0 power-off|power-on <node>" >&2
      exit 2
      ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  node_main "$@"
  exit
fi
