package config

import (
	"testing"
	"time"
)

func TestFilenameTemplate(t *testing.T) {
	at := time.Date(2026, 11, 26, 21, 40, 0, 0, time.UTC)
	v := FilenameVars{Invoice: "FA2026-0107", Syntax: "cii", Seq: 3, FileID: 12, Source: "ventes", Input: "export nov.csv", Date: at}
	for tmpl, want := range map[string]string{
		"":                                    "FA2026-0107_cii.xml",
		"{invoice}_{syntax}.xml":              "FA2026-0107_cii.xml",
		"{date}_{seq}_{fileid}.xml":           "20261126_3_12.xml",
		"{source}-{input}-{date:2006-01}.xml": "ventes-export-nov-2026-11.xml",
		"{date:2006/01/02}{invoice}.xml":      "2026-11-26FA2026-0107.xml",
	} {
		if err := CheckFilenameTemplate(tmpl); err != nil {
			t.Errorf("%q: %v", tmpl, err)
		}
		if got := ExpandFilename(tmpl, v); got != want {
			t.Errorf("%q gives %q, want %q", tmpl, got, want)
		}
	}
	for _, bad := range []string{"{nope}.xml", "out/{invoice}.xml", ".{invoice}", "{invoice.xml", "{seq:3}"} {
		if CheckFilenameTemplate(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := UniqueFilename("FA_ubl.xml", 4, 2); got != "FA_ubl_4-2.xml" {
		t.Errorf("unique = %q", got)
	}
}
