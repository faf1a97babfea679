// Command etcd is the etcd server at the version Kubernetes pins, wrapped so that it builds in the
// same module as kube-apiserver.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"

	"ecs-operator.dev/test/controlplane/internal/lifeline"
)

func main() {
	lifeline.Tie()
	etcdmain.Main(os.Args)
}
