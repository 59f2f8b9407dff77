package folder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path"
	"strings"
)

// TempName is the name WriteAtomic writes base under before renaming it: hidden, so that
// watchers and downstream readers ignore it, and recognisable by IsTempName.
func TempName(base string) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return "." + base + "." + hex.EncodeToString(rnd[:]) + ".tmp"
}

// IsTempName reports whether name is one TempName makes.
func IsTempName(name string) bool {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, ".tmp")
	if !ok || len(rest) < 14 || rest[len(rest)-13] != '.' {
		return false
	}
	_, err := hex.DecodeString(rest[len(rest)-12:])
	return err == nil
}

// RemoveStaleTemps removes from dir the temporary files of writes that a killed process
// left behind. Call it when nothing else writes there: on start.
func RemoveStaleTemps(ctx context.Context, f Folder, dir string) error {
	entries, err := f.List(ctx, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir && e.Size >= 0 && IsTempName(path.Base(e.Name)) {
			if err := f.Remove(ctx, path.Join(dir, path.Base(e.Name))); err != nil {
				return err
			}
		}
	}
	return nil
}
