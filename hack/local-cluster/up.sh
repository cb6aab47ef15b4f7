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
  cd "$root"

  if [ "$(id -u)" != 0 ]; then
    echo "local-cluster-up: needs root (network interfaces, iptables, mounts, containerd)" >&2
    exit 1
  fi
  if pid_of kubelet >/dev/null && pid_of kube-apiserver >/dev/null &&
    "$("$root/hack/local-cluster/binaries.sh" --no-build 2>/dev/null)/kubectl" --kubeconfig "$admin_kubeconfig" get node "$node_name" >/dev/null 2>&1; then
    echo "local-cluster-up: already up" >&2
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
  step "record the host's state" record_host_state
  step "node network" node_network
  step "certificates and kubeconfigs" pki

  start registry "$registry_bin" serve "$(registry_config)"
  wait_for registry 30 curl -fsS "http://$registry/v2/"
  step "images" env REGISTRY="$registry" "$root/hack/local-cluster/images.sh"

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
    --allow-privileged=true --profiling=false
  wait_for kube-apiserver 120 "$kubectl" --kubeconfig "$admin_kubeconfig" get --raw /readyz

  start containerd containerd --config "$(containerd_config)"
  wait_for containerd 60 ctr --address "$run_dir/containerd.sock" version

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

  start kubelet "$cluster_bin/kubelet" --config "$(kubelet_config)" \
    --kubeconfig "$state_dir/kubelet.kubeconfig" --root-dir "$state_dir/kubelet" \
    --node-ip "$node_ip" --hostname-override "$node_name" \
    --node-labels "topology.kubernetes.io/region=$region,topology.kubernetes.io/zone=$zone"
  wait_for kubelet 120 "$kubectl" --kubeconfig "$admin_kubeconfig" get node "$node_name"

  start kube-proxy "$cluster_bin/kube-proxy" --config "$(kube_proxy_config)"
  wait_for kube-proxy 60 curl -fsS http://127.0.0.1:10256/healthz

  step "cluster add-ons (DNS Service, storage)" "$kubectl" --kubeconfig "$admin_kubeconfig" \
    apply --server-side -f "$(addons)" >&2
  start coredns "$cluster_bin/coredns" -conf "$(corefile)"
  wait_for coredns 60 curl -fsS http://127.0.0.1:18181/ready
  wait_for kubelet 180 "$kubectl" --kubeconfig "$admin_kubeconfig" wait node "$node_name" \
    --for condition=Ready --timeout 5s

  write_cluster_env
  echo "local-cluster-up: node $node_name is Ready ($(date -u +%H:%M:%S)); export KUBECONFIG=$admin_kubeconfig" >&2
  echo "$admin_kubeconfig"
}

# step <description> <command...>: runs it, naming the step when it fails.
step() {
  local what=$1
  shift
  echo "local-cluster-up: $what" >&2
  if ! "$@"; then
    echo "local-cluster-up: FAILED at step \"$what\"" >&2
    exit 1
  fi
}

# start <component> <command...>: in its own session, output to its log, pid to run_dir.
start() {
  local name=$1
  shift
  echo "local-cluster-up: starting $name" >&2
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
      echo "local-cluster-up: FAILED: $name exited" >&2
      log_tail "$name" 60
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "local-cluster-up: FAILED: $name not ready after ${seconds}s (probe: $*)" >&2
      log_tail "$name" 60
      exit 1
    fi
    sleep 1
  done
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

# issue <name> <subject> <extendedKeyUsage> [subjectAltName]: an EC key and a certificate
# signed by the cluster CA.
issue() {
  local name=$1 subject=$2 usage=$3 sans=${4:-}
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$pki_dir/$name.key" -out "$pki_dir/$name.csr" 2>/dev/null
  {
    echo "basicConstraints = CA:FALSE"
    echo "keyUsage = critical, digitalSignature, keyEncipherment"
    echo "extendedKeyUsage = $usage"
    [ -n "$sans" ] && echo "subjectAltName = $sans"
  } >"$pki_dir/$name.ext"
  openssl x509 -req -in "$pki_dir/$name.csr" -CA "$pki_dir/ca.crt" -CAkey "$pki_dir/ca.key" \
    -CAcreateserial -days 30 -extfile "$pki_dir/$name.ext" -out "$pki_dir/$name.crt" 2>/dev/null
  rm "$pki_dir/$name.csr" "$pki_dir/$name.ext"
}

# kubeconfig <file> <client certificate name>
kubeconfig() {
  cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: $node_name
    cluster:
      server: https://$node_ip:6443
      certificate-authority-data: $(base64 -w0 "$pki_dir/ca.crt")
users:
  - name: $2
    user:
      client-certificate-data: $(base64 -w0 "$pki_dir/$2.crt")
      client-key-data: $(base64 -w0 "$pki_dir/$2.key")
contexts:
  - name: $node_name
    context: { cluster: $node_name, user: $2 }
current-context: $node_name
YAML
  chmod 600 "$1"
}

pki() {
  (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=notejam-local-cluster-ca" -days 30 \
    -keyout "$pki_dir/ca.key" -out "$pki_dir/ca.crt" 2>/dev/null)
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
    openssl pkcs8 -topk8 -nocrypt -out "$pki_dir/service-account.key")
  openssl ec -in "$pki_dir/service-account.key" -pubout -out "$pki_dir/service-account.pub" 2>/dev/null
  issue apiserver "/CN=kube-apiserver" serverAuth \
    "IP:$node_ip,IP:$api_service_ip,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$cluster_domain"
  issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  issue kubelet-serving "/CN=$node_name" serverAuth "IP:$node_ip,DNS:$node_name"
  issue admin "/O=system:masters/CN=notejam-local-admin" clientAuth
  issue kubelet "/O=system:nodes/CN=system:node:$node_name" clientAuth
  issue kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  issue kube-scheduler "/CN=system:kube-scheduler" clientAuth
  issue kube-proxy "/CN=system:kube-proxy" clientAuth
  issue coredns "/CN=notejam-local-coredns" clientAuth
  local user
  for user in admin kubelet kube-controller-manager kube-scheduler kube-proxy coredns; do
    kubeconfig "$state_dir/$user.kubeconfig" "$user"
  done
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

containerd_config() {
  local file=$state_dir/containerd.toml
  mkdir -p "$state_dir/containerd/certs.d/$registry" "$state_dir/cni/net.d"
  # The local registry over plain HTTP; nothing else is reachable.
  cat >"$state_dir/containerd/certs.d/$registry/hosts.toml" <<TOML
server = "http://$registry"
[host."http://$registry"]
  capabilities = ["pull", "resolve"]
TOML
  cat >"$state_dir/cni/net.d/10-notejam.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "notejam",
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
        "dataDir": "$state_dir/cni/networks"
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
root = "$state_dir/containerd/root"
state = "$run_dir/containerd"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.grpc.v1.introspection.tracing"]

[grpc]
  address = "$run_dir/containerd.sock"

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
        Root = "$run_dir/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state_dir/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$state_dir/containerd/certs.d"
TOML
  echo "$file"
}

kubelet_config() {
  local file=$state_dir/kubelet.yaml
  mkdir -p "$state_dir/pod-logs"
  cat >"$file" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroups v1 without systemd on these machines
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$run_dir/containerd.sock
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
tlsCertFile: $pki_dir/kubelet-serving.crt
tlsPrivateKeyFile: $pki_dir/kubelet-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki_dir/ca.crt }
authorization: { mode: Webhook }
clusterDomain: $cluster_domain
clusterDNS: [$dns_service_ip]
podLogsDir: $state_dir/pod-logs
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

kube_proxy_config() {
  local file=$state_dir/kube-proxy.yaml
  cat >"$file" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $state_dir/kube-proxy.kubeconfig
mode: iptables
hostnameOverride: $node_name
clusterCIDR: $pod_cidr
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
# Service; storage is a handful of hostPath PersistentVolumes (no provisioner here).
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
  capacity: { storage: 10Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: $state_dir/volumes/pv-$volume, type: Directory }
YAML
  done
  echo "$file"
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
