package gateway

import (
	"bytes"
	"strings"
	"testing"
)

// An invoice accepted before and dropped again: with the same content it is a plain
// duplicate (a warning, not deposited again); with another amount it is a distinct fatal
// finding, FG-DUPLICATE-CHANGED, that says to issue a credit note or a new number.
func TestInvoiceDroppedAgainWithOtherAmounts(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t)
			e.lang = lang
			data := sampleBytes(t, "ventes-2026-11.csv")
			e.write(t, "v1.csv", data)
			g := e.open(t)
			if s := runOnce(t, g); s.Accepted != 1 {
				t.Fatalf("first file: %+v", s)
			}

			// The same invoice FA2026-1101 alone, same content (other bytes: other file).
			lines := bytes.SplitAfter(data, []byte("\n"))
			same := append(append([]byte{}, lines[0]...), bytes.Join(lines[1:4], nil)...)
			e.write(t, "same.csv", same)
			// And with another unit price on its first line.
			changed := bytes.Replace(same, []byte(";24,5;KG;21,80;"), []byte(";24,5;KG;22,80;"), 1)
			if bytes.Equal(changed, same) {
				t.Fatal("the sample changed: no price to alter")
			}
			e.write(t, "changed.csv", changed)
			runOnce(t, g)

			doc := e.ack(t, "same.csv")
			if doc.File.Status != "DUPLICATE" || len(doc.Invoices) != 1 || doc.Invoices[0].Status != "DUPLICATE" ||
				doc.Invoices[0].Problems[0].Rule != "FG-DUPLICATE-INVOICE" || doc.Invoices[0].Problems[0].Severity != "warning" {
				t.Fatalf("same content: %+v", doc)
			}
			doc = e.ack(t, "changed.csv")
			if doc.File.Status != "REJECTED" || len(doc.Invoices) != 1 || doc.Invoices[0].Status != "REJECTED" || len(doc.Invoices[0].Fluxes) != 0 {
				t.Fatalf("changed content: %+v", doc)
			}
			p := doc.Invoices[0].Problems[0]
			want := map[string][]string{
				"fr": {"FA2026-1101", "déjà été déposée avec d'autres montants", "v1.csv", "émettez un avoir ou une facture sous un nouveau numéro"},
				"en": {"FA2026-1101", "already deposited with other amounts", "v1.csv", "issue a credit note or a new number"},
			}[lang]
			if p.Rule != "FG-DUPLICATE-CHANGED" || p.Severity != "fatal" || p.Line != 2 {
				t.Fatalf("problem = %+v", p)
			}
			for _, w := range want {
				if !strings.Contains(p.Message, w) {
					t.Errorf("message lacks %q: %s", w, p.Message)
				}
			}
			if got := list(t, e.outbox); len(got) != 2*len(sampleInvoices) {
				t.Fatalf("outbox holds %d fluxes, want %d (nothing deposited twice)", len(got), 2*len(sampleInvoices))
			}
		})
	}
}
