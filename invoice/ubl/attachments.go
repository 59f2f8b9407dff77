package ubl

import (
	"encoding/base64"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// document writes one supporting document (BG-24) as a cac:AdditionalDocumentReference,
// with its embedded attachment in base64 (BT-125) and its external location (BT-124).
func (w *writer) document(root *xmlw.Element, d *invoice.Document) {
	e := el(root, "cac:AdditionalDocumentReference")
	text(e, "cbc:ID", d.ID)
	text(e, "cbc:DocumentDescription", d.Description)
	if d.Attachment == nil && d.URI == "" {
		return
	}
	a := el(e, "cac:Attachment")
	if att := d.Attachment; att != nil {
		b := el(a, "cbc:EmbeddedDocumentBinaryObject")
		if att.MIMEType != "" {
			b.CreateAttr("mimeCode", att.MIMEType)
		}
		if att.Filename != "" {
			b.CreateAttr("filename", att.Filename)
		}
		b.SetText(base64.StdEncoding.EncodeToString(att.Content))
	}
	if d.URI != "" {
		text(el(a, "cac:ExternalReference"), "cbc:URI", d.URI)
	}
}

// readDocument reads a supporting document; i is its 0-based index in BG-24.
func (r *reader) readDocument(e *schematron.Node, i int) invoice.Document {
	path := "BG-24[" + itoa(i+1) + "]"
	d := invoice.Document{
		ID:          textOf(child(e, "cbc:ID")),
		Description: textOf(r.one(e, "cbc:DocumentDescription", path, "BT-123")),
	}
	a := child(e, "cac:Attachment")
	d.URI = textOf(child(a, "cac:ExternalReference", "cbc:URI"))
	if b := child(a, "cbc:EmbeddedDocumentBinaryObject"); b != nil {
		att := &invoice.Attachment{
			MIMEType: attr(b, "mimeCode"),
			Filename: attr(b, "filename"),
		}
		raw := strings.Map(func(c rune) rune {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				return -1
			}
			return c
		}, b.Text())
		if raw != "" {
			content, err := base64.StdEncoding.DecodeString(raw)
			if err != nil {
				r.finding(invoice.Fatal, b, path, "the attachment is not valid base64: "+err.Error(),
					"la pièce jointe n'est pas en base64 valide : "+err.Error(), "BT-125")
			} else {
				att.Content = content
			}
		}
		d.Attachment = att
	}
	return d
}
