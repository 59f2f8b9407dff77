package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/gatewaytest"
)

// recordBig records in the gateway's journal a file of n invoices, every tenth rejected,
// the others with a flux each, and the deposit start of the first 600 fluxes (as many
// events), as a big export leaves them; it returns the file's id.
func recordBig(t *testing.T, e *gatewaytest.Env, name string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	j, err := e.G.OpenJournalWriter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	id, err := j.ClaimFile(ctx, "ventes", name, "sha-"+name, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	invs := make([]journal.NewInvoice, n)
	for i := range invs {
		number := fmt.Sprintf("%s-%05d", name, i+1)
		invs[i] = journal.NewInvoice{Seq: i + 1, Number: number, IssueDate: "2026-11-26", FirstLine: 2*i + 2, LastLine: 2*i + 3}
		if i%10 == 9 {
			invs[i].Problems = []journal.Problem{{Rule: "BR-07", Severity: "fatal", Line: 2*i + 2, FR: "nom", EN: "name"}}
			continue
		}
		invs[i].Fluxes = []journal.Flux{{Destination: "outbox", Syntax: "ubl", SpoolName: number + "-ubl", FinalName: number + "_ubl.xml"}}
	}
	if err := j.RecordResult(ctx, id, journal.StatusPartial, nil, invs, ""); err != nil {
		t.Fatal(err)
	}
	page, err := j.InvoicePage(ctx, id, 0, 700)
	if err != nil {
		t.Fatal(err)
	}
	var fluxes []int64
	for _, inv := range page {
		for _, fx := range inv.Fluxes {
			fluxes = append(fluxes, fx.ID)
		}
	}
	if err := j.StartDeposits(ctx, fluxes[:min(600, len(fluxes))]); err != nil {
		t.Fatal(err)
	}
	return id
}

// A file of 20,000 invoices is shown a page at a time, with its counts: the API and the
// page hold at most limit invoices, the next links walk through all of a file once, and a
// request allocates about what it does for a small file.
func TestBigFileIsPaged(t *testing.T) {
	const n = 20000
	e := gatewaytest.New(t, gatewaytest.Options{})
	big := recordBig(t, e, "big.csv", n)
	small := recordBig(t, e, "small.csv", 150)
	walked := recordBig(t, e, "walked.csv", 2500)
	srv := serve(t, e, false)
	wantCounts := map[string]int{journal.InvoiceQueued: n - n/10, journal.InvoiceRejected: n / 10}

	var d fileDetail
	get := func(path string) {
		t.Helper()
		code, body, _ := do(t, srv, call{path: path})
		d = fileDetail{}
		if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("%s: %d %.500s", path, code, body)
		}
	}
	get(fmt.Sprintf("/api/v1/files/%d", big))
	if len(d.Invoices) != 100 || d.InvoiceCount != n || fmt.Sprint(d.InvoiceCounts) != fmt.Sprint(wantCounts) ||
		d.NextInvoices == "" || d.FirstInvoices != "" || len(d.Events) != maxEvents || d.EventCount <= maxEvents {
		t.Fatalf("first page: %d invoices of %d %v, next %q, first %q, %d events of %d",
			len(d.Invoices), d.InvoiceCount, d.InvoiceCounts, d.NextInvoices, d.FirstInvoices, len(d.Events), d.EventCount)
	}
	if d.Invoices[0].Number != "big.csv-00001" || d.Invoices[99].Number != "big.csv-00100" {
		t.Fatalf("first page from %s to %s", d.Invoices[0].Number, d.Invoices[99].Number)
	}
	// Pages of 1,000 through a file of 2,500: every invoice once, in order, and no next
	// link on the last page.
	seen, pages := 0, 0
	for path := fmt.Sprintf("/api/v1/files/%d?limit=1000", walked); path != ""; path = d.NextInvoices {
		get(path)
		if pages++; len(d.Invoices) > 1000 || pages > 3 {
			t.Fatalf("page %d: %d invoices", pages, len(d.Invoices))
		}
		if pages > 1 && d.FirstInvoices != fmt.Sprintf("/api/v1/files/%d?limit=1000", walked) {
			t.Fatalf("page %d: first page at %q", pages, d.FirstInvoices)
		}
		for _, inv := range d.Invoices {
			if seen++; inv.Number != fmt.Sprintf("walked.csv-%05d", seen) {
				t.Fatalf("invoice %d is %s", seen, inv.Number)
			}
		}
	}
	if seen != 2500 || pages != 3 || d.InvoiceCount != 2500 {
		t.Fatalf("walked %d invoices in %d pages, of %d", seen, pages, d.InvoiceCount)
	}

	for _, q := range []string{"limit=0", "limit=1001", "after=-1", "after=x"} {
		if code, body, _ := do(t, srv, call{path: fmt.Sprintf("/api/v1/files/%d?%s", big, q)}); code != http.StatusBadRequest {
			t.Errorf("?%s: %d %.200s", q, code, body)
		}
	}

	code, html, _ := do(t, srv, call{path: fmt.Sprintf("/files/%d", big)})
	next := fmt.Sprintf(`href="/files/%d?after=`, big)
	if code != 200 || strings.Count(html, `class="card invoice"`) != 100 || !strings.Contains(html, fmt.Sprint(n)+" ") ||
		!strings.Contains(html, next) || !strings.Contains(html, `id="more-events"`) {
		t.Fatalf("page: %d, %d invoices, counts or next link missing:\n%.3000s", code, strings.Count(html, `class="card invoice"`), html)
	}

	// A request for the big file allocates about what one for a small file does: its
	// invoices are never read beyond the page.
	handler := srv.Config.Handler
	alloc := func(id int64) uint64 {
		req := httptest.NewRequest("GET", fmt.Sprintf("/files/%d", id), nil)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		if rec.Code != http.StatusOK {
			t.Fatalf("file %d: %d", id, rec.Code)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	alloc(small) // templates and statements warmed up
	smallAlloc, bigAlloc := alloc(small), alloc(big)
	t.Logf("page of a file of 150 invoices: %d KB allocated; of %d invoices: %d KB", smallAlloc>>10, n, bigAlloc>>10)
	if bigAlloc > 3*smallAlloc {
		t.Fatalf("the page of %d invoices allocates %d KB, that of 150 %d KB: it grows with the file", n, bigAlloc>>10, smallAlloc>>10)
	}
}
