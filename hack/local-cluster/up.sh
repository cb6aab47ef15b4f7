#!/usr/bin/env bash
# `make local-cluster-up`: a single-node Kubernetes 1.35 cluster on this machine, without
# Docker: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and
# kube-proxy built from the Go module proxy, Debian's containerd + runc with a CNI bridge,
# CoreDNS, and a local OCI registry holding the images built from the Dockerfiles
# (hack/local-cluster/images.sh). Prints the admin kubeconfig's path.
#
# Everything listens on loopback or on the node address, a dummy interface of its own;
# state lives in /var/lib/notejam-local-cluster and /run/notejam-local-cluster, and what
# it changes elsewhere (iptables, sysctls, mount propagation) is recorded first, so that
# `make local-cluster-down` puts the machine back as it found it. Needs root.
#
# Idempotent: a cluster that is up is left alone; a half-started one is removed first.
# When a step fails, the message names the component and shows the end of its log.
#
# The body is one function, read whole before it runs (the file may change during a run).
set -euo pipefail

main() {
  root=$(cd "$(dirname "$0")/../.." && pwd)
  # shellcheck source=lib.sh
  source "$root/hack/local-cluster/lib.sh"
  step_name=local-cluster-up
  # shellcheck source=pki.sh
  source "$root/hack/local-cluster/pki.sh"
  # shellcheck source=node.sh
  source "$root/hack/local-cluster/node.sh"
  cd "$root"

  if [ "$(id -u)" != 0 ]; then
    echo "local-cluster-up: needs root (network interfaces, iptables, mounts, containerd)" >&2
    exit 1
  fi
  nodes=${LOCAL_CLUSTER_NODES:-1}
  if ! [[ $nodes =~ ^[1-9]$ ]] || [ "$nodes" -gt "$max_nodes" ]; then
    echo "local-cluster-up: LOCAL_CLUSTER_NODES=$nodes: between 1 and $max_nodes nodes (one per zone)" >&2
    exit 2
  fi
  if pid_of kubelet >/dev/null && pid_of kube-apiserver >/dev/null &&
    "$("$root/hack/local-cluster/binaries.sh" --no-build 2>/dev/null)/kubectl" --kubeconfig "$admin_kubeconfig" get node "$node_name" >/dev/null 2>&1; then
    if [ -n "${LOCAL_CLUSTER_NODES:-}" ] && [ "$(node_count)" != "$nodes" ]; then
      echo "local-cluster-up: already up with $(node_count) node(s), not $nodes: make local-cluster-down first" >&2
      exit 1
    fi
    echo "local-cluster-up: already up ($(node_count) node(s))" >&2
    echo "$admin_kubeconfig"
    return 0
  fi
  if [ -e "$state_dir" ] || [ -e "$run_dir" ]; then
    echo "local-cluster-up: removing what an earlier run left" >&2
    "$root/hack/local-cluster/down.sh" >&2
  fi

  step "host packages" install_packages
  envtest_bin=$(step "etcd and kube-apiserver" "$root/hack/envtest-assets.sh")
  cluster_bin=$(step "node binaries" "$root/hack/local-cluster/binaries.sh")
  registry_bin=$(step "registry binary" "$root/hack/oci-registry.sh")
  kubectl=$cluster_bin/kubectl

  mkdir -p "$log_dir" "$pki_dir" "$run_dir"
  echo "$nodes" >"$state_dir/node-count"
  step "record the host's state" record_host_state
  step "node network" node_network
  step "certificates and kubeconfigs" pki

  start registry "$registry_bin" serve "$(registry_config)"
  wait_for registry 30 curl -fsS "http://$registry/v2/"
  step "images" env REGISTRY="$registry" ADDON_IMAGES=metrics-server "$root/hack/local-cluster/images.sh"

  start etcd "$envtest_bin/etcd" --name "$node_name" --data-dir "$state_dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_client_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_client_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "$node_name=http://127.0.0.1:$etcd_peer_port" \
    --listen-metrics-urls "" --unsafe-no-fsync
  wait_for etcd 60 curl -fsS "http://127.0.0.1:$etcd_client_port/health"

  start kube-apiserver "$envtest_bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_client_port" \
    --bind-address "$node_ip" --advertise-address "$node_ip" --secure-port 6443 \
    --service-cluster-ip-range "$service_cidr" \
    --client-ca-file "$pki_dir/ca.crt" \
    --tls-cert-file "$pki_dir/apiserver.crt" --tls-private-key-file "$pki_dir/apiserver.key" \
    --kubelet-client-certificate "$pki_dir/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki_dir/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki_dir/ca.crt" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.$cluster_domain" \
    --service-account-key-file "$pki_dir/service-account.pub" \
    --service-account-signing-key-file "$pki_dir/service-account.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --requestheader-client-ca-file "$pki_dir/ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki_dir/front-proxy-client.crt" \
    --proxy-client-key-file "$pki_dir/front-proxy-client.key" --enable-aggregator-routing \
    --allow-privileged=true --profiling=false
  wait_for kube-apiserver 120 "$kubectl" --kubeconfig "$admin_kubeconfig" get --raw /readyz

  start kube-controller-manager "$cluster_bin/kube-controller-manager" \
    --kubeconfig "$state_dir/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$state_dir/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$state_dir/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10257 --leader-elect=false \
    --cluster-name "$node_name" --use-service-account-credentials \
    --service-account-private-key-file "$pki_dir/service-account.key" \
    --root-ca-file "$pki_dir/ca.crt" \
    --cluster-signing-cert-file "$pki_dir/ca.crt" --cluster-signing-key-file "$pki_dir/ca.key"
  start kube-scheduler "$cluster_bin/kube-scheduler" \
    --kubeconfig "$state_dir/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$state_dir/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$state_dir/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false
  wait_for kube-controller-manager 60 curl -fsSk https://127.0.0.1:10257/healthz
  wait_for kube-scheduler 60 curl -fsSk https://127.0.0.1:10259/healthz

  local index
  for ((index = 0; index < nodes; index++)); do start_node "$index"; done

  start kube-proxy "$cluster_bin/kube-proxy" --config "$(kube_proxy_config)"
  wait_for kube-proxy 60 curl -fsS http://127.0.0.1:10256/healthz

  step "cluster add-ons (DNS Service, storage)" "$kubectl" --kubeconfig "$admin_kubeconfig" \
    apply --server-side -f "$(addons)" >&2
  start coredns "$cluster_bin/coredns" -conf "$(corefile)"
  wait_for coredns 60 curl -fsS http://127.0.0.1:18181/ready
  for ((index = 0; index < nodes; index++)); do
    wait_for "$(node_component kubelet "$index")" 180 "$kubectl" --kubeconfig "$admin_kubeconfig" \
      wait node "$(node_name_of "$index")" --for condition=Ready --timeout 5s
  done

  step "metrics-server" metrics_server

  write_cluster_env
  echo "local-cluster-up: $nodes node(s) Ready ($(date -u +%H:%M:%S)); export KUBECONFIG=$admin_kubeconfig" >&2
  echo "$admin_kubeconfig"
}

# Debian packages for the commands the cluster runs, installed only where the command is
# missing: a host that has them from elsewhere (containerd.io, say) keeps its own.
install_packages() {
  local -A package_of=([containerd]=containerd [runc]=runc [/usr/lib/cni/bridge]=containernetworking-plugins
    [iptables]=iptables [conntrack]=conntrack [openssl]=openssl [curl]=curl [buildah]=buildah
    [skopeo]=skopeo [debootstrap]=debootstrap)
  local missing=() command
  for command in "${!package_of[@]}"; do
    command -v "$command" >/dev/null || missing+=("${package_of[$command]}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "local-cluster-up: installing ${missing[*]}" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"; } >/tmp/notejam-local-cluster-apt.log 2>&1; then
    tail -20 /tmp/notejam-local-cluster-apt.log >&2
    return 1
  fi
}

# What down.sh restores: iptables rules, sysctls, mount propagation, pre-existing paths.
record_host_state() {
  local before=$state_dir/host-before path
  mkdir -p "$before"
  iptables-save >"$before/iptables"
  ip6tables-save >"$before/ip6tables"
  sysctl -n net.ipv4.ip_forward >"$before/ip_forward"
  findmnt -n -o PROPAGATION / >"$before/root-propagation"
  ip netns list 2>/dev/null | awk '{ print $1 }' >"$before/netns"
  : >"$before/existing-paths"
  for path in "${created_paths[@]}"; do
    [ -e "$path" ] && echo "$path" >>"$before/existing-paths"
  done
  return 0
}

node_network() {
  mount --make-rshared / # the kubelet's mount propagation needs it
  sysctl -qw net.ipv4.ip_forward=1
  modprobe br_netfilter 2>/dev/null || true # built in on these machines
  # An empty bridge stands in for a dummy interface (this kernel has no dummy driver).
  ip link add "$node_interface" type bridge
  ip addr add "$node_ip/32" dev "$node_interface"
  ip link set "$node_interface" up
  # ClusterIPs from the host go to the node interface, where kube-proxy's rules take them
  # to pods; the default route would carry a Service kube-proxy has not programmed yet out
  # to the real network (where this machine's egress answers it).
  ip route add "$service_cidr" dev "$node_interface" src "$node_ip"
}

registry_config() {
  local file=$state_dir/registry.yaml
  cat >"$file" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state_dir/registry
  delete:
    enabled: true
http:
  addr: $registry
YAML
  echo "$file"
}

kube_proxy_config() {
  local file=$state_dir/kube-proxy.yaml
  cat >"$file" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $state_dir/kube-proxy.kubeconfig
mode: iptables
hostnameOverride: $node_name
clusterCIDR: $cluster_cidr
bindAddress: $node_ip
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [$node_ip/32]
# leave the host's conntrack sysctls alone
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
YAML
  echo "$file"
}

# The cluster DNS runs on the host (bound to the node address) behind the usual kube-dns
# Service; storage is a handful of hostPath PersistentVolumes (no provisioner here) on the
# first node, as a local disk is: what uses them (MariaDB) runs in zone local-a.
addons() {
  local file=$state_dir/addons.yaml volume
  sed -e "s#@DNS_SERVICE_IP@#$dns_service_ip#g" -e "s#@NODE_IP@#$node_ip#g" \
    "$root/hack/local-cluster/addons.yaml" >"$file"
  for volume in 1 2 3 4 5 6; do
    mkdir -p "$state_dir/volumes/pv-$volume"
    chmod 0777 "$state_dir/volumes/pv-$volume" # hostPath volumes ignore fsGroup
    cat >>"$file" <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$volume
  labels: { notejam.io/local-cluster: "true" }
spec:
  capacity: { storage: 20Gi } # nominal (hostPath sets no limit): as big as the largest claim of samples/, prod's backups
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: $state_dir/volumes/pv-$volume, type: Directory }
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - { key: kubernetes.io/hostname, operator: In, values: [$node_name] }
YAML
  done
  echo "$file"
}

# metrics-server (hack/local-cluster/metrics-server.yaml), ready once the API server
# serves metrics.k8s.io through it.
metrics_server() {
  sed -e "s#@IMAGE@#$registry/$metrics_server_image#" -e "s#@FIRST_NODE@#$node_name#" \
    "$root/hack/local-cluster/metrics-server.yaml" >"$state_dir/metrics-server.yaml"
  "$kubectl" --kubeconfig "$admin_kubeconfig" apply --server-side -f "$state_dir/metrics-server.yaml" >&2 &&
    "$kubectl" --kubeconfig "$admin_kubeconfig" wait apiservice v1beta1.metrics.k8s.io \
      --for condition=Available --timeout 180s >&2
}

corefile() {
  local file=$state_dir/Corefile
  cat >"$file" <<COREFILE
.:53 {
  bind $node_ip
  errors
  health 127.0.0.1:18080
  ready 127.0.0.1:18181
  kubernetes $cluster_domain in-addr.arpa ip6.arpa {
    kubeconfig $state_dir/coredns.kubeconfig $node_name
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
  }
  forward . /etc/resolv.conf
  cache 30
  loop
  loadbalance
}
COREFILE
  echo "$file"
}

# Sourced by the Makefile's deploy and e2e targets: this cluster, its kubectl, its registry.
write_cluster_env() {
  cat >"$state_dir/cluster.env" <<ENV
export KUBECONFIG=$admin_kubeconfig
export PATH=$cluster_bin:\$PATH
export IMAGE_REGISTRY=$registry
export PLAIN_HTTP_REGISTRIES=$registry
export OPERATOR_IMAGE=$registry/notejam-operator:dev
export MARIADB_IMAGE=$registry/mariadb:10.11-notejam
export E2E_NEXT_IMAGE=$registry/notejam:e2e-next
export E2E_BROKEN_IMAGE=$registry/notejam:e2e-failing-migration
ENV
}

main "$@"
