// Command kube-apiserver is the upstream API server, built as a library from
// k8s.io/kubernetes so the tests get a real control plane without a release download.
package main

import (
	"os"
	_ "time/tzdata" // upstream embeds the time zone database for CronJob time zones

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
