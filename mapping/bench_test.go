package mapping

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

const genHeader = "NumFacture;TypePiece;DateFacture;DateEcheance;CodeClient;RaisonSociale;Adresse;CodePostal;Ville;Pays;TVAIntra;SIRET;NumLigne;CodeArticle;Designation;Quantite;Unite;PrixUnitaireHT;Remise;TauxTVA;FactureOrigine;ModeReglement\r\n"

// genExport writes invoice i (three lines) of a synthetic export in the example's layout,
// in Windows-1252.
func genInvoice(w *bytes.Buffer, i int) {
	lines := [3]string{
		"1;COM18;Comté AOP 18 mois;24,5;KG;21,80;;5,5",
		"2;COF4;\"Coffret « Noël » ; 4 fromages\";30;U;42,00;10;5,5",
		"3;CAVE120;Cave à fromages réfrigérée;1;U;1 290,00;;20",
	}
	for _, l := range lines {
		s := fmt.Sprintf("FA%08d;F;03/11/2026;03/12/2026;CL%04d;Société Générale des Eaux n°%d;52 rue d'Anjou;75008;Paris;FRANCE;FR32552014623;55201462300052;%s;;VIR\r\n", i, i%10000, i, l)
		b, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		w.Write(b)
	}
}

// genReader produces a synthetic export of n invoices on the fly, without holding it.
type genReader struct {
	n, i int
	buf  bytes.Buffer
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i < g.n {
		if g.i == 0 && g.buf.Len() == 0 {
			g.buf.WriteString(genHeader)
		}
		genInvoice(&g.buf, g.i)
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

func BenchmarkMapCSV(b *testing.B) {
	m, err := Load(exampleMapping)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	data, _ := io.ReadAll(&genReader{n: n})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		count := 0
		if err := m.Map(context.Background(), bytes.NewReader(data), "bench.csv", func(r *Result) error {
			if len(r.Problems) > 0 {
				return fmt.Errorf("%v", r.Problems)
			}
			count++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("%d invoices", count)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "invoices/s")
}

// TestMemoryStaysFlat maps a long export produced on the fly and checks that the heap does
// not grow with it: Map holds one invoice at a time (plus the keys already seen).
func TestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	m, err := Load(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000 // about 13 MB of export
	heap := func() uint64 {
		var s runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&s)
		return s.HeapAlloc
	}
	var first, last uint64
	count := 0
	err = m.Map(context.Background(), &genReader{n: n}, "long.csv", func(r *Result) error {
		count++
		switch count {
		case 1000:
			first = heap()
		case n:
			last = heap()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("%d invoices", count)
	}
	if last > first+4<<20 {
		t.Errorf("heap grew from %d to %d bytes over %d invoices", first, last, n)
	}
}
