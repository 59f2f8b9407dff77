package mapping

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// Attached documents (BT-125, in BG-24): a column names a file of a folder the mapping
// states (attachment="file" folder="…"), or holds the document in base64
// (attachment="base64"). The MIME code (BT-125-1) comes from mime="…", else from the file
// name's extension, else from the content; the file name (BT-125-2) from the column, or
// filename="…".

// RuleAttachment is the rule id of an attachment that cannot be read.
const RuleAttachment = "FG-MAP-ATTACHMENT"

// maxAttachment bounds one attached document: platforms refuse invoices far smaller.
const maxAttachment = 20 << 20

// attachDef is how a BT-125 term reads its document.
type attachDef struct {
	mode     string // file or base64
	folder   string // file: the folder the names are relative to
	mime     string
	filename string
}

// mimeByExt lists the MIME codes EN 16931 allows (BR-CL-24), by extension.
var mimeByExt = map[string]string{
	".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".csv": "text/csv",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
}

// attachment reads the attachment attributes of a BT-125 term.
func (l *loader) attachment(line int, a map[string]string) *attachDef {
	ad := &attachDef{mode: a["attachment"], mime: strings.TrimSpace(a["mime"]), filename: strings.TrimSpace(a["filename"])}
	switch ad.mode {
	case "file":
		f, ok := a["folder"]
		if !ok || strings.TrimSpace(f) == "" {
			l.errorf(line, "attachment=\"file\" needs folder=\"…\", the folder holding the files the column names (relative to the mapping)")
			return nil
		}
		ad.folder = f
		if !filepath.IsAbs(f) {
			ad.folder = filepath.Join(l.m.dir, f)
		}
	case "base64":
		if _, ok := a["folder"]; ok {
			l.errorf(line, "folder=\"…\" applies to attachment=\"file\"")
			return nil
		}
	case "":
		l.errorf(line, "BT-125 (attached document) needs attachment=\"file\" (the column names a file of folder=\"…\") or attachment=\"base64\" (the column holds the document)")
		return nil
	default:
		l.errorf(line, "attachment=%q must be \"file\" or \"base64\"", ad.mode)
		return nil
	}
	return ad
}

// read turns the term's value (a file name, or base64) into the attached document; it
// returns an English and a French reason when it cannot.
func (ad *attachDef) read(raw string) (*invoice.Attachment, string, string) {
	att := &invoice.Attachment{MIMEType: ad.mime, Filename: ad.filename}
	switch ad.mode {
	case "file":
		if !filepath.IsLocal(filepath.FromSlash(raw)) {
			return nil, fmt.Sprintf("%q is not a file name inside the attachments folder", raw), fmt.Sprintf("« %s » n'est pas un nom de fichier du dossier des pièces jointes", raw)
		}
		root, err := os.OpenRoot(ad.folder)
		if err != nil {
			return nil, fmt.Sprintf("the attachments folder cannot be opened: %v", err), fmt.Sprintf("le dossier des pièces jointes ne peut pas être ouvert : %v", err)
		}
		defer root.Close()
		f, err := root.Open(filepath.FromSlash(raw))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Sprintf("the file %q is not in the attachments folder %s", raw, ad.folder), fmt.Sprintf("le fichier « %s » n'est pas dans le dossier des pièces jointes %s", raw, ad.folder)
			}
			return nil, fmt.Sprintf("the file %q cannot be read: %v", raw, err), fmt.Sprintf("le fichier « %s » ne peut pas être lu : %v", raw, err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxAttachment+1))
		if err != nil {
			return nil, fmt.Sprintf("the file %q cannot be read: %v", raw, err), fmt.Sprintf("le fichier « %s » ne peut pas être lu : %v", raw, err)
		}
		att.Content = data
		if att.Filename == "" {
			att.Filename = filepath.Base(filepath.FromSlash(raw))
		}
	default:
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(raw), ""))
		if err != nil {
			return nil, fmt.Sprintf("the value is not base64: %v", err), fmt.Sprintf("la valeur n'est pas en base64 : %v", err)
		}
		att.Content = data
	}
	if len(att.Content) > maxAttachment {
		return nil, fmt.Sprintf("the document is larger than %d MB", maxAttachment>>20), fmt.Sprintf("le document dépasse %d Mo", maxAttachment>>20)
	}
	if att.MIMEType == "" {
		att.MIMEType = mimeByExt[strings.ToLower(filepath.Ext(att.Filename))]
	}
	if att.MIMEType == "" {
		// The content tells PDF, PNG and JPEG apart; BR-CL-24 judges anything else.
		att.MIMEType, _, _ = strings.Cut(http.DetectContentType(att.Content), ";")
	}
	if att.Filename == "" {
		att.Filename = "document"
		for ext, m := range map[string]string{".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".csv": "text/csv"} {
			if m == att.MIMEType {
				att.Filename += ext
			}
		}
	}
	return att, "", ""
}
