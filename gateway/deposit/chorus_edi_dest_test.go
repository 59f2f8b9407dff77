package deposit

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// ediDest is a Chorus Pro EDI destination over two temporary local folders.
type ediDest struct {
	*ChorusEDI
	out, returns string
}

func newEDIDest(t *testing.T, lifecycle bool) ediDest {
	t.Helper()
	e := ediDest{out: t.TempDir(), returns: t.TempDir()}
	e.ChorusEDI = e.reopen(t, lifecycle)
	return e
}

// reopen opens another destination on the same folders, as a restarted gateway does.
func (e ediDest) reopen(t *testing.T, lifecycle bool) *ChorusEDI {
	t.Helper()
	out, err := folder.OpenLocal(e.out)
	if err != nil {
		t.Fatal(err)
	}
	returns, err := folder.OpenLocal(e.returns)
	if err != nil {
		t.Fatal(err)
	}
	d := NewChorusEDI(ChorusEDIConfig{Name: "edi", Partner: "abc123", Lifecycle: lifecycle}, out, returns, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { d.Close() })
	return d
}

func (e ediDest) report(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.returns, name), []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
}

func (e ediDest) files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.returns, dir))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		if !en.IsDir() {
			names = append(names, en.Name())
		}
	}
	return names
}

func find(ups []StatusUpdate, receipt, invoice string) (StatusUpdate, bool) {
	for _, u := range ups {
		if u.Receipt == receipt && u.Invoice == invoice {
			return u, true
		}
	}
	return StatusUpdate{}, false
}

var ediNow = time.Date(2026, 11, 26, 21, 40, 0, 0, time.UTC)

func TestChorusEDIDepositChecksTheName(t *testing.T) {
	e := newEDIDest(t, false)
	ctx := context.Background()
	name := ChorusEDIName("FSO1100A", "ABC123", 1, ediNow)
	f := flux(name, "<Invoice/>")
	r, err := e.Deposit(ctx, f)
	if err != nil || r.ID != name || r.AlreadyThere {
		t.Fatalf("deposit: %+v, %v", r, err)
	}
	if r, err = e.Deposit(ctx, f); err != nil || !r.AlreadyThere {
		t.Fatalf("deposit again after a crash: %+v, %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(e.out, name)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Flux{flux("FA-1_ubl.xml", "x"), {Name: ChorusEDIName("FSO1100A", "ABC123", 2, ediNow), Syntax: "cii"},
		{Name: ChorusEDIName("FSO1100A", "XYZ999", 3, ediNow), Syntax: "ubl"}, {Name: "a.pdf", Syntax: "pdf"}} {
		if _, err := e.Deposit(ctx, bad); err == nil || !IsPermanent(err) {
			t.Errorf("%s (%s): %v", bad.Name, bad.Syntax, err)
		}
	}
}

// The group deposit (the gateway's path for a folder-like destination) checks the names as
// Deposit does: a badly named flux is refused and not written, the others are deposited.
func TestChorusEDIDepositGroupChecksTheName(t *testing.T) {
	e := newEDIDest(t, false)
	var _ Grouper = e.ChorusEDI
	good := ChorusEDIName("FSO1100A", "ABC123", 1, ediNow)
	fluxes := []Flux{flux("FA-1_ubl.xml", "x"), flux(good, "<Invoice/>"), flux(ChorusEDIName("FSO1100A", "XYZ999", 3, ediNow), "y")}
	receipts, errs := e.DepositGroup(context.Background(), fluxes)
	if errs[1] != nil || receipts[1].ID != good {
		t.Errorf("%s: %+v, %v", good, receipts[1], errs[1])
	}
	for _, i := range []int{0, 2} {
		if !IsPermanent(errs[i]) || receipts[i].ID != "" {
			t.Errorf("%s: %+v, %v", fluxes[i].Name, receipts[i], errs[i])
		}
		if _, err := os.Stat(filepath.Join(e.out, fluxes[i].Name)); !os.IsNotExist(err) {
			t.Errorf("%s written: %v", fluxes[i].Name, err)
		}
	}
}

func TestChorusEDITrackReadsReports(t *testing.T) {
	e := newEDIDest(t, false)
	ctx := context.Background()
	f1 := ChorusEDIName("FSO1100A", "ABC123", 1, ediNow)
	f2 := ChorusEDIName("FSO1100A", "ABC123", 2, ediNow)
	f3 := ChorusEDIName("FSO1100A", "ABC123", 3, ediNow)
	asked := []string{f1, f2, f3}

	// Nothing came back yet.
	if ups, err := e.Track(ctx, asked); err != nil || len(ups) != 0 {
		t.Fatalf("empty returns: %+v, %v", ups, err)
	}
	// An integration report naming the deposited file (without its extension), with Chorus
	// Pro's own deposit number: the file name decides.
	e.report(t, "CSO0001A_ABC123_1.xml", `<?xml version="1.0" encoding="ISO-8859-1"?>
<CR>
  <NumeroFluxDepot>CPP000000001001</NumeroFluxDepot>
  <NomFichier>`+strings.TrimSuffix(f1, ".xml")+`</NomFichier>
  <EtatCourantDepotFlux>IN_INTEGRE_PARTIEL</EtatCourantDepotFlux>
  <ListeErreurDP>
    <ErreurDP><NumeroDP>FA-1</NumeroDP><LibelleErreurDP>SIRET destinataire inconnu</LibelleErreurDP></ErreurDP>
  </ListeErreurDP>
</CR>`)
	// A report whose receipt is the deposited file name.
	e.report(t, "CSO0001A_ABC123_2.xml", `<CR><NomFichier>`+f2+`</NomFichier><EtatCourantDepotFlux>IN_INTEGRE</EtatCourantDepotFlux>
  <Factures><Facture><NumeroFacture>FA-2</NumeroFacture><Statut>DEPOSEE</Statut></Facture></Factures></CR>`)
	// A lifecycle file naming only an invoice.
	e.report(t, "FEN1200A_ABC123_1.xml", `<CPPFactureStatuts><CPPFactureStatut><NumeroFacture>FA-3</NumeroFacture>
  <Statut>MISE_A_DISPOSITION</Statut></CPPFactureStatut></CPPFactureStatuts>`)
	// A file being uploaded, a temporary file, and a half-written report.
	e.report(t, ".hidden.xml", "<x")
	e.report(t, "CSO0001A_ABC123_3.xml.part", "<x")
	e.report(t, "CSO0001A_ABC123_4.xml", "<CR><EtatCourantDepotFlux>IN_")

	ups, err := e.Track(ctx, asked)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := find(ups, f1, ""); !ok || u.Status != "IN_INTEGRE_PARTIEL" || !u.Final {
		t.Errorf("flux 1: %+v", ups)
	}
	if u, ok := find(ups, f1, "FA-1"); !ok || !u.Rejected || !u.Final || u.Message != "SIRET destinataire inconnu" {
		t.Errorf("invoice FA-1: %+v", ups)
	}
	// Without lifecycle flows, the integration report is the last word.
	if u, ok := find(ups, f2, "FA-2"); !ok || u.Status != "DEPOSEE" || !u.Final || u.Rejected {
		t.Errorf("invoice FA-2: %+v", ups)
	}
	if u, ok := find(ups, "FEN1200A_ABC123_1.xml", "FA-3"); !ok || u.Status != "MISE_A_DISPOSITION" {
		t.Errorf("the lifecycle update for the caller to match by invoice: %+v", ups)
	}
	if got := e.files(t, EDIDoneDir); len(got) != 0 {
		t.Errorf("reports moved before their updates were recorded: %v", got)
	}

	// A restart before the next call: the reports are read again, nothing is lost.
	d2 := e.reopen(t, false)
	if again, err := d2.Track(ctx, asked); err != nil || len(again) != len(ups) {
		t.Fatalf("after a restart: %+v, %v", again, err)
	}
	// The next call files them; what the destination learned stays for the receipts still
	// asked about; the half-written report, unchanged since, is set aside.
	later, err := d2.Track(ctx, []string{f2})
	if err == nil || !strings.Contains(err.Error(), "CSO0001A_ABC123_4.xml") {
		t.Errorf("the unreadable report is not reported: %v", err)
	}
	if len(later) != 2 || later[0].Receipt != f2 || later[0].Invoice != "" || later[1].Invoice != "FA-2" {
		t.Errorf("updates kept for %s: %+v", f2, later)
	}
	done := e.files(t, EDIDoneDir)
	if !slices.Equal(done, []string{"CSO0001A_ABC123_1.xml", "CSO0001A_ABC123_2.xml", "FEN1200A_ABC123_1.xml"}) {
		t.Errorf("done/ = %v", done)
	}
	if got := e.files(t, EDIErrorDir); !slices.Equal(got, []string{"CSO0001A_ABC123_4.xml"}) {
		t.Errorf("error/ = %v", got)
	}
	if got := e.files(t, "."); !slices.Equal(got, []string{".hidden.xml", "CSO0001A_ABC123_3.xml.part"}) {
		t.Errorf("left in the returns folder: %v", got)
	}

	// The same report sent twice keeps both copies.
	e.report(t, "CSO0001A_ABC123_2.xml", `<CR><NomFichier>`+f2+`</NomFichier><EtatCourantDepotFlux>IN_INTEGRE</EtatCourantDepotFlux></CR>`)
	for range 2 {
		if _, err := d2.Track(ctx, []string{f2}); err != nil {
			t.Fatal(err)
		}
	}
	if done := e.files(t, EDIDoneDir); !slices.Contains(done, "CSO0001A_ABC123_2.xml.1") {
		t.Errorf("done/ = %v", done)
	}
}

func TestChorusEDILifecycleKeepsFollowing(t *testing.T) {
	e := newEDIDest(t, true)
	ctx := context.Background()
	f1 := ChorusEDIName("FSO1106A", "ABC123", 1, ediNow)
	e.report(t, "CSO0002A_ABC123_1.xml", `<CR><NomFichier>`+f1+`</NomFichier><EtatCourantDepotFlux>IN_INTEGRE</EtatCourantDepotFlux>
  <Factures><Facture><NumeroFacture>FA-1</NumeroFacture><Statut>DEPOSEE</Statut></Facture></Factures></CR>`)
	ups, err := e.Track(ctx, []string{f1})
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := find(ups, f1, ""); !ok || u.Final {
		t.Errorf("an integrated flux is still followed with lifecycle flows: %+v", ups)
	}
	if u, ok := find(ups, f1, "FA-1"); !ok || u.Final {
		t.Errorf("FA-1: %+v", ups)
	}
	e.report(t, "FEN1200A_ABC123_2.xml", `<CPPFactureStatuts><CPPFactureStatut><NomFichier>`+f1+`</NomFichier>
  <NumeroFacture>FA-1</NumeroFacture><Statut>MISE_EN_PAIEMENT</Statut><DateStatut>2026-12-20</DateStatut></CPPFactureStatut></CPPFactureStatuts>`)
	if ups, err = e.Track(ctx, []string{f1}); err != nil {
		t.Fatal(err)
	}
	if u, ok := find(ups, f1, "FA-1"); !ok || !u.Final || u.Status != "MISE_EN_PAIEMENT" {
		t.Errorf("FA-1 paid: %+v", ups)
	}
}
