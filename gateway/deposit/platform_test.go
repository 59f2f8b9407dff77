package deposit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/simulate"
)

// env is the environment the destinations read their secrets from.
var env = map[string]string{
	"CID": simulate.DefaultClientID, "CSECRET": simulate.DefaultClientSecret,
	"CLOGIN": simulate.DefaultChorusLogin, "CPASS": simulate.DefaultChorusPassword,
}

func getenv(k string) string { return env[k] }

// ublFlux is a minimal UBL invoice flux numbered number.
func ublFlux(number string) deposit.Flux {
	data := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>` + number + `</cbc:ID>
</Invoice>
`)
	sum := sha256.Sum256(data)
	return deposit.Flux{Name: number + "_ubl.xml", Syntax: "ubl", Invoice: number, Data: data, SHA256: hex.EncodeToString(sum[:])}
}

func newChorus(t *testing.T, mod func(*deposit.ChorusConfig)) (*simulate.Chorus, *deposit.Chorus) {
	t.Helper()
	sim := simulate.NewChorus()
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	cfg := deposit.ChorusConfig{
		Name: "chorus", Environment: "qualification", BaseURL: srv.URL, TokenURL: srv.URL + simulate.ChorusTokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", AccountLoginEnv: "CLOGIN", AccountPasswordEnv: "CPASS",
		Getenv: getenv,
	}
	if mod != nil {
		mod(&cfg)
	}
	d, err := deposit.NewChorus(cfg, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sim, d
}

// trackAll calls Track until every receipt is final (at most 30 rounds) and returns all the
// updates, round after round.
func trackAll(t *testing.T, tr deposit.Tracker, ids ...string) []deposit.StatusUpdate {
	t.Helper()
	var all []deposit.StatusUpdate
	pending := slices.Clone(ids)
	for round := 0; len(pending) > 0; round++ {
		if round == 30 {
			t.Fatalf("receipts %v never final; last updates: %+v", pending, all[max(0, len(all)-5):])
		}
		ups, err := tr.Track(context.Background(), pending)
		if err != nil {
			t.Fatalf("Track: %v", err)
		}
		all = append(all, ups...)
		pending = pending[:0]
		for _, u := range ups {
			if u.Invoice == "" && !u.Final && !slices.Contains(pending, u.Receipt) {
				pending = append(pending, u.Receipt)
			}
		}
	}
	return all
}

// statuses returns the distinct successive statuses of invoice ("" for the deposit).
func statuses(ups []deposit.StatusUpdate, invoice string) []string {
	var out []string
	for _, u := range ups {
		if u.Invoice == invoice && (len(out) == 0 || out[len(out)-1] != u.Status) {
			out = append(out, u.Status)
		}
	}
	return out
}

func last(ups []deposit.StatusUpdate, invoice string) deposit.StatusUpdate {
	var l deposit.StatusUpdate
	for _, u := range ups {
		if u.Invoice == invoice {
			l = u
		}
	}
	return l
}

func TestChorusDepositReportStatuses(t *testing.T) {
	sim, d := newChorus(t, nil)
	sim.PlanInvoice("FA-1", simulate.ChorusStatus{Code: "DEPOSEE"}, simulate.ChorusStatus{Code: "MISE_A_DISPOSITION"},
		simulate.ChorusStatus{Code: "SUSPENDUE", Comment: "Bon de commande manquant"}, simulate.ChorusStatus{Code: "COMPLETEE"},
		simulate.ChorusStatus{Code: "MANDATEE"}, simulate.ChorusStatus{Code: "MISE_EN_PAIEMENT"})
	r, err := d.Deposit(context.Background(), ublFlux("FA-1"))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.AlreadyThere {
		t.Fatalf("receipt %+v", r)
	}
	ups := trackAll(t, d, r.ID)
	if got, want := statuses(ups, ""), []string{"IN_RECU", "IN_EN_COURS_TRAITEMENT_CPP", "IN_INTEGRE"}; !slices.Equal(got, want) {
		t.Errorf("flux states %v, want %v", got, want)
	}
	want := []string{"DEPOSEE", "MISE_A_DISPOSITION", "SUSPENDUE", "COMPLETEE", "MANDATEE", "MISE_EN_PAIEMENT"}
	if got := statuses(ups, "FA-1"); !slices.Equal(got, want) {
		t.Errorf("invoice statuses %v, want %v", got, want)
	}
	for _, u := range ups {
		if u.Invoice == "FA-1" && u.Status == "SUSPENDUE" && u.Message != "Bon de commande manquant" {
			t.Errorf("SUSPENDUE without its comment: %+v", u)
		}
		if u.Invoice == "FA-1" && u.PlatformID == "" {
			t.Errorf("no identifiantFactureCPP: %+v", u)
		}
	}
	if l := last(ups, "FA-1"); !l.Final || l.Rejected || l.Label != "mise en paiement" {
		t.Errorf("last update %+v", l)
	}
}

func TestChorusBatchPartialIntegration(t *testing.T) {
	sim, d := newChorus(t, func(c *deposit.ChorusConfig) { c.Batch = 5; c.PageSize = 2 })
	sim.RejectAtIntegration("FA-2", "Le code service SERV-X est inconnu pour la structure 11000201100044.")
	sim.PlanInvoice("FA-3", simulate.ChorusStatus{Code: "DEPOSEE"}, simulate.ChorusStatus{Code: "REJETEE", Comment: "Montant erroné"})
	if d.BatchSize() != 5 {
		t.Fatalf("BatchSize %d", d.BatchSize())
	}
	var fluxes []deposit.Flux
	for i := 1; i <= 5; i++ {
		fluxes = append(fluxes, ublFlux(fmt.Sprintf("FA-%d", i)))
	}
	rs, err := d.DepositBatch(context.Background(), fluxes)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 5 || rs[0].ID != rs[4].ID {
		t.Fatalf("receipts %+v: want one deposit for the five", rs)
	}
	ups := trackAll(t, d, rs[0].ID)
	if got := statuses(ups, ""); got[len(got)-1] != "IN_INTEGRE_PARTIEL" {
		t.Errorf("flux states %v", got)
	}
	rej := last(ups, "FA-2")
	if !rej.Rejected || !rej.Final || !strings.Contains(rej.Message, "code service SERV-X") {
		t.Errorf("FA-2: %+v", rej)
	}
	if got := statuses(ups, "FA-2"); len(got) != 1 {
		t.Errorf("FA-2 statuses %v: rejected at integration, nothing else", got)
	}
	if l := last(ups, "FA-3"); !l.Rejected || !l.Final || l.Status != "REJETEE" || l.Message != "Montant erroné" {
		t.Errorf("FA-3: %+v", l)
	}
	for _, n := range []string{"FA-1", "FA-4", "FA-5"} { // FA-5 is on the third page of two
		if l := last(ups, n); l.Status != "MISE_EN_PAIEMENT" || l.Rejected {
			t.Errorf("%s: %+v", n, l)
		}
	}
}

func TestChorusRetriesAndToken(t *testing.T) {
	sim, d := newChorus(t, nil)
	ctx := context.Background()

	sim.FailNext(1, http.StatusServiceUnavailable, "7")
	_, err := d.Deposit(ctx, ublFlux("FA-1"))
	if err == nil || deposit.IsPermanent(err) {
		t.Fatalf("503: err %v, want a transient error", err)
	}
	if after, ok := deposit.RetryAfter(err); !ok || after != 7*time.Second {
		t.Errorf("Retry-After %v %v", after, ok)
	}
	sim.FailNext(1, http.StatusTooManyRequests, "3")
	_, err = d.Deposit(ctx, ublFlux("FA-1"))
	if after, ok := deposit.RetryAfter(err); err == nil || deposit.IsPermanent(err) || after != 3*time.Second || !ok {
		t.Fatalf("429: err %v, retry after %v", err, after)
	}
	r, err := d.Deposit(ctx, ublFlux("FA-1"))
	if err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	if n := sim.TokensIssued(); n != 1 {
		t.Errorf("%d tokens fetched, want 1 (cached)", n)
	}
	sim.ExpireTokens()
	ups, err := d.Track(ctx, []string{r.ID})
	if err != nil || len(ups) == 0 {
		t.Fatalf("Track after token expiry: %v %v", ups, err)
	}
	if n := sim.TokensIssued(); n != 2 {
		t.Errorf("%d tokens fetched, want 2 (one refresh after 401)", n)
	}
	// A 503 while tracking is an error of that round only.
	sim.FailNext(1, http.StatusServiceUnavailable, "")
	if _, err := d.Track(ctx, []string{r.ID}); err == nil {
		t.Error("Track hid a 503")
	}
	trackAll(t, d, r.ID)
}

func TestChorusBusinessErrorIsPermanent(t *testing.T) {
	sim, d := newChorus(t, nil)
	sim.BusinessErrorNext(20002, "Le fichier du flux est invalide.")
	_, err := d.Deposit(context.Background(), ublFlux("FA-1"))
	if !deposit.IsPermanent(err) || !strings.Contains(err.Error(), "Le fichier du flux est invalide.") {
		t.Fatalf("err %v, want permanent with the libelle", err)
	}
	_, err = d.Deposit(context.Background(), deposit.Flux{Name: "x.pdf", Syntax: "pdf", Data: []byte("x")})
	if !deposit.IsPermanent(err) {
		t.Errorf("unknown syntax: %v", err)
	}
}

func TestChorusRedepositIsRecognised(t *testing.T) {
	sim, d := newChorus(t, nil)
	ctx := context.Background()
	r, err := d.Deposit(ctx, ublFlux("FA-7"))
	if err != nil {
		t.Fatal(err)
	}
	trackAll(t, d, r.ID)
	again, err := d.Deposit(ctx, ublFlux("FA-7"))
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadyThere || !strings.HasPrefix(again.ID, "facture:") {
		t.Fatalf("second deposit %+v: want AlreadyThere", again)
	}
	if n := sim.Calls("/cpro/factures/v1/deposer/flux"); n != 1 {
		t.Errorf("%d deposits, want 1", n)
	}
	ups := trackAll(t, d, again.ID)
	if l := ups[len(ups)-1]; l.Status != "MISE_EN_PAIEMENT" || !l.Final || l.Invoice != "FA-7" {
		t.Errorf("tracking the known invoice: %+v", l)
	}
}

func TestChorusTimeoutIsTransient(t *testing.T) {
	sim, d := newChorus(t, nil)
	sim.SetDelay(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := d.Deposit(ctx, ublFlux("FA-1"))
	if err == nil || deposit.IsPermanent(err) {
		t.Fatalf("slow platform: %v, want a transient error", err)
	}
}

func TestSecretsFromEnvironment(t *testing.T) {
	_, err := deposit.NewChorus(deposit.ChorusConfig{Name: "c", ClientIDEnv: "NOPE_ID", ClientSecretEnv: "CSECRET",
		AccountLoginEnv: "CLOGIN", AccountPasswordEnv: "CPASS", Getenv: getenv}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "NOPE_ID") || strings.Contains(err.Error(), simulate.DefaultClientSecret) {
		t.Fatalf("err %v: want the missing variable named, and no secret", err)
	}
	if _, err := deposit.NewChorus(deposit.ChorusConfig{Name: "c", Environment: "prod", Getenv: getenv,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", AccountLoginEnv: "CLOGIN", AccountPasswordEnv: "CPASS"}, nil, nil); err == nil {
		t.Error("environment prod accepted")
	}
	if _, err := deposit.NewPA(deposit.PAConfig{Name: "p", BaseURL: "http://x", TokenURL: "http://x/t", ClientIDEnv: "CID"}, nil, nil); err == nil {
		t.Error("PA without client secret accepted")
	}
}

func newPA(t *testing.T) (*simulate.PA, *deposit.PA) {
	t.Helper()
	sim := simulate.NewPA()
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	d, err := deposit.NewPA(deposit.PAConfig{Name: "pa", BaseURL: srv.URL, TokenURL: srv.URL + simulate.PATokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", FlowProfile: "CIUS", Getenv: getenv}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sim, d
}

func TestPADepositAckLifecycle(t *testing.T) {
	sim, d := newPA(t)
	sim.PlanInvoice("FB-2", simulate.PAStatus{Code: "200"}, simulate.PAStatus{Code: "208", Reason: "JUSTIF_ABS", Message: "Justificatif absent"},
		simulate.PAStatus{Code: "209"}, simulate.PAStatus{Code: "213", Reason: "REJ_SEMAN", Message: "Le SIREN de l'acheteur est inconnu"})
	ctx := context.Background()
	r1, err := d.Deposit(ctx, ublFlux("FB-1"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := d.Deposit(ctx, ublFlux("FB-2"))
	if err != nil {
		t.Fatal(err)
	}
	ups := trackAll(t, d, r1.ID, r2.ID)
	var acks []string
	for _, u := range ups {
		if u.Receipt == r1.ID && u.Invoice == "" && (len(acks) == 0 || acks[len(acks)-1] != u.Status) {
			acks = append(acks, u.Status)
		}
	}
	if !slices.Equal(acks, []string{"Ok"}) && !slices.Equal(acks, []string{"Pending", "Ok"}) {
		t.Errorf("acknowledgements %v", acks)
	}
	if got, want := statuses(ups, "FB-1"), []string{"200", "202", "203", "204", "205", "211"}; !slices.Equal(got, want) {
		t.Errorf("FB-1 lifecycle %v, want %v", got, want)
	}
	if got, want := statuses(ups, "FB-2"), []string{"200", "208", "209", "213"}; !slices.Equal(got, want) {
		t.Errorf("FB-2 lifecycle %v, want %v", got, want)
	}
	for _, u := range ups {
		if u.Invoice == "FB-2" && u.Status == "208" && (u.Reason != "JUSTIF_ABS" || u.Final || u.Rejected || u.Label != "Suspendue") {
			t.Errorf("208: %+v", u)
		}
	}
	if l := last(ups, "FB-2"); !l.Rejected || !l.Final || l.Reason != "REJ_SEMAN" || l.Message != "Le SIREN de l'acheteur est inconnu" || l.Receipt != r2.ID {
		t.Errorf("FB-2 last: %+v", l)
	}
	if l := last(ups, "FB-1"); l.Rejected || !l.Final {
		t.Errorf("FB-1 last: %+v", l)
	}
}

func TestPAFlowRefused(t *testing.T) {
	sim, d := newPA(t)
	sim.RefuseFlow("FB-9", "InvalidSchema", "cbc:IssueDate manquant")
	r, err := d.Deposit(context.Background(), ublFlux("FB-9"))
	if err != nil {
		t.Fatal(err)
	}
	ups := trackAll(t, d, r.ID)
	l := ups[len(ups)-1]
	if l.Status != "Error" || !l.Rejected || !l.Final || l.Reason != "InvalidSchema" || !strings.Contains(l.Message, "cbc:IssueDate manquant") {
		t.Errorf("refused flow: %+v", l)
	}
}

func TestPAIdempotentRetriesToken(t *testing.T) {
	sim, d := newPA(t)
	ctx := context.Background()
	sim.FailNext(1, http.StatusTooManyRequests, "2")
	_, err := d.Deposit(ctx, ublFlux("FB-1"))
	if after, _ := deposit.RetryAfter(err); err == nil || deposit.IsPermanent(err) || after != 2*time.Second {
		t.Fatalf("429: %v", err)
	}
	sim.FailNext(1, http.StatusServiceUnavailable, "")
	if _, err := d.Deposit(ctx, ublFlux("FB-1")); err == nil || deposit.IsPermanent(err) {
		t.Fatalf("503: %v", err)
	}
	r, err := d.Deposit(ctx, ublFlux("FB-1"))
	if err != nil {
		t.Fatal(err)
	}
	sim.ExpireTokens()
	again, err := d.Deposit(ctx, ublFlux("FB-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadyThere || again.ID != r.ID {
		t.Errorf("re-sent flux: %+v, want AlreadyThere %s", again, r.ID)
	}
	if n := sim.Calls("/v1/flows"); n != 1 {
		t.Errorf("%d submissions, want 1", n)
	}
	if n := sim.TokensIssued(); n != 2 {
		t.Errorf("%d tokens, want 2", n)
	}
	// A 400 is the flux's fault: permanent.
	bad := ublFlux("FB-2")
	bad.Name = strings.Repeat("n", 300)
	if _, err := d.Deposit(ctx, bad); !deposit.IsPermanent(err) {
		t.Errorf("name of 300 characters: %v, want permanent", err)
	}
}

func TestPATrackingID(t *testing.T) {
	f := ublFlux("FA 2026/0042")
	id := deposit.PATrackingID(f)
	if id != deposit.PATrackingID(f) || len(id) > 64 || !strings.HasSuffix(id, "-FA-2026/0042") {
		t.Errorf("trackingId %q", id)
	}
	f.Invoice = strings.Repeat("9", 80)
	if id := deposit.PATrackingID(f); len(id) != 64 {
		t.Errorf("long trackingId %q", id)
	}
}

func TestChorusEDI(t *testing.T) {
	now := time.Date(2026, 11, 26, 21, 40, 0, 0, time.UTC)
	if got := deposit.ChorusEDIName(deposit.ChorusEDIInterface("ubl"), "abc123", 42, now); got != "FSO1100A_ABC123_ABC12320261126214000000042.xml" {
		t.Errorf("name %s", got)
	}
	if deposit.ChorusEDIInterface("cii") != "FSO1106A" || deposit.ChorusEDIInterface("pdf") != "" {
		t.Error("interface codes")
	}
	if deposit.CheckChorusEDIPartner("ABC123") != nil || deposit.CheckChorusEDIPartner("a b") == nil {
		t.Error("partner check")
	}
	report := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>
<CR>
  <NumeroFluxDepot>CPP000000001001</NumeroFluxDepot>
  <EtatCourantDepotFlux>IN_INTEGRE_PARTIEL</EtatCourantDepotFlux>
  <ListeErreurDP>
    <ErreurDP><NumeroDP>FA-2</NumeroDP><LibelleErreurDP>SIRET destinataire inconnu</LibelleErreurDP></ErreurDP>
  </ListeErreurDP>
  <Factures>
    <Facture><NumeroFacture>FA-1</NumeroFacture><Statut>DEPOSEE</Statut></Facture>
  </Factures>
</CR>`)
	ups, err := deposit.ParseChorusEDIReport("CSO0001A_ABC123_1.xml", report)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 3 || ups[0].Status != "IN_INTEGRE_PARTIEL" || ups[0].Receipt != "CPP000000001001" ||
		ups[1].Invoice != "FA-2" || !ups[1].Rejected || ups[1].Message != "SIRET destinataire inconnu" ||
		ups[2].Invoice != "FA-1" || ups[2].Status != "DEPOSEE" || ups[2].Rejected {
		t.Errorf("updates %+v", ups)
	}
	if _, err := deposit.ParseChorusEDIReport("x.xml", []byte("<a/>")); err == nil {
		t.Error("empty report accepted")
	}
}

// TestChorusTrackKnownSparesTheReportOfIntegratedDeposits: once a deposit's invoice has a
// status of its own, the deposit was integrated and its report cannot change: it is not read
// again, and the invoice is still followed to its final status.
func TestChorusTrackKnownSparesTheReportOfIntegratedDeposits(t *testing.T) {
	sim, d := newChorus(t, nil)
	sim.PlanInvoice("FA-K", simulate.ChorusStatus{Code: "DEPOSEE"}, simulate.ChorusStatus{Code: "MISE_A_DISPOSITION"},
		simulate.ChorusStatus{Code: "MISE_EN_PAIEMENT"})
	r, err := d.Deposit(context.Background(), ublFlux("FA-K"))
	if err != nil {
		t.Fatal(err)
	}
	known := deposit.Tracked{Receipt: r.ID, Invoice: "FA-K"}
	spared := 0 // rounds asked with the invoice's own status known
	for round := 0; ; round++ {
		if round == 30 {
			t.Fatal("FA-K never final")
		}
		reports := sim.Calls("/cpro/transverses/v1/consulterCRDetaille")
		ups, err := d.TrackKnown(context.Background(), []deposit.Tracked{known})
		if err != nil {
			t.Fatal(err)
		}
		if chorusInvoiceStatus(known.Status) {
			spared++
			if sim.Calls("/cpro/transverses/v1/consulterCRDetaille") != reports {
				t.Fatalf("the report of deposit %s was read again after its invoice had status %s", r.ID, known.Status)
			}
		}
		l := last(ups, "FA-K")
		if l.Status != "" {
			known.Status = l.Status
		}
		if l.Final {
			if l.Status != "MISE_EN_PAIEMENT" || spared == 0 {
				t.Fatalf("final status %s after %d rounds that could spare the report", l.Status, spared)
			}
			return
		}
	}
}

func chorusInvoiceStatus(s string) bool { return s != "" && !strings.HasPrefix(s, "IN_") }
