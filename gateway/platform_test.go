package gateway

import (
	"context"
	"fmt"
	"github.com/fluxgate/fluxgate/gateway/config"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/simulate"
)

// platformGateway runs the shipped sample through a gateway whose destination is a
// platform served by the simulator (which follows the published contract; it is not the
// real platform).
func platformGateway(t *testing.T, destination string) (*env, *Gateway) {
	t.Helper()
	t.Setenv("FG_TEST_CID", simulate.DefaultClientID)
	t.Setenv("FG_TEST_CSECRET", simulate.DefaultClientSecret)
	t.Setenv("FG_TEST_CLOGIN", simulate.DefaultChorusLogin)
	t.Setenv("FG_TEST_CPASS", simulate.DefaultChorusPassword)
	e := newEnv(t)
	yaml := fmt.Sprintf(`
journal: {path: journal.db}
spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    ready: {quiet: 100ms}
    ack: {path: ack}
    mapping: %s
    outputs: [ubl]
    destination: platform
destinations:
  - name: platform
    schedule: now
%s
`, filepath.Join(testutil.RepoRoot(t), "examples", "mappings", "ventes-csv.xml"), destination)
	cfg, err := config.Parse(filepath.Join(e.dir, "fluxgate.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	e.drop(t, "ventes-2026-11.csv", "v.csv")
	return e, g
}

// trackUntilFinal asks the platform until every flux is final (a bounded number of times:
// the simulator moves one step per poll) and returns the ack.
func trackUntilFinal(t *testing.T, e *env, g *Gateway) ack.Document {
	t.Helper()
	d := g.dests["platform"]
	for range 30 {
		if err := g.deliver.Track(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		if tracked, _ := g.journal.Tracked(context.Background(), "platform"); len(tracked) == 0 {
			return e.ack(t, "v.csv")
		}
	}
	t.Fatal("the platform never gave final statuses")
	return ack.Document{}
}

func invoiceByNumber(t *testing.T, doc ack.Document, number string) ack.Invoice {
	t.Helper()
	for _, inv := range doc.Invoices {
		if inv.Number == number {
			return inv
		}
	}
	t.Fatalf("no invoice %s in the ack", number)
	return ack.Invoice{}
}

func TestChorusProStatusesReachTheAck(t *testing.T) {
	sim := simulate.NewChorus()
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	sim.PlanInvoice("FA2026-1101", simulate.ChorusStatus{Code: "DEPOSEE"}, simulate.ChorusStatus{Code: "MISE_A_DISPOSITION"},
		simulate.ChorusStatus{Code: "SUSPENDUE", Comment: "Bon de commande manquant"}, simulate.ChorusStatus{Code: "COMPLETEE"},
		simulate.ChorusStatus{Code: "MANDATEE"}, simulate.ChorusStatus{Code: "MISE_EN_PAIEMENT"})
	sim.RejectAtIntegration("FA2026-1102", "Le SIRET du destinataire est inconnu de Chorus Pro")
	// More 503s than a call is tried within the round: the deposit fails.
	sim.FailNext(1+deposit.DefaultRetries, 503, "")
	e, g := platformGateway(t, fmt.Sprintf(`    chorus:
      base_url: %s
      token_url: %s%s
      client_id_env: FG_TEST_CID
      client_secret_env: FG_TEST_CSECRET
      account_login_env: FG_TEST_CLOGIN
      account_password_env: FG_TEST_CPASS`, srv.URL, srv.URL, simulate.ChorusTokenPath))

	// The first deposit meets 503s: the flux waits, the next round delivers.
	s, err := g.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) == 0 {
		t.Fatal("the 503 was not reported")
	}
	if s, err = g.RunOnce(context.Background()); err != nil || len(s.Errors) > 0 {
		t.Fatalf("second run: %+v, %v", s, err)
	}
	doc := trackUntilFinal(t, e, g)
	if doc.Summary.Deposited+doc.Summary.Rejected != len(sampleInvoices) {
		t.Fatalf("summary = %+v", doc.Summary)
	}
	paid := invoiceByNumber(t, doc, "FA2026-1101")
	if fx := paid.Fluxes[0]; fx.PlatformStatus != "MISE_EN_PAIEMENT" || !fx.PlatformFinal || paid.Status != "DEPOSITED" {
		t.Fatalf("FA2026-1101: %+v", paid)
	}
	rejected := invoiceByNumber(t, doc, "FA2026-1102")
	if rejected.Status != "REJECTED" || len(rejected.Problems) == 0 || !strings.Contains(rejected.Problems[len(rejected.Problems)-1].Message, "SIRET du destinataire") {
		t.Fatalf("FA2026-1102 must be rejected with Chorus Pro's words: %+v", rejected)
	}
	events, err := g.journal.Events(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	suspended := false
	for _, ev := range events {
		suspended = suspended || ev.Kind == "platform" && strings.Contains(ev.Detail, "SUSPENDUE Bon de commande manquant")
	}
	if !suspended {
		t.Fatal("the suspension with its comment is not in the audit trail")
	}
}

func TestApprovedPlatformLifecycleReachesTheAck(t *testing.T) {
	sim := simulate.NewPA()
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	sim.PlanInvoice("FA2026-1103", simulate.PAStatus{Code: "200"}, simulate.PAStatus{Code: "208", Reason: "JUSTIF_ABS", Message: "Justificatif absent"},
		simulate.PAStatus{Code: "209"}, simulate.PAStatus{Code: "213", Reason: "REJ_SEMAN", Message: "Le SIREN de l'acheteur est inconnu"})
	sim.FailNext(1, 429, "1")
	e, g := platformGateway(t, fmt.Sprintf(`    pa:
      base_url: %s
      token_url: %s%s
      client_id_env: FG_TEST_CID
      client_secret_env: FG_TEST_CSECRET
      flow_profile: CIUS`, srv.URL, srv.URL, simulate.PATokenPath))

	if _, err := g.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s, err := g.RunOnce(context.Background()); err != nil || len(s.Errors) > 0 {
		t.Fatalf("second run: %+v, %v", s, err)
	}
	doc := trackUntilFinal(t, e, g)
	rejected := invoiceByNumber(t, doc, "FA2026-1103")
	if rejected.Status != "REJECTED" || !strings.Contains(rejected.Problems[len(rejected.Problems)-1].Message, "SIREN de l'acheteur") ||
		rejected.Problems[len(rejected.Problems)-1].Rule != "PLATFORM-REJ_SEMAN" {
		t.Fatalf("FA2026-1103: %+v", rejected)
	}
	paid := invoiceByNumber(t, doc, "FA2026-1101")
	if fx := paid.Fluxes[0]; fx.PlatformStatus != "211" || !fx.PlatformFinal {
		t.Fatalf("FA2026-1101: %+v", fx)
	}
}

func TestChorusProBatchesInvoicesPerDeposit(t *testing.T) {
	sim := simulate.NewChorus()
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	sim.RejectAtIntegration("FA2026-1104", "Numéro d'engagement absent")
	e, g := platformGateway(t, fmt.Sprintf(`    chorus:
      base_url: %s
      token_url: %s%s
      client_id_env: FG_TEST_CID
      client_secret_env: FG_TEST_CSECRET
      account_login_env: FG_TEST_CLOGIN
      account_password_env: FG_TEST_CPASS
      batch: 4`, srv.URL, srv.URL, simulate.ChorusTokenPath))
	if s, err := g.RunOnce(context.Background()); err != nil || len(s.Errors) > 0 {
		t.Fatalf("run: %+v, %v", s, err)
	}
	if n := sim.Calls("/cpro/factures/v1/deposer/flux"); n != 2 {
		t.Fatalf("%d deposits for 6 invoices in batches of 4, want 2", n)
	}
	doc := trackUntilFinal(t, e, g)
	receipts := map[string]bool{}
	for _, inv := range doc.Invoices {
		receipts[inv.Fluxes[0].Receipt] = true
	}
	if len(receipts) != 2 {
		t.Fatalf("%d distinct receipts, want one per deposit: %v", len(receipts), receipts)
	}
	// The platform integrated the batch partially: only the invoice it refused is rejected.
	for _, inv := range doc.Invoices {
		want := "DEPOSITED"
		if inv.Number == "FA2026-1104" {
			want = "REJECTED"
		}
		if inv.Status != want {
			t.Errorf("%s: %s, want %s", inv.Number, inv.Status, want)
		}
	}
}
