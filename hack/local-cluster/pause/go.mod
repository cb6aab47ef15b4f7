// The pod sandbox's pause process of the local cluster (see main.go); no dependencies.
module notejam.io/hack/local-cluster/pause

go 1.25.0
