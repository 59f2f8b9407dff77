package config

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// DefaultFilename is the flux name template used when a destination sets none.
const DefaultFilename = "{invoice}_{syntax}.xml"

var placeholder = regexp.MustCompile(`\{([a-z]+)(?::([^}]*))?\}`)

// FilenameVars are the values a flux name template can use.
type FilenameVars struct {
	Invoice string    // {invoice}: the invoice number, made safe
	Syntax  string    // {syntax}: ubl, cii
	Seq     int       // {seq}: the invoice's position in its file
	FileID  int64     // {fileid}: the journal id of the source file
	Source  string    // {source}: the source's name
	Input   string    // {input}: the source file's name without its extension
	Date    time.Time // {date} or {date:LAYOUT} (Go layout, default 20060102)
}

// CheckFilenameTemplate reports an unknown placeholder, a slash, or a name that would be hidden.
func CheckFilenameTemplate(t string) error {
	if t == "" {
		return nil
	}
	if strings.ContainsAny(placeholder.ReplaceAllString(t, ""), `/\`) || strings.HasPrefix(t, ".") {
		return fmt.Errorf("%q must be a plain file name (no folder, not hidden)", t)
	}
	var errs []error
	for _, m := range placeholder.FindAllStringSubmatch(t, -1) {
		switch m[1] {
		case "invoice", "syntax", "seq", "fileid", "source", "input":
			if m[2] != "" {
				errs = append(errs, fmt.Errorf("{%s} takes no layout", m[1]))
			}
		case "date":
		default:
			errs = append(errs, fmt.Errorf("unknown placeholder {%s} (use {invoice}, {syntax}, {seq}, {fileid}, {source}, {input}, {date} or {date:20060102})", m[1]))
		}
	}
	if rest := placeholder.ReplaceAllString(t, ""); strings.ContainsAny(rest, "{}") {
		errs = append(errs, fmt.Errorf("%q has an unbalanced brace", t))
	}
	return errors.Join(errs...)
}

// ExpandFilename fills the template t (DefaultFilename when empty); every value is made safe
// for any file system.
func ExpandFilename(t string, v FilenameVars) string {
	if t == "" {
		t = DefaultFilename
	}
	out := placeholder.ReplaceAllStringFunc(t, func(s string) string {
		m := placeholder.FindStringSubmatch(s)
		switch m[1] {
		case "invoice":
			return v.Invoice
		case "syntax":
			return v.Syntax
		case "seq":
			return strconv.Itoa(v.Seq)
		case "fileid":
			return strconv.FormatInt(v.FileID, 10)
		case "source":
			return v.Source
		case "input":
			return strings.TrimSuffix(path.Base(v.Input), path.Ext(v.Input))
		case "date":
			layout := m[2]
			if layout == "" {
				layout = "20060102"
			}
			return v.Date.Format(layout)
		}
		return s
	})
	return folder.SafeName(out)
}

// UniqueFilename is name with "_<fileID>-<seq>" before its extension, for a name another
// flux took already.
func UniqueFilename(name string, fileID int64, seq int) string {
	ext := path.Ext(name)
	return fmt.Sprintf("%s_%d-%d%s", strings.TrimSuffix(name, ext), fileID, seq, ext)
}
