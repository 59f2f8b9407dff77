package folder

import (
	"errors"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

var errEmptyName = errors.New("empty name")

// cleanName checks that name is a slash-separated path relative to the root that cannot
// leave it lexically, and returns it cleaned ("" and "." become "."). It refuses, with
// ErrOutside: absolute names, any ".." element (even one that would stay inside), NUL bytes,
// and on Windows backslashes, volume names and reserved names (NUL, COM1, …). It does not
// look at the file system; see Local.check for symbolic links.
func cleanName(name string, allowRoot bool) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", ErrOutside
	}
	if strings.HasPrefix(name, "/") {
		return "", ErrOutside
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", ErrOutside
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		if !allowRoot {
			return "", errEmptyName
		}
		return ".", nil
	}
	if runtime.GOOS == "windows" && strings.ContainsAny(name, `\:`) {
		return "", ErrOutside
	}
	if !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", ErrOutside
	}
	return clean, nil
}

// isIgnoredName reports why a root-level file name is never emitted by a Watcher: hidden
// and temporary names written by editors, browsers, transfer tools and by WriteAtomic.
func isIgnoredName(name string) (reason string, ignored bool) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(name, "."):
		return "hidden name (ignored)", true
	case strings.HasPrefix(name, "~$"):
		return "office lock file (ignored)", true
	}
	for _, ext := range []string{".tmp", ".part", ".partial", ".filepart", ".crdownload"} {
		if strings.HasSuffix(lower, ext) {
			return "temporary name *" + ext + " (ignored)", true
		}
	}
	return "", false
}

var unsafeNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SafeName makes s usable as a file name on any file system and any SFTP server: characters
// other than letters, digits, ".", "_" and "-" become "-", and a name that would be hidden
// or read as an option gets a prefix.
func SafeName(s string) string {
	s = unsafeNameChars.ReplaceAllString(s, "-")
	if s == "" || s[0] == '.' || s[0] == '-' {
		s = "invoice" + s
	}
	return s
}
