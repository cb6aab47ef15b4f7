// Command coredns is CoreDNS, the cluster DNS of the local cluster (hack/local-cluster/),
// with only the plugins a Kubernetes Corefile uses: upstream's main imports every plugin,
// whose cloud SDKs (route53, azure, clouddns, etcd, ...) would multiply the build. A
// Corefile naming a plugin left out here fails to load with "missing a plugin?".
package main

import (
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/debug"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics" // the `prometheus` directive
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/whoami" // what CoreDNS serves without a Corefile
)

func main() {
	coremain.Run()
}
