// Command kubelet is the upstream node agent, built as a library from k8s.io/kubernetes
// for the local cluster. It talks to containerd over CRI, so it needs no container engine
// of its own.
package main

import (
	"context"

	"k8s.io/kubernetes/cmd/kubelet/app"
	"notejam.io/hack/kubernetes/internal/component"
)

func main() {
	component.Run(app.NewKubeletCommand(context.Background()))
}
