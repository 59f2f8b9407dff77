package syntax

import (
	"os"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/invoice"
)

// The typical invoice of the benchmarks: the official example 1 of each syntax (a few
// lines, allowances and charges, two VAT rates, payment instructions).
var benchFiles = map[Syntax]string{
	UBLInvoice: "ubl/ubl-tc434-example1.xml",
	CII:        "cii/CII_example1.xml",
}

func benchDoc(b *testing.B, s Syntax) []byte {
	b.Helper()
	data, err := os.ReadFile(testutil.Shared(b, "examples", "invoices", benchFiles[s]))
	if err != nil {
		testutil.Missing(b, "%v", err)
	}
	return data
}

func benchInvoice(b *testing.B, s Syntax) *invoice.Invoice {
	b.Helper()
	_, inv, _, err := Read(benchDoc(b, s))
	if err != nil {
		b.Fatal(err)
	}
	return inv
}

func benchRead(b *testing.B, s Syntax) {
	data := benchDoc(b, s)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Read(data); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCheck(b *testing.B, s Syntax) {
	inv := benchInvoice(b, s)
	p := invoice.EN16931()
	b.ReportAllocs()
	for b.Loop() {
		if vs := Check(s, inv, p); invoice.HasFatal(vs) {
			b.Fatal(vs)
		}
	}
}

func benchWrite(b *testing.B, s Syntax) {
	inv := benchInvoice(b, s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(s.Output(), inv); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCheckAndWrite is what the gateway does with each mapped invoice: check, then write.
func benchCheckAndWrite(b *testing.B, s Syntax) {
	inv := benchInvoice(b, s)
	p := invoice.EN16931()
	b.ReportAllocs()
	for b.Loop() {
		if vs := Check(s, inv, p); invoice.HasFatal(vs) {
			b.Fatal(vs)
		}
		if _, err := Write(s.Output(), inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadUBL(b *testing.B)          { benchRead(b, UBLInvoice) }
func BenchmarkReadCII(b *testing.B)          { benchRead(b, CII) }
func BenchmarkCheckUBL(b *testing.B)         { benchCheck(b, UBLInvoice) }
func BenchmarkCheckCII(b *testing.B)         { benchCheck(b, CII) }
func BenchmarkWriteUBL(b *testing.B)         { benchWrite(b, UBLInvoice) }
func BenchmarkWriteCII(b *testing.B)         { benchWrite(b, CII) }
func BenchmarkCheckAndWriteUBL(b *testing.B) { benchCheckAndWrite(b, UBLInvoice) }
func BenchmarkCheckAndWriteCII(b *testing.B) { benchCheckAndWrite(b, CII) }
