//go:build !linux

package folder

import (
	"errors"
	"os"
)

// Elsewhere than on Linux there is no syncfs that reports write-back errors: files are
// synced one by one (see FSSyncer).
func syncfs(*os.File) error { return errors.ErrUnsupported }

func syncfsWorks() bool { return false }

// createAt is never called off Linux: there is no FSSync there.
func createAt(*os.File, string, []byte) error { return errors.ErrUnsupported }
