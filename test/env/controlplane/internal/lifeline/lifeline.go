// Package lifeline ties a test control-plane process to the process that started it, so that no
// etcd or kube-apiserver outlives a test run, even one killed with SIGKILL (where the parent gets
// no chance to clean up).
package lifeline

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ParentPIDEnv names the variable through which the launcher passes its own pid. It closes the
// race where the parent dies between fork and prctl: the kernel then never sends the signal.
const ParentPIDEnv = "ECS_OPERATOR_PARENT_PID"

// Tie asks the kernel to send SIGTERM when the parent exits, and exits at once if the parent is
// already gone. Without the variable (a binary started by hand) it does nothing.
func Tie() {
	want, err := strconv.Atoi(os.Getenv(ParentPIDEnv))
	if err != nil {
		return
	}
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM), 0, 0, 0)
	if os.Getppid() != want {
		os.Exit(1)
	}
}
