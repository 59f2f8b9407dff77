package exportgen

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/mapping"
)

// TestExportsAreValid maps generated exports of each layout with the shipped example
// mappings: every invoice is found, numbered as Number says, with the lines asked for, and
// without a fatal EN 16931 violation (the fixed-width export's own VAT and total records
// agree with its lines whatever their number). A bench on invalid exports would measure
// rejections, not deposits.
func TestExportsAreValid(t *testing.T) {
	root := testutil.RepoRoot(t)
	profile, err := invoice.ProfileByName("en16931")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		for _, lines := range []int{1, 3, 7} {
			m, err := mapping.Load(filepath.Join(root, "examples", "mappings", Mapping(format)))
			if err != nil {
				t.Fatal(err)
			}
			const first, n = 41, 25
			r, err := NewReader(Spec{Format: format, First: first, Invoices: n, Lines: lines})
			if err != nil {
				t.Fatal(err)
			}
			i := first
			err = m.Map(context.Background(), r, "export"+Ext(format), func(res *mapping.Result) error {
				inv := res.Invoice
				switch {
				case len(res.Problems) > 0:
					t.Errorf("%s: invoice %d: %+v", format, i, res.Problems)
				case inv.Number != Number(format, i):
					t.Errorf("%s: invoice %d numbered %s, want %s", format, i, inv.Number, Number(format, i))
				case len(inv.Lines) != lines:
					t.Errorf("%s: invoice %s has %d lines, want %d", format, inv.Number, len(inv.Lines), lines)
				}
				for _, v := range invoice.Check(inv, profile) {
					if v.Severity == invoice.Fatal {
						t.Errorf("%s, %d lines: invoice %s: %s %s", format, lines, inv.Number, v.Rule, v.EN)
					}
				}
				i++
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if i != first+n {
				t.Errorf("%s: %d invoices mapped, want %d", format, i-first, n)
			}
		}
	}
}

// TestReaderIsStreamed reads a large export in small reads: it is produced as it is read,
// byte for byte the same as one read in one go.
func TestReaderIsStreamed(t *testing.T) {
	spec := Spec{Format: "xml", First: 1, Invoices: 500, Lines: 4}
	r1, _ := NewReader(spec)
	whole, err := io.ReadAll(r1)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := NewReader(spec)
	var got []byte
	buf := make([]byte, 7)
	for {
		n, err := r2.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != string(whole) {
		t.Fatalf("%d bytes in small reads, %d in one", len(got), len(whole))
	}
	if _, err := NewReader(Spec{Format: "json", First: 1, Lines: 1}); err == nil {
		t.Error("an unknown format is accepted")
	}
	if _, err := NewReader(Spec{Format: "fixed", First: 1, Lines: MaxLines + 1}); err == nil {
		t.Error("more lines than the fixed-width layout numbers are accepted")
	}
}
