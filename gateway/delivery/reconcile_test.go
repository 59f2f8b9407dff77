package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/simulate"
)

// testClock is the clock of a test's deliverer and simulator, moved on by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Reconciliation settings of the test destinations.
const (
	testWindow = time.Hour
	testEvery  = 10 * time.Minute
)

// rig is a deliverer with a real journal and spool, depositing on a simulated platform.
type rig struct {
	t      *testing.T
	clock  *testClock
	j      *journal.Journal
	spool  folder.Folder
	g      *Deliverer
	d      *Destination
	fileID int64
	fluxes map[string]int64 // invoice number → flux id

	mu   sync.Mutex
	acks map[int64]ack.Document // the last ack written per file
}

func newRig(t *testing.T, dest deposit.Destination, clock *testClock) *rig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	j, err := journal.Open(ctx, filepath.Join(dir, "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	spool, err := folder.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, clock: clock, j: j, spool: spool, fluxes: map[string]int64{}, acks: map[int64]ack.Document{}}
	r.g = &Deliverer{Journal: j, Spool: spool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.now,
		WriteAck: func(ctx context.Context, id int64) error {
			doc, err := readAck(ctx, j, id, clock.now())
			if err != nil {
				return err
			}
			r.mu.Lock()
			r.acks[id] = doc
			r.mu.Unlock()
			return nil
		}}
	r.d = NewDestination(dest, config.DestinationConfig{Name: dest.Name()}, config.Schedule{Now: true})
	return r
}

// readAck renders the XML ack of file id from the journal, as the gateway writes it, and
// reads it back.
func readAck(ctx context.Context, j *journal.Journal, id int64, now time.Time) (ack.Document, error) {
	var doc ack.Document
	f, err := j.File(ctx, id)
	if err != nil {
		return doc, err
	}
	counts, err := j.InvoiceCounts(ctx, id)
	if err != nil {
		return doc, err
	}
	var buf bytes.Buffer
	err = ack.NewRenderer(f, counts, "en", now, nil).XML(&buf, func(yield func(journal.Invoice) error) error {
		return j.EachInvoice(ctx, id, yield)
	})
	if err != nil {
		return doc, err
	}
	return doc, xml.Unmarshal(buf.Bytes(), &doc)
}

// ublInvoice is a minimal UBL invoice numbered number.
func ublInvoice(number string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>` + number + `</cbc:ID>
</Invoice>
`)
}

// queue records a file holding one invoice per number, each with one UBL flux spooled for
// the rig's destination.
func (r *rig) queue(numbers ...string) {
	r.t.Helper()
	ctx := context.Background()
	id, err := r.j.ClaimFile(ctx, "ventes", "v.csv", "sha", 1, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var invs []journal.NewInvoice
	for i, n := range numbers {
		data := ublInvoice(n)
		sum := sha256.Sum256(data)
		spool := fmt.Sprintf("%d-%s.xml", id, n)
		if err := r.spool.WriteAtomic(ctx, spool, bytes.NewReader(data)); err != nil {
			r.t.Fatal(err)
		}
		invs = append(invs, journal.NewInvoice{Seq: i + 1, Number: n, IssueDate: "2026-11-26", FirstLine: i + 2, LastLine: i + 2,
			Fluxes: []journal.Flux{{Destination: r.d.Name(), Syntax: "ubl", SpoolName: spool, FinalName: n + "_ubl.xml", SHA256: hex.EncodeToString(sum[:])}}})
	}
	if err := r.j.RecordResult(ctx, id, journal.StatusAccepted, nil, invs, ""); err != nil {
		r.t.Fatal(err)
	}
	invoices, err := r.j.Invoices(ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, inv := range invoices {
		r.fluxes[inv.Number] = inv.Fluxes[0].ID
	}
	r.fileID = id
}

// flux returns the journal's flux of invoice number.
func (r *rig) flux(number string) journal.Flux {
	r.t.Helper()
	invs, err := r.j.Invoices(context.Background(), r.fileID)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.Number == number {
			return inv.Fluxes[0]
		}
	}
	r.t.Fatalf("no invoice %s", number)
	return journal.Flux{}
}

func (r *rig) invoice(number string) ack.Invoice {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, inv := range r.acks[r.fileID].Invoices {
		if inv.Number == number {
			return inv
		}
	}
	r.t.Fatalf("no invoice %s in the ack: %+v", number, r.acks[r.fileID])
	return ack.Invoice{}
}

// round runs a deposit round; its error (a failed deposit) is the test's to judge.
func (r *rig) round(force bool) error {
	return r.g.Deliver(context.Background(), r.d, force)
}

// chorusRig deposits on a simulated Chorus Pro that integrates deposits integrate after
// receiving them, by the test's clock.
func chorusRig(t *testing.T, integrate time.Duration, mod func(*deposit.ChorusConfig)) (*rig, *simulate.Chorus) {
	t.Helper()
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	sim := simulate.NewChorus()
	sim.SetClock(clock.now)
	sim.SetIntegrationDelay(integrate)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	env := map[string]string{"CID": simulate.DefaultClientID, "CSECRET": simulate.DefaultClientSecret,
		"CLOGIN": simulate.DefaultChorusLogin, "CPASS": simulate.DefaultChorusPassword}
	cfg := deposit.ChorusConfig{Name: "chorus", BaseURL: srv.URL, TokenURL: srv.URL + simulate.ChorusTokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", AccountLoginEnv: "CLOGIN", AccountPasswordEnv: "CPASS",
		Getenv: func(k string) string { return env[k] }, IntegrationWindow: testWindow, ReconcileEvery: testEvery}
	if mod != nil {
		mod(&cfg)
	}
	d, err := deposit.NewChorus(cfg, &http.Client{Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return newRig(t, d, clock), sim
}

// Chorus Pro processes a deposit and its answer is lost: the flux becomes uncertain and is
// never sent again; the platform is asked until it shows the deposit, which is then
// recorded with its receipt. One deposit on the platform.
func TestLostAnswerIsReconciledNotResent(t *testing.T) {
	r, sim := chorusRig(t, 35*time.Minute, nil)
	r.queue("FA-1")
	sim.LoseNextAnswers(1, simulate.Lose503)
	if err := r.round(false); !deposit.IsUncertain(err) {
		t.Fatalf("round: %v, want the uncertain deposit reported", err)
	}
	fx := r.flux("FA-1")
	if fx.State != journal.FluxUncertain || !fx.Uncertain.Until.Equal(r.clock.now().Add(testWindow)) {
		t.Fatalf("flux %s, uncertain %+v", fx.State, fx.Uncertain)
	}
	if w := r.invoice("FA-1").Fluxes[0].Waiting; !strings.Contains(w, "not sent again blindly") || !strings.Contains(w, "asked until") {
		t.Fatalf("the ack does not say why the flux waits: %q", w)
	}
	for range 3 { // asked every testEvery; not integrated yet
		r.clock.add(testEvery)
		if err := r.round(false); err != nil {
			t.Fatal(err)
		}
		if st := r.flux("FA-1").State; st != journal.FluxUncertain {
			t.Fatalf("after %v: %s, want still uncertain", r.clock.now().Sub(fx.Uncertain.Since), st)
		}
	}
	if err := r.round(true); err != nil { // run --once asks at once, sends nothing
		t.Fatal(err)
	}
	r.clock.add(testEvery)
	if err := r.round(false); err != nil {
		t.Fatal(err)
	}
	fx = r.flux("FA-1")
	if fx.State != journal.FluxDeposited || !strings.HasPrefix(fx.Receipt, "CPP") || !fx.Tracking {
		t.Fatalf("after integration: %+v, want deposited with the numeroFluxDepot, tracked", fx)
	}
	if inv := r.invoice("FA-1"); inv.Status != journal.InvoiceDeposited || len(inv.Problems) != 0 {
		t.Fatalf("ack: %+v", inv)
	}
	if n := sim.InvoiceDeposits()["FA-1"]; n != 1 {
		t.Fatalf("FA-1 deposited %d times on Chorus Pro, want 1", n)
	}
	if fx.Uncertain.Checks != 4 { // those that found nothing
		t.Errorf("%d checks recorded, want 4", fx.Uncertain.Checks)
	}
}

// The gateway stopped while a deposit was in flight and Chorus Pro never got it: at the next
// round the flux is uncertain (not sent), asked for over the whole window, then sent again
// exactly once, and the ack says so.
func TestWindowOverWithNoTraceResendsOnce(t *testing.T) {
	r, sim := chorusRig(t, time.Minute, nil)
	r.queue("FA-2")
	ctx := context.Background()
	if err := r.j.StartDeposit(ctx, r.fluxes["FA-2"]); err != nil { // then the crash
		t.Fatal(err)
	}
	if err := r.round(false); err != nil {
		t.Fatal(err)
	}
	if fx := r.flux("FA-2"); fx.State != journal.FluxUncertain || fx.Uncertain.Checks != 1 || !strings.Contains(fx.LastError, "stopped while this deposit was in flight") {
		t.Fatalf("left depositing: %+v", fx)
	}
	for elapsed := time.Duration(0); elapsed < testWindow-testEvery; elapsed += testEvery {
		r.clock.add(testEvery)
		if err := r.round(false); err != nil {
			t.Fatal(err)
		}
		if n := sim.InvoiceDeposits()["FA-2"]; n != 0 {
			t.Fatalf("sent before the window's end (%v in)", elapsed+testEvery)
		}
	}
	r.clock.add(testEvery) // the window's end: the last check finds nothing, it goes again
	if err := r.round(false); err != nil {
		t.Fatal(err)
	}
	fx := r.flux("FA-2")
	if n := sim.InvoiceDeposits()["FA-2"]; n != 1 || fx.State != journal.FluxDeposited || fx.Uncertain.Resends != 1 {
		t.Fatalf("at the window's end: %d deposits, flux %+v; want sent again once", n, fx)
	}
	inv := r.invoice("FA-2")
	if inv.Status != journal.InvoiceDeposited || len(inv.Problems) != 1 || inv.Problems[0].Rule != "FG-RESENT" ||
		!strings.Contains(inv.Problems[0].Message, "re-sent at "+r.clock.now().UTC().Format(time.RFC3339)) ||
		!strings.Contains(inv.Problems[0].Message, "no trace on Chorus Pro after the integration window") {
		t.Fatalf("the ack does not say it was sent again: %+v", inv)
	}
	for range 5 {
		r.clock.add(testWindow)
		if err := r.round(true); err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.InvoiceDeposits()["FA-2"]; n != 1 {
		t.Fatalf("%d deposits, want exactly one re-send", n)
	}
}

// Chorus Pro integrates the first deposit only after the window: the flux is sent again,
// and Chorus Pro refuses the second deposit as a duplicate. Tracking reconciles it with
// the first deposit: the invoice stays DEPOSITED, with the first deposit's status.
func TestResentDuplicateIsReconciled(t *testing.T) {
	r, sim := chorusRig(t, testWindow+30*time.Minute, nil)
	r.queue("FA-3")
	sim.LoseNextAnswers(1, simulate.LoseHang)
	sim.SetMaxHang(time.Millisecond) // the connection drops at once: no answer
	if err := r.round(false); !deposit.IsUncertain(err) {
		t.Fatalf("round: %v, want uncertain", err)
	}
	for r.flux("FA-3").State == journal.FluxUncertain {
		r.clock.add(testEvery)
		if err := r.round(false); err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.InvoiceDeposits()["FA-3"]; n != 2 {
		t.Fatalf("%d deposits, want the first and the one re-send", n)
	}
	r.clock.add(2 * testWindow) // both integrated: the second one as a duplicate
	for range 3 {
		if err := r.g.Track(context.Background(), r.d); err != nil {
			t.Fatal(err)
		}
	}
	inv := r.invoice("FA-3")
	fx := inv.Fluxes[0]
	if inv.Status != journal.InvoiceDeposited || fx.Status != journal.InvoiceDeposited || fx.PlatformStatus == "" ||
		strings.HasPrefix(fx.PlatformStatus, "IN_") || !strings.Contains(fx.PlatformMessage, "doublon") {
		t.Fatalf("the duplicate's ack: %+v / %+v; want DEPOSITED with the first deposit's status", inv, fx)
	}
	for _, p := range inv.Problems {
		if strings.HasPrefix(p.Rule, "PLATFORM-") {
			t.Fatalf("the duplicate was reported rejected: %+v", p)
		}
	}
}

// A batch in flight when the gateway stopped, which Chorus Pro processed: every flux of it
// is found, none is sent again.
func TestBatchLeftInFlightIsFound(t *testing.T) {
	r, sim := chorusRig(t, 5*time.Minute, func(c *deposit.ChorusConfig) { c.Batch = 3 })
	r.queue("FB-1", "FB-2", "FB-3")
	ctx := context.Background()
	var fluxes []deposit.Flux
	for _, n := range []string{"FB-1", "FB-2", "FB-3"} {
		if err := r.j.StartDeposit(ctx, r.fluxes[n]); err != nil {
			t.Fatal(err)
		}
		fluxes = append(fluxes, deposit.Flux{Name: n + "_ubl.xml", Syntax: "ubl", Invoice: n, Data: ublInvoice(n)})
	}
	// The batch reached Chorus Pro; the gateway died before hearing the answer.
	if _, err := r.d.Destination.(deposit.Batcher).DepositBatch(ctx, fluxes); err != nil {
		t.Fatal(err)
	}
	if err := r.round(false); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"FB-1", "FB-2", "FB-3"} {
		if st := r.flux(n).State; st != journal.FluxUncertain {
			t.Fatalf("%s: %s, want uncertain", n, st)
		}
	}
	r.clock.add(testEvery)
	if err := r.round(false); err != nil {
		t.Fatal(err)
	}
	receipt := r.flux("FB-1").Receipt
	for _, n := range []string{"FB-1", "FB-2", "FB-3"} {
		if fx := r.flux(n); fx.State != journal.FluxDeposited || fx.Receipt != receipt {
			t.Errorf("%s: %+v, want deposited under the batch's receipt %s", n, fx, receipt)
		}
		if c := sim.InvoiceDeposits()[n]; c != 1 {
			t.Errorf("%s deposited %d times, want 1", n, c)
		}
	}
}

// An approved platform's deposits are idempotent by trackingId: a flux left in flight after
// the platform processed it is deposited again from the queue, found there, and not sent.
func TestPALeftInFlightIsFoundNotResent(t *testing.T) {
	sim := simulate.NewPA()
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	env := map[string]string{"CID": simulate.DefaultClientID, "CSECRET": simulate.DefaultClientSecret}
	pa, err := deposit.NewPA(deposit.PAConfig{Name: "pa", BaseURL: srv.URL, TokenURL: srv.URL + simulate.PATokenPath,
		ClientIDEnv: "CID", ClientSecretEnv: "CSECRET", FlowProfile: "CIUS", Getenv: func(k string) string { return env[k] }}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, pa, &testClock{t: time.Now()})
	r.queue("FC-1")
	ctx := context.Background()
	if err := r.j.StartDeposit(ctx, r.fluxes["FC-1"]); err != nil {
		t.Fatal(err)
	}
	data := ublInvoice("FC-1")
	sum := sha256.Sum256(data)
	if _, err := pa.Deposit(ctx, deposit.Flux{Name: "FC-1_ubl.xml", Syntax: "ubl", Invoice: "FC-1", Data: data, SHA256: hex.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err) // sent; then the gateway died
	}
	if err := r.round(false); err != nil {
		t.Fatal(err)
	}
	if fx := r.flux("FC-1"); fx.State != journal.FluxDeposited {
		t.Fatalf("flux %+v, want deposited", fx)
	}
	if n := sim.Calls("/v1/flows"); n != 1 {
		t.Fatalf("%d flows submitted, want 1", n)
	}
}

// Chorus Pro's report moves a deposit from IN_RECU to IN_EN_COURS_TRAITEMENT_CPP before it
// is integrated: each state is recorded (the audit trail and the ack show the deposit is
// being processed), not only the first one.
func TestChorusInProcessingStateIsRecorded(t *testing.T) {
	r, _ := chorusRig(t, time.Hour, nil)
	r.queue("FA-4")
	if err := r.round(false); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := r.g.Track(context.Background(), r.d); err != nil {
			t.Fatal(err)
		}
	}
	if fx := r.flux("FA-4"); fx.Platform.Status != "IN_EN_COURS_TRAITEMENT_CPP" {
		t.Fatalf("platform status %q, want IN_EN_COURS_TRAITEMENT_CPP", fx.Platform.Status)
	}
	events, err := r.j.Events(context.Background(), r.fileID)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, ev := range events {
		if ev.Kind == journal.EventPlatform {
			seen = append(seen, strings.TrimSpace(ev.Detail))
		}
	}
	if strings.Join(seen, ",") != "IN_RECU,IN_EN_COURS_TRAITEMENT_CPP" {
		t.Fatalf("platform events %q", seen)
	}
}
