package schematron

import (
	"os"
	"testing"
)

// BenchmarkRunUBLSyntax evaluates the official UBL syntax rules (756 asserts) on the first
// official UBL example.
func BenchmarkRunUBLSyntax(b *testing.B) {
	benchRun(b, "../../invoice/ubl/en16931-syntax.sch", "../../../shared/examples/invoices/ubl/ubl-tc434-example1.xml")
}

// BenchmarkRunCIISyntax evaluates the official CII syntax rules (583 asserts) on the first
// official CII example.
func BenchmarkRunCIISyntax(b *testing.B) {
	benchRun(b, "../../invoice/cii/en16931-syntax.sch", "../../../shared/examples/invoices/cii/CII_example1.xml")
}

func benchRun(b *testing.B, schema, document string) {
	rules, err := os.ReadFile(schema)
	if err != nil {
		b.Skip(err)
	}
	s, err := Load(rules)
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(document)
	if err != nil {
		b.Skip(err)
	}
	doc, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Run(doc)
	}
}

// BenchmarkReadUBL parses the first official UBL example into a Document (the scanner),
// releasing each document as the readers do.
func BenchmarkReadUBL(b *testing.B) {
	data, err := os.ReadFile("../../../shared/examples/invoices/ubl/ubl-tc434-example1.xml")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := Read(data)
		if err != nil {
			b.Fatal(err)
		}
		doc.Release()
	}
}
