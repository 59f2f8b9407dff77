package mapping

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

// FuzzMapFixedAndXML feeds the fixed-width and XML example mappings arbitrary exports: Map
// must end with invoices, problems or a FileError, never a panic or another error.
func FuzzMapFixedAndXML(f *testing.F) {
	fixed, err := Load(fixedMapping)
	if err != nil {
		f.Fatal(err)
	}
	xmlm, err := Load(xmlMapping)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{fixedExport, xmlExport} {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range []*Mapping{fixed, xmlm} {
			err := m.Map(context.Background(), bytes.NewReader(data), "fuzz", func(r *Result) error { return nil })
			var fe *FileError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("%s: %v", m.Name, err)
			}
		}
	})
}
