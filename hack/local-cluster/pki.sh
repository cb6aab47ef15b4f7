# shellcheck shell=bash disable=SC2154 # the names come from lib.sh
# The local cluster's certificates and kubeconfigs, from a throw-away CA (sourced by up.sh
# and node.sh; each node's kubelet certificates are issued by node.sh).

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
  # The aggregation layer's client (metrics-server trusts it to name the user it forwards).
  issue front-proxy-client "/CN=front-proxy-client" clientAuth
  issue admin "/O=system:masters/CN=notejam-local-admin" clientAuth
  issue kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  issue kube-scheduler "/CN=system:kube-scheduler" clientAuth
  issue kube-proxy "/CN=system:kube-proxy" clientAuth
  issue coredns "/CN=notejam-local-coredns" clientAuth
  local user
  for user in admin kube-controller-manager kube-scheduler kube-proxy coredns; do
    kubeconfig "$state_dir/$user.kubeconfig" "$user"
  done
}
