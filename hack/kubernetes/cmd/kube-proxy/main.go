// Command kube-proxy is the upstream service proxy (ClusterIP rules in iptables or
// nftables), built as a library from k8s.io/kubernetes for the local cluster.
package main

import (
	"k8s.io/kubernetes/cmd/kube-proxy/app"
	"notejam.io/hack/kubernetes/internal/component"
)

func main() {
	component.Run(app.NewProxyCommand())
}
