//go:build unix

package sshdtest

import (
	"os"
	"syscall"
)

// freeze stops p (SIGSTOP): it runs no more until killed.
func freeze(p *os.Process) { _ = p.Signal(syscall.SIGSTOP) }
