// Command kustomize is the standalone kustomize of the Kubernetes module: the same
// sigs.k8s.io/kustomize release kubectl embeds (`kubectl kustomize`), as a binary for Argo
// CD's repo-server, which runs `kustomize build` (hack/argocd/build.sh builds it there).
package main

import (
	"os"

	"sigs.k8s.io/kustomize/kustomize/v5/commands"
)

func main() {
	if err := commands.NewDefaultCommand().Execute(); err != nil {
		os.Exit(1)
	}
}
