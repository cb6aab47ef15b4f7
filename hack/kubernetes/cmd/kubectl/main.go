// Command kubectl is the upstream CLI (k8s.io/kubectl), built with the same Kubernetes
// version as the local cluster's components.
package main

import (
	"os"

	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubeconfig auth providers (exec, OIDC)
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	// -v is applied before the command is built: building it already logs (plugins,
	// .kuberc), and cli.RunNoErrOutput parses the flags only afterwards. A bad value is
	// reported by that parsing, so the error is not checked here.
	_, _ = logs.GlogSetter(cmd.GetLogVerbosity(os.Args))
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err) // prints the error kubectl-style and exits non-zero
	}
}
