package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/sshdtest"
)

// TestChorusEDIEndToEnd deposits the sample through a Chorus Pro EDI destination on local
// folders, then brings a hand-written integration report and lifecycle file back into the
// ack. The report layout is the one ParseChorusEDIReport accepts (inferred, spec §8).
func TestChorusEDIEndToEnd(t *testing.T) {
	e, g := platformGateway(t, `    folder: {path: outbox}
    chorus_edi: {partner: ABC123, returns: {path: returns}}`)
	ctx := context.Background()
	runOnce(t, g)

	names := list(t, e.outbox)
	ediName := regexp.MustCompile(`^FSO1100A_ABC123_ABC123[0-9]{20}\.xml$`)
	if len(names) != len(sampleInvoices) {
		t.Fatalf("outbox holds %v", names)
	}
	for _, n := range names {
		if !ediName.MatchString(n) {
			t.Errorf("%s is not an EDI name", n)
		}
	}
	doc := e.ack(t, "v.csv")
	rejected := invoiceByNumber(t, doc, "FA2026-1102").Fluxes[0]
	if !slices.Contains(names, rejected.Name) || rejected.Receipt != rejected.Name || rejected.Status != "DEPOSITED" {
		t.Fatalf("FA2026-1102's flux %+v is not the deposited file", rejected)
	}

	returns := filepath.Join(e.dir, "returns")
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(returns, name), []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	write("CSO0001A_ABC123_000001.xml", `<?xml version="1.0" encoding="ISO-8859-1"?>
<CR>
  <NumeroFluxDepot>CPP000000001001</NumeroFluxDepot>
  <NomFichier>`+rejected.Name+`</NomFichier>
  <EtatCourantDepotFlux>IN_INTEGRE_PARTIEL</EtatCourantDepotFlux>
  <ListeErreurDP>
    <ErreurDP><NumeroDP>FA2026-1102</NumeroDP><LibelleErreurDP>Le SIRET du destinataire est inconnu de Chorus Pro</LibelleErreurDP></ErreurDP>
  </ListeErreurDP>
</CR>`)
	// A lifecycle file names the invoice only: it is matched by number.
	write("FEN1200A_ABC123_000001.xml", `<CPPFactureStatuts><CPPFactureStatut><NumeroFacture>FA2026-1101</NumeroFacture>
  <Statut>MISE_A_DISPOSITION</Statut></CPPFactureStatut></CPPFactureStatuts>`)

	d := g.dests["platform"]
	if err := g.deliver.Track(ctx, d); err != nil {
		t.Fatal(err)
	}
	doc = e.ack(t, "v.csv")
	inv := invoiceByNumber(t, doc, "FA2026-1102")
	if inv.Status != "REJECTED" || len(inv.Problems) == 0 || !strings.Contains(inv.Problems[len(inv.Problems)-1].Message, "SIRET du destinataire est inconnu") {
		t.Fatalf("FA2026-1102 must be rejected with the report's words: %+v", inv)
	}
	if fx := invoiceByNumber(t, doc, "FA2026-1101").Fluxes[0]; fx.PlatformStatus != "MISE_A_DISPOSITION" || fx.PlatformFinal {
		t.Errorf("FA2026-1101: %+v", fx)
	}
	if other := invoiceByNumber(t, doc, "FA2026-1103"); other.Status != "DEPOSITED" || other.Fluxes[0].PlatformStatus != "" {
		t.Errorf("FA2026-1103 was not in any report: %+v", other)
	}

	// The next round files the reports it read into done/.
	if err := g.deliver.Track(ctx, d); err != nil {
		t.Fatal(err)
	}
	if got := list(t, filepath.Join(returns, "done")); !slices.Equal(got, []string{"CSO0001A_ABC123_000001.xml", "FEN1200A_ABC123_000001.xml"}) {
		t.Errorf("done/ = %v", got)
	}
	if got := list(t, returns); !slices.Equal(got, []string{"done"}) {
		t.Errorf("returns = %v", got)
	}
	if again := invoiceByNumber(t, e.ack(t, "v.csv"), "FA2026-1102"); again.Status != "REJECTED" {
		t.Errorf("FA2026-1102 after the reports were filed: %+v", again)
	}
}

// TestChorusEDIOverSFTP deposits into, and reads reports from, folders of an SFTP server
// (the in-process one), as a real EDI connection by SFTP does.
func TestChorusEDIOverSFTP(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	conn := fmt.Sprintf("host: %s, port: %d, user: %s, key_file: %s, known_hosts: %s, max_backoff: 100ms",
		srv.Host, srv.Port, srv.User, srv.UserKey.File, srv.KnownHosts)
	e, g := platformGateway(t, fmt.Sprintf(`    folder: {sftp: {%s, path: depot}}
    chorus_edi: {partner: ABC123, returns: {sftp: {%s, path: retour}}}`, conn, conn))
	ctx := context.Background()
	runOnce(t, g)
	names := list(t, filepath.Join(srv.Root, "depot"))
	if len(names) != len(sampleInvoices) || !strings.HasPrefix(names[0], "FSO1100A_ABC123_ABC123") {
		t.Fatalf("depot holds %v", names)
	}
	fx := invoiceByNumber(t, e.ack(t, "v.csv"), "FA2026-1104").Fluxes[0]
	report := `<CR><NomFichier>` + fx.Name + `</NomFichier><EtatCourantDepotFlux>IN_REJETE</EtatCourantDepotFlux><Libelle>Flux illisible</Libelle></CR>`
	if err := os.WriteFile(filepath.Join(srv.Root, "retour", "CSO0001A_ABC123_2.xml"), []byte(report), 0o640); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := g.deliver.Track(ctx, g.dests["platform"]); err != nil {
			t.Fatal(err)
		}
	}
	inv := invoiceByNumber(t, e.ack(t, "v.csv"), "FA2026-1104")
	if inv.Status != "REJECTED" || !strings.Contains(inv.Problems[len(inv.Problems)-1].Message, "Flux illisible") {
		t.Fatalf("FA2026-1104: %+v", inv)
	}
	if got := list(t, filepath.Join(srv.Root, "retour", "done")); !slices.Equal(got, []string{"CSO0001A_ABC123_2.xml"}) {
		t.Errorf("done/ = %v", got)
	}
}
