package facturx

import (
	"math/rand"
	"testing"
)

// FuzzExtract feeds Extract damaged and random PDFs: it must return an error, never panic.
func FuzzExtract(f *testing.F) {
	pdf, err := Write(french(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pdf)
	f.Add(pdf[:len(pdf)/2])
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Type /Catalog /Names 2 0 R >> endobj\nstartxref\n9\n%%EOF"))
	f.Add([]byte("%PDF-1.5\n1 0 obj <</Type/XRef/W[1 2 1]/Size 3/Length 4>>stream\n\x01\x00\x00\x00endstream\nstartxref\n9\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Extract(data)
	})
}

// TestExtractDamaged runs Extract on damaged copies of a Factur-X (bytes changed, cut,
// removed; a fixed seed, so the test is repeatable): it returns, with the attachment or an
// error, and never panics.
func TestExtractDamaged(t *testing.T) {
	pdf, err := Write(french(1))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for range 1500 {
		d := append([]byte(nil), pdf...)
		for k := 0; k < 1+rng.Intn(4) && len(d) > 2; k++ {
			switch rng.Intn(3) {
			case 0:
				d[rng.Intn(len(d))] = byte(rng.Intn(256))
			case 1:
				d = d[:rng.Intn(len(d))]
			case 2:
				a, b := rng.Intn(len(d)), rng.Intn(len(d))
				if a > b {
					a, b = b, a
				}
				d = append(d[:a:a], d[b:]...)
			}
		}
		if _, _, err := Extract(d); err != nil && !errorsIs(err, ErrBrokenPDF) && !errorsIs(err, ErrNoAttachment) &&
			!errorsIs(err, ErrBadAttachment) && !errorsIs(err, ErrNotPDF) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	}
}
