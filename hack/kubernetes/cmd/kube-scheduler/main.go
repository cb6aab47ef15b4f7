// Command kube-scheduler is the upstream scheduler, built as a library from
// k8s.io/kubernetes for the local cluster.
package main

import (
	"k8s.io/kubernetes/cmd/kube-scheduler/app"
	"notejam.io/hack/kubernetes/internal/component"
)

func main() {
	component.Run(app.NewSchedulerCommand())
}
