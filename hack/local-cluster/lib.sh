# shellcheck shell=bash disable=SC2034 # the names are for the scripts that source this file
# The local cluster's one set of names, addresses and paths (sourced by up.sh, down.sh and
# the Makefile's local-cluster targets through make.env). See README, "A local cluster
# without Docker".
state_dir=/var/lib/notejam-local-cluster # certificates, etcd, containerd, kubelet, logs
run_dir=/run/notejam-local-cluster       # sockets, pid files, runc state
log_dir=$state_dir/logs
pki_dir=$state_dir/pki
admin_kubeconfig=$state_dir/admin.kubeconfig

node_name=notejam-local
node_interface=notejam0 # a port-less bridge: the node address is on no real network
node_ip=10.250.0.1
bridge=notejam-cni0
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/16
api_service_ip=10.96.0.1
dns_service_ip=10.96.0.10
cluster_domain=cluster.local
registry=$node_ip:5000
etcd_client_port=12379
etcd_peer_port=12380
region=local
zone=local-a

# Everything outside the two directories above that the components create when missing:
# local-cluster-down removes the ones that did not exist before local-cluster-up.
created_paths=(/var/lib/cni /var/log/pods /var/log/containers /run/netns /etc/cni /opt/cni
  /var/lib/kubelet /opt/containerd /run/containerd /etc/kubernetes)

# process order: started in this order, stopped in reverse
components=(registry etcd kube-apiserver containerd kube-controller-manager kube-scheduler
  kubelet kube-proxy coredns)

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
