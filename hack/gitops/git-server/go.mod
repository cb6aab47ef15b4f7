// The local cluster's git server (hack/gitops/up.sh): the standard library only.
module notejam.io/hack/gitops/git-server

go 1.25.0
