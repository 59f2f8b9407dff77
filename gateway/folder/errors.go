package folder

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// PathError is the error returned by Folder implementations in this package. It names the
// folder and the entry, and matches with errors.Is both its kind (ErrNotExist, ErrExist,
// ErrOutside, ErrNotRegular, or nil) and the underlying error (for example fs.ErrNotExist).
type PathError struct {
	Op     string // "open", "stat", "write", "rename", …
	Folder string // Folder.String()
	Name   string // the name as given by the caller
	Kind   error  // ErrNotExist, ErrExist, ErrOutside, ErrNotRegular, or nil
	Err    error  // the underlying error, if any
}

func (e *PathError) Error() string {
	msg := ""
	switch {
	case e.Err != nil:
		msg = e.Err.Error()
	case e.Kind != nil:
		msg = e.Kind.Error()
	}
	if e.Kind != nil && e.Err != nil && !strings.Contains(msg, e.Kind.Error()) {
		msg = e.Kind.Error() + ": " + msg
	}
	return fmt.Sprintf("folder %s: %s %q: %s", e.Folder, e.Op, e.Name, msg)
}

// Unwrap returns the kind and the underlying error, so errors.Is matches both.
func (e *PathError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// errPathEscapesText is the text of os.Root's unexported error for a path that leaves the root.
const errPathEscapesText = "path escapes from parent"

// kindOf classifies an underlying error into one of the package sentinels.
func kindOf(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrOutside), errors.Is(err, ErrExist), errors.Is(err, ErrNotExist), errors.Is(err, ErrNotRegular):
		return nil // already classified
	case errors.Is(err, fs.ErrNotExist):
		return ErrNotExist
	case errors.Is(err, fs.ErrExist):
		return ErrExist
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == errPathEscapesText {
			return ErrOutside
		}
	}
	return nil
}
