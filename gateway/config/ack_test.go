package config

import (
	"strings"
	"testing"
)

func ackConfig(ack string) string {
	return `
sources:
  - name: s
    folder: {path: in}
    mapping: m.xml
    destination: d
    ack: ` + ack + `
destinations:
  - name: d
    folder: {path: out}
`
}

// TestAckFormats: ack.format takes one format (as configurations written before CSV acks
// do) or a list; CSV acks default to Windows-1252; a wrong format or encoding is one clear
// error.
func TestAckFormats(t *testing.T) {
	for _, c := range []struct {
		ack, formats, encoding, err string
	}{
		{`{path: a}`, "xml", "windows-1252", ""},
		{`{format: xml}`, "xml", "windows-1252", ""},
		{`{format: csv}`, "csv", "windows-1252", ""},
		{`{format: [xml, csv], encoding: utf-8}`, "xml,csv", "utf-8", ""},
		{`{format: pdf}`, "", "", `ack.format "pdf": write xml or csv`},
		{`{format: [csv, csv]}`, "", "", "ack.format names csv twice"},
		{`{format: csv, encoding: ebcdic}`, "", "", `ack.encoding "ebcdic": write windows-1252`},
		{`{format: {a: b}}`, "", "", "ack.format: write xml, csv or [xml, csv]"},
	} {
		cfg, err := Parse("/etc/fluxgate/fluxgate.yaml", []byte(ackConfig(c.ack)))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.ack, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.ack, err)
			continue
		}
		a := cfg.Sources[0].Ack
		if got := strings.Join(a.Format, ","); got != c.formats || a.Encoding != c.encoding {
			t.Errorf("%s: formats %s, encoding %s; want %s, %s", c.ack, got, a.Encoding, c.formats, c.encoding)
		}
	}
}
