package cii

import (
	"encoding/base64"
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// Attachments: additional supporting documents (BG-24) in the header trade agreement as
// ram:AdditionalReferencedDocument with TypeCode 916, the embedded file (BT-125) in base64.

func (w *writer) documents(ag *xmlw.Element) {
	for _, d := range w.inv.Documents {
		e := ag.CreateElement("ram:AdditionalReferencedDocument")
		text(e, "ram:IssuerAssignedID", d.ID)
		text(e, "ram:URIID", d.URI)
		text(e, "ram:TypeCode", docTypeSupporting)
		text(e, "ram:Name", d.Description)
		if a := d.Attachment; a != nil {
			b := e.CreateElement("ram:AttachmentBinaryObject")
			if a.MIMEType != "" {
				b.CreateAttr("mimeCode", a.MIMEType)
			}
			if a.Filename != "" {
				b.CreateAttr("filename", a.Filename)
			}
			b.SetText(base64.StdEncoding.EncodeToString(a.Content))
		}
	}
}

// document916 reads a header ram:AdditionalReferencedDocument that is neither a tender
// (50) nor an invoiced object (130) reference.
func (r *reader) document916(e *schematron.Node) invoice.Document {
	if tc := textOf(e, "TypeCode"); tc != docTypeSupporting {
		r.finding(e, invoice.Warning, "", []string{"BG-24"},
			fmt.Sprintf("document référencé de TypeCode %q lu comme justificatif (916)", tc),
			fmt.Sprintf("referenced document with TypeCode %q read as a supporting document (916)", tc))
	}
	d := invoice.Document{ID: textOf(e, "IssuerAssignedID"), URI: textOf(e, "URIID")}
	name := r.firstOf(e, "Name", invoice.Warning, "CII-SR-475", []string{"BT-123"},
		"une seule description (Name) est admise ; les suivantes sont ignorées",
		"only one AdditionalReferencedDocument Name (BT-123) is allowed; the others are ignored")
	if name != nil {
		d.Description = value(name)
	}
	bins := children(e, "AttachmentBinaryObject")
	if len(bins) > 0 {
		d.Attachment = r.attachment(bins[0])
	}
	if len(bins) > 1 {
		r.finding(bins[1], invoice.Warning, "CII-SR-476", []string{"BT-125"},
			"un seul fichier joint est admis par document ; les suivants sont ignorés",
			"only one AttachmentBinaryObject (BT-125) is allowed; the others are ignored")
	}
	return d
}

func (r *reader) attachment(b *schematron.Node) *invoice.Attachment {
	a := &invoice.Attachment{MIMEType: attr(b, "mimeCode"), Filename: attr(b, "filename")}
	raw := strings.Map(func(c rune) rune {
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			return -1
		}
		return c
	}, b.Text())
	content, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		r.finding(b, invoice.Fatal, "", []string{"BT-125"},
			"le fichier joint (BT-125) n'est pas du base64 valide : "+err.Error(),
			"the attached file (BT-125) is not valid base64: "+err.Error())
		return a
	}
	a.Content = content
	return a
}
