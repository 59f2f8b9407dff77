package gateway

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/config"
)

// TestCSVAckBesideXML: a source with `ack.format: [xml, csv]` gets both acks, the CSV in
// Windows-1252 (the default), and both are rewritten as the file's story moves on: QUEUED
// while the nightly schedule waits, DEPOSITED after the deposit.
func TestCSVAckBesideXML(t *testing.T) {
	e := newEnv(t)
	e.schedule = "0 2 * * *" // nightly: it will not fire during the test
	cfg := e.config(t)
	cfg.Sources[0].Ack.Format = config.AckFormats{ack.FormatXML, ack.FormatCSV}
	if cfg.Sources[0].Ack.Encoding != "windows-1252" {
		t.Fatalf("default CSV ack encoding = %q", cfg.Sources[0].Ack.Encoding)
	}
	g, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	readCSV := func() string {
		data, err := os.ReadFile(filepath.Join(e.acks, "v.csv.ack.csv"))
		if err != nil {
			return ""
		}
		text, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			t.Fatal(err)
		}
		return string(text)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	waitFor(t, func() bool { return strings.Contains(readCSV(), ";QUEUED;") })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	csvText := readCSV()
	if lines := strings.Split(strings.TrimSuffix(csvText, "\r\n"), "\r\n"); len(lines) != 1+len(sampleInvoices) || lines[0] != strings.Join(ack.CSVHeader, ";") {
		t.Fatalf("CSV ack: want a header and %d lines, got\n%s", len(sampleInvoices), csvText)
	}
	if !strings.Contains(csvText, "en attente du prochain dépôt planifié vers outbox") {
		t.Fatalf("a queued invoice must say why it waits, in French:\n%s", csvText)
	}
	if doc := e.ack(t, "v.csv"); doc.Summary.Queued != len(sampleInvoices) {
		t.Fatalf("the XML ack is still written beside the CSV: %+v", doc.Summary)
	}

	runOnce(t, g) // deposits whatever the schedule says
	csvText = readCSV()
	if n := strings.Count(csvText, ";DEPOSITED;"); n != len(sampleInvoices) {
		t.Fatalf("after the deposit the CSV ack says DEPOSITED %d times, want %d:\n%s", n, len(sampleInvoices), csvText)
	}
	for _, inv := range sampleInvoices {
		if !strings.Contains(csvText, ";"+inv+";DEPOSITED;"+inv+"_ubl.xml "+inv+"_cii.xml;") {
			t.Errorf("no DEPOSITED line naming both fluxes of %s:\n%s", inv, csvText)
		}
	}
	// Nothing half-written is left beside them.
	for _, n := range list(t, e.acks) {
		if n != "v.csv.ack.xml" && n != "v.csv.ack.csv" {
			t.Errorf("unexpected file in the ack folder: %s", n)
		}
	}
}

// TestCSVAckOnly: `ack.format: csv` writes the CSV ack and no XML one; the configuration
// key takes a single format as before, or a list.
func TestCSVAckOnly(t *testing.T) {
	e := newEnv(t)
	e.lang = "en, format: csv, encoding: utf-8"
	e.drop(t, "ventes-erreurs.csv", "err.csv")
	runOnce(t, e.open(t))
	if got := list(t, e.acks); len(got) != 1 || got[0] != "err.csv.ack.csv" {
		t.Fatalf("ack folder = %v, want only err.csv.ack.csv", got)
	}
	data, err := os.ReadFile(filepath.Join(e.acks, "err.csv.ack.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "err.csv;REJECTED;FE2026-2001;REJECTED;;;BR-") {
		t.Fatalf("a rejected invoice's line names its rule:\n%s", data)
	}
}
