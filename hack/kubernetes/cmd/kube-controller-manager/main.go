// Command kube-controller-manager is the upstream controller manager (Deployments get
// ReplicaSets and Pods, owners' dependents are garbage-collected), built as a library from
// k8s.io/kubernetes for the local cluster.
package main

import (
	_ "time/tzdata" // upstream embeds the time zone database for CronJob time zones

	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
	"notejam.io/hack/kubernetes/internal/component"
)

func main() {
	component.Run(app.NewControllerManagerCommand())
}
