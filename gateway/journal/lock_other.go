//go:build (!unix && !windows) || aix

package journal

import "os"

// lockFile cannot lock on this platform: a second instance is not detected.
func lockFile(*os.File) (held bool, err error) { return false, nil }

func unlockFile(*os.File) error { return nil }
