// Command git-server serves the bare git repositories of a directory over HTTP through
// git's own http-backend (the smart HTTP protocol: clone, fetch and push), for the local
// cluster's Argo CD and the GitOps end-to-end suite (hack/gitops/up.sh).
//
// There is no authentication: it listens on the local cluster's node address, which
// nothing outside this machine reaches, and every request may push (REMOTE_USER is set, so
// http-backend enables receive-pack). Each request is logged with its status.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	listen := flag.String("listen", "10.250.0.1:8418", "address to listen on")
	root := flag.String("root", "", "directory holding the bare repositories (<name>.git)")
	flag.Parse()
	if *root == "" {
		log.Fatal("git-server: -root is required")
	}
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		log.Fatalf("git-server: git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + *root,
			"GIT_HTTP_EXPORT_ALL=1",
			"REMOTE_USER=notejam-local",
		},
		Stderr: os.Stderr,
	}
	server := &http.Server{
		Addr:              *listen,
		Handler:           logged(backend),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("git-server: serving %s on http://%s/", *root, *listen)
	log.Fatal(server.ListenAndServe())
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(recorder, r)
		log.Printf("%s %s?%s %d %s %s", r.Method, r.URL.Path, r.URL.RawQuery, recorder.status,
			time.Since(started).Round(time.Millisecond), r.RemoteAddr)
	})
}
