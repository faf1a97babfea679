// Command tied runs another program tied to the process that started it: the kernel signals the
// program when that process exits, even by SIGKILL, so no Prometheus outlives a test run (see
// test/env/controlplane/internal/lifeline for the same tie inside our own binaries). Prometheus
// itself is built unchanged from the Go module proxy, so the tie is set here and kept across exec.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// parentPIDEnv names the variable through which the launcher passes its own pid; it closes the
// race where the parent dies between fork and prctl, when the kernel never sends the signal.
const parentPIDEnv = "ECS_OPERATOR_PARENT_PID"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tied PROGRAM [ARG...]")
		os.Exit(2)
	}
	if want, err := strconv.Atoi(os.Getenv(parentPIDEnv)); err == nil {
		_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM), 0, 0, 0)
		if os.Getppid() != want {
			os.Exit(1)
		}
	}
	program, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(127)
	}
	// The death signal survives exec (it is cleared only for set-user-ID programs).
	err = syscall.Exec(program, os.Args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, err)
	os.Exit(126)
}
