// Command kube-apiserver is the upstream API server, built from the Go module proxy so that tests
// run against the real thing rather than a fake (see design.md, section 5).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"

	"ecs-operator.dev/test/controlplane/internal/lifeline"
)

func main() {
	lifeline.Tie()
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
