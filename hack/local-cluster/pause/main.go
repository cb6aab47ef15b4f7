// Command pause is the first process of every pod sandbox of the local cluster (the
// containerd sandbox image, see hack/local-cluster/): it holds the pod's namespaces open by
// doing nothing until it is told to stop. As PID 1 of the pod's PID namespace it also
// becomes the parent of orphaned processes, which it must wait for, or they stay zombies.
// Built static (CGO_ENABLED=0) because the image holds nothing else.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 16)
	// PID 1 gets no default signal actions from the kernel: without handlers SIGTERM
	// would be ignored and the sandbox only ever stopped by SIGKILL.
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: not PID 1; orphans of this PID namespace go elsewhere")
	}
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		reapChildren()
	}
}

// reapChildren collects every exited child: one SIGCHLD can stand for several exits.
func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil { // none left exited (0) or no children at all (ECHILD)
			return
		}
	}
}
