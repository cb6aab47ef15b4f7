// Package component runs a Kubernetes server component's command the way upstream's
// cmd/<component>/main.go files do, with the registrations they all import.
package component

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
)

// Run executes the command and exits with its status.
func Run(command *cobra.Command) {
	os.Exit(cli.Run(command))
}
