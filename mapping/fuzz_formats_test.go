package mapping

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzMapFixedAndXML feeds the fixed-width and XML example mappings arbitrary exports: Map
// must end with invoices, problems or a FileError, never a panic or another error; the XML
// mapping's paths walked on the records find what etree finds.
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
	paths := append(mappingPaths(xmlm), shapePaths(f, xmlm.src.steps)...)
	f.Fuzz(func(t *testing.T, data []byte) {
		pathsAgreeWithEtree(t, xmlm, &xmlm.src, data, paths) // the walk finds what etree finds
		for _, m := range []*Mapping{fixed, xmlm} {
			err := m.Map(context.Background(), bytes.NewReader(data), "fuzz", func(r *Result) error { return nil })
			var fe *FileError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("%s: %v", m.Name, err)
			}
		}
	})
}

// failingReader returns data, then a read error (a dropped network share).
type failingReader struct{ data []byte }

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errors.New("connection reset")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// A failure to read an XML export is not its content's fault: it must not reject the file.
func TestXMLReadErrorIsNotAFileError(t *testing.T) {
	m, err := Load(xmlMapping)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(xmlExport)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Map(context.Background(), &failingReader{data[:len(data)/2]}, "x.xml", func(*Result) error { return nil })
	var fe *FileError
	if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the read error, not a FileError", err)
	}
	// While a version the decoder refuses is the content's fault.
	err = m.Map(context.Background(), strings.NewReader(`<?xml version="0"?><a/>`), "x.xml", func(*Result) error { return nil })
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FileError", err)
	}
}
