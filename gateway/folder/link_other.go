//go:build !linux

package folder

import (
	"fmt"
	"os"
)

// linkAt is Linux's alone: elsewhere no hard link is made between directories held open
// (Windows has no linkat), and fluxes are copied.
func linkAt(_ *os.File, _ string, _ *os.File, _ string, _ uint32) error {
	return errLinkLinuxOnly
}

func dirsAlike(_, _ *os.File) (uint32, error) { return 0, errLinkLinuxOnly }

var errLinkLinuxOnly = fmt.Errorf("%w: hard links are made on Linux only", ErrCannotLink)
