// Command git-server serves the bare git repositories of a directory over HTTP through
// git's own http-backend (the smart HTTP protocol: clone, fetch and push), for the local
// cluster's Argo CD and the GitOps end-to-end suite (hack/gitops/up.sh).
//
// There is no authentication: it listens on the local cluster's node address, which
// nothing outside this machine reaches, and every request may push (REMOTE_USER is set, so
// http-backend enables receive-pack). Each request is logged with its status.
//
// git sends a push (or a long fetch negotiation) larger than its http.postBuffer (1 MiB)
// with a chunked body, which CGI cannot pass on (net/http/cgi answers 400): such a body is
// first spooled to a temporary file, up to -max-body bytes, and handed on with its length.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
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
	maxBody := flag.Int64("max-body", 1<<30, "largest request body of unknown length (a chunked push) accepted, in bytes")
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
		Handler:           logged(withKnownLength(backend, *maxBody)),
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

// withKnownLength hands next every request body with its length: one of unknown length
// is spooled to a temporary file first (removed after the request), refused with 413 when
// larger than maxBody.
func withKnownLength(next http.Handler, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength >= 0 {
			next.ServeHTTP(w, r)
			return
		}
		spool, err := os.CreateTemp("", "git-server-body-")
		if err != nil {
			http.Error(w, fmt.Sprintf("spooling the request body: %v", err), http.StatusInternalServerError)
			return
		}
		defer func() {
			spool.Close()
			os.Remove(spool.Name())
		}()
		size, err := io.Copy(spool, http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, fmt.Sprintf("request body larger than %d bytes (-max-body)", maxBody), http.StatusRequestEntityTooLarge)
			} else {
				http.Error(w, fmt.Sprintf("reading the request body: %v", err), http.StatusBadRequest)
			}
			return
		}
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			http.Error(w, fmt.Sprintf("spooling the request body: %v", err), http.StatusInternalServerError)
			return
		}
		known := r.Clone(r.Context())
		known.Body = spool
		known.ContentLength = size
		known.TransferEncoding = nil
		known.Header.Del("Transfer-Encoding")
		next.ServeHTTP(w, known)
	})
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
