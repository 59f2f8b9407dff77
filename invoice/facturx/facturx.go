// Package facturx writes and reads Factur-X invoices: a PDF/A-3 (level B) whose page is a
// readable rendering of the invoice, in French, and which carries the CII D16B invoice as
// the attached file factur-x.xml (the legal invoice), following Factur-X 1.0.7+ (the
// version whose schematrons the French CTC artefacts v1.4.0 carry, 1.09).
//
// The PDF is written here, object by object (no PDF library does PDF/A-3 in pure Go): two
// embedded TrueType fonts (the Go fonts, subset to the glyphs used), an sRGB output intent,
// XMP metadata with the PDF/A identification and the Factur-X extension schema, and the XML
// as an embedded file listed in the catalogue's /AF. The output depends only on the invoice:
// writing it twice gives the same bytes (a deposit is recognised by its content).
package facturx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/cii"
)

// AttachmentName is the name of the attached XML, as Factur-X requires.
const AttachmentName = "factur-x.xml"

// Producer names the software in the PDF's metadata.
const Producer = "Fluxgate"

// Write renders inv as a Factur-X PDF/A-3 with its CII attached. It fails when the invoice
// cannot be written as CII.
func Write(inv *invoice.Invoice) ([]byte, error) {
	if inv == nil {
		return nil, fmt.Errorf("facturx: nil invoice")
	}
	data, err := cii.Write(inv)
	if err != nil {
		return nil, fmt.Errorf("facturx: %w", err)
	}
	return WithXML(inv, data)
}

// Conformance is the Factur-X conformance level an invoice declares by its specification
// identifier (BT-24): "EXTENDED" for an extended profile, "EN 16931" otherwise.
func Conformance(inv *invoice.Invoice) string {
	if strings.Contains(strings.ToLower(inv.Specification), "extended") {
		return "EXTENDED"
	}
	return "EN 16931"
}

// WithXML renders inv and attaches xmlData, its CII, as factur-x.xml.
func WithXML(inv *invoice.Invoice, xmlData []byte) ([]byte, error) {
	reg, bold, err := fonts()
	if err != nil {
		return nil, err
	}
	cur := inv.Currency
	if cur == "EUR" {
		cur = "€"
	}
	r := &renderer{inv: inv, reg: reg, bold: bold, currency: cur, conformity: Conformance(inv)}
	r.render()
	r.footers()

	when := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := inv.IssueDate; !d.IsZero() {
		when = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	}
	title := strings.ToUpper(Title(inv)[:1]) + strings.ToLower(Title(inv)[1:]) + " " + inv.Number
	info := docInfo{title: title, author: inv.Seller.Name, subject: "Factur-X " + Conformance(inv),
		creator: Producer, producer: Producer, date: when, conformance: Conformance(inv)}

	p := &pdf{}
	catalog, pages := p.reserve(), p.reserve()
	metadata := p.add(string(stream("/Type /Metadata /Subtype /XML", xmp(info), false)))
	icc := p.add(string(stream("/N 3", srgbProfile(), true)))
	intent := p.add(fmt.Sprintf("<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier %s /Info %s /RegistryName (http://www.color.org) /DestOutputProfile %s >>",
		text(srgbName), text(srgbName), ref(icc)))
	fontRefs := map[string]int{}
	for _, f := range []struct {
		res  string
		font *ttFont
	}{{"F1", reg}, {"F2", bold}} {
		if fontRefs[f.res], err = p.font(f.font); err != nil {
			return nil, err
		}
	}
	pdfDate := "D:" + when.Format("20060102150405") + "+00'00'"
	ef := p.add(string(stream(fmt.Sprintf("/Type /EmbeddedFile /Subtype /text#2Fxml /Params << /Size %d /ModDate %s >>", len(xmlData), text(pdfDate)), xmlData, true)))
	spec := p.add(fmt.Sprintf("<< /Type /Filespec /F %s /UF %s /Desc %s /AFRelationship /Alternative /EF << /F %s /UF %s >> >>",
		text(AttachmentName), text(AttachmentName), text("Factur-X "+Conformance(inv)+" invoice"), ref(ef), ref(ef)))
	var kids []string
	for _, c := range r.pages {
		contents := p.add(string(stream("", c.b.Bytes(), true)))
		page := p.add(fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 %s %s] /Resources << /Font << /F1 %s /F2 %s >> >> /Contents %s >>",
			ref(pages), num(pageW), num(pageH), ref(fontRefs["F1"]), ref(fontRefs["F2"]), ref(contents)))
		kids = append(kids, ref(page))
	}
	p.set(pages, []byte(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))))
	p.set(catalog, []byte(fmt.Sprintf("<< /Type /Catalog /Pages %s /Metadata %s /OutputIntents [%s] /AF [%s] /Names << /EmbeddedFiles << /Names [%s %s] >> >> /Lang (fr-FR) /ViewerPreferences << /DisplayDocTitle true >> >>",
		ref(pages), ref(metadata), ref(intent), ref(spec), text(AttachmentName), ref(spec))))
	infoObj := p.add(fmt.Sprintf("<< /Title %s /Author %s /Subject %s /Creator %s /Producer %s /CreationDate %s /ModDate %s >>",
		text(info.title), text(info.author), text(info.subject), text(info.creator), text(info.producer), text(pdfDate), text(pdfDate)))

	sum := sha256.New()
	for _, o := range p.objs {
		sum.Write(o)
	}
	return p.bytes(catalog, infoObj, strings.ToUpper(hex.EncodeToString(sum.Sum(nil)[:16]))), nil
}

// font adds a font, its descriptor and its program (subset) and returns the font's object.
func (p *pdf) font(f *ttFont) (int, error) {
	prog, err := f.subset()
	if err != nil {
		return 0, err
	}
	// The subset tag: six capital letters that depend on the glyphs kept.
	var glyphs []int
	for g := range f.used {
		glyphs = append(glyphs, int(g))
	}
	sort.Ints(glyphs)
	h := sha256.Sum256([]byte(fmt.Sprint(f.fontName, glyphs)))
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + h[i]%26
	}
	name := string(tag) + "+" + f.fontName
	file := p.add(string(stream(fmt.Sprintf("/Length1 %d", len(prog)), prog, true)))
	stemV := 80
	if f.bold {
		stemV = 140
	}
	desc := p.add(fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV %d /FontFile2 %s >>",
		name, f.bbox[0], f.bbox[1], f.bbox[2], f.bbox[3], f.ascent, f.descent, f.capH, stemV, ref(file)))
	widths := make([]string, 0, 224)
	for c := 32; c < 256; c++ {
		widths = append(widths, fmt.Sprint(f.widths[c]))
	}
	return p.add(fmt.Sprintf("<< /Type /Font /Subtype /TrueType /BaseFont /%s /FirstChar 32 /LastChar 255 /Widths [%s] /Encoding /WinAnsiEncoding /FontDescriptor %s >>",
		name, strings.Join(widths, " "), ref(desc))), nil
}
