package mapping

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

// FuzzMapCSV feeds the shipped CSV mapping arbitrary exports, seeded with the samples: Map
// must end with invoices, problems or a FileError, never a panic or another error.
func FuzzMapCSV(f *testing.F) {
	m, err := Load("../examples/mappings/ventes-csv.xml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"../examples/exports/ventes-2026-11.csv", "../examples/exports/ventes-erreurs.csv"} {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("NumFacture;TypePiece\r\n\"unclosed;F\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := m.Map(context.Background(), bytes.NewReader(data), "fuzz.csv", func(r *Result) error {
			if r.Invoice == nil && len(r.Problems) == 0 {
				t.Fatal("an invoice with neither a model nor a problem")
			}
			return nil
		})
		var fe *FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("Map failed with %T %v, want a FileError", err, err)
		}
	})
}
