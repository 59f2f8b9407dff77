package folder

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// maxUnique bounds the suffixes UniqueName tries.
const maxUnique = 1000

// UniqueName returns a name in dir ("" or "." for the root) for a file called name, stamped
// with now as "<YYYYMMDD-HHMMSS>_<name>" (in now's location), that does not exist in f. If it
// is taken, "_2", "_3", … is added before the extension: "20250102-030405_ventes_2.csv".
// Name must be a base name (no slash). The name is free when checked, and not one reserved
// reports (nil: none is), for the names callers chose but have not used yet; a caller that
// races with another writer gets ErrExist from Rename and may call UniqueName again.
func UniqueName(ctx context.Context, f Folder, dir, name string, now time.Time, reserved func(string) bool) (string, error) {
	if name == "" || strings.Contains(name, "/") || name == "." || name == ".." {
		return "", fmt.Errorf("unique name in %s: invalid base name %q", f, name)
	}
	stamped := now.Format("20060102-150405") + "_" + name
	ext := path.Ext(name)
	if ext == name { // ".profile": no extension, only a leading dot
		ext = ""
	}
	stem := strings.TrimSuffix(stamped, ext)
	for i := 1; i <= maxUnique; i++ {
		candidate := stamped
		if i > 1 {
			candidate = fmt.Sprintf("%s_%d%s", stem, i, ext)
		}
		if dir != "" && dir != "." {
			candidate = path.Join(dir, candidate)
		}
		if reserved != nil && reserved(candidate) {
			continue
		}
		_, err := f.Stat(ctx, candidate)
		switch {
		case errors.Is(err, ErrNotExist):
			return candidate, nil
		case err != nil:
			return "", err
		}
	}
	return "", fmt.Errorf("unique name in %s: %d names taken for %q", f, maxUnique, path.Join(dir, stamped))
}
