package facturx

import (
	"bytes"
	"encoding/xml"
	"time"
)

// The Factur-X extension schema of the XMP metadata (Factur-X 1.0.7 and later).
const (
	fxNamespace = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
	fxVersion   = "1.0"
)

// docInfo is what both the XMP metadata and the document information dictionary say, in
// agreement as PDF/A requires.
type docInfo struct {
	title, author, subject string
	creator, producer      string
	date                   time.Time
	conformance            string // fx:ConformanceLevel: "EN 16931", "EXTENDED"
}

func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// xmp writes the XMP packet: PDF/A-3B identification, Dublin Core, XMP basic and PDF
// properties, and the Factur-X extension schema with its four properties.
func xmp(d docInfo) []byte {
	date := d.date.UTC().Format("2006-01-02T15:04:05Z")
	prop := func(name, desc string) string {
		return `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>` + name + `</pdfaProperty:name>` +
			`<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>` +
			`<pdfaProperty:description>` + desc + `</pdfaProperty:description></rdf:li>` + "\n"
	}
	var b bytes.Buffer
	b.WriteString("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + esc(d.title) + `</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>` + esc(d.author) + `</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">` + esc(d.subject) + `</rdf:li></rdf:Alt></dc:description>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdf:Producer>` + esc(d.producer) + `</pdf:Producer>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreatorTool>` + esc(d.creator) + `</xmp:CreatorTool>
<xmp:CreateDate>` + date + `</xmp:CreateDate>
<xmp:ModifyDate>` + date + `</xmp:ModifyDate>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>` + fxNamespace + `</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>fx</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq>
`)
	b.WriteString(prop("DocumentFileName", "The name of the embedded XML document"))
	b.WriteString(prop("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"))
	b.WriteString(prop("Version", "The actual version of the standard applying to the embedded XML document"))
	b.WriteString(prop("ConformanceLevel", "The conformance level of the embedded XML document"))
	b.WriteString(`</rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:fx="` + fxNamespace + `">
<fx:DocumentType>INVOICE</fx:DocumentType>
<fx:DocumentFileName>` + AttachmentName + `</fx:DocumentFileName>
<fx:Version>` + fxVersion + `</fx:Version>
<fx:ConformanceLevel>` + esc(d.conformance) + `</fx:ConformanceLevel>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
`)
	// Padding lets a later editor update the packet in place, as XMP writers do.
	b.WriteString(string(bytes.Repeat([]byte(" "), 512)))
	b.WriteString("\n<?xpacket end=\"w\"?>")
	return b.Bytes()
}
