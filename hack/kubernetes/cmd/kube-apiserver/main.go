// Command kube-apiserver is the upstream API server, built as a library from
// k8s.io/kubernetes so the tests and the local cluster get a real control plane without a
// release download.
package main

import (
	_ "time/tzdata" // upstream embeds the time zone database for CronJob time zones

	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"notejam.io/hack/kubernetes/internal/component"
)

func main() {
	component.Run(app.NewAPIServerCommand())
}
