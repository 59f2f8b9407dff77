package journal

import (
	"context"
	"fmt"
	"testing"
)

// The batch lookups answer what the lookups of one invoice, one name, answer, over more
// keys than a batch holds: accepted (queued or deposited) by another file, the first such,
// with its digest; rejected and own invoices left out.
func TestBatchLookupsAgreeWithOneByOne(t *testing.T) {
	ctx := context.Background()
	j := openTest(t)
	const n = maxBatch + 40
	record := func(name string, status func(i int) string) int64 {
		id, err := j.ClaimFile(ctx, "s", name, "sha-"+name, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var invs []NewInvoice
		for i := range n {
			num := fmt.Sprintf("F%d", i)
			inv := NewInvoice{Seq: i + 1, Seller: "FR1", Number: num, IssueDate: "2026-11-02", Status: status(i),
				ContentSHA256: fmt.Sprint(name, i)}
			if inv.Status != InvoiceRejected {
				inv.Fluxes = []Flux{{Destination: "d", Syntax: "ubl", SpoolName: name + num, FinalName: name + "-" + num + ".xml"}}
			}
			invs = append(invs, inv)
		}
		if err := j.RecordResult(ctx, id, StatusPartial, nil, invs, ""); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// a.csv accepts one invoice in three, b.csv one in two, c.csv asks.
	record("a.csv", func(i int) string {
		if i%3 == 0 {
			return ""
		}
		return InvoiceRejected
	})
	record("b.csv", func(i int) string {
		if i%2 == 0 {
			return ""
		}
		return InvoiceRejected
	})
	c := record("c.csv", func(int) string { return "" })

	var keys []InvoiceKey
	var names []string
	for i := range n + 5 {
		keys = append(keys, InvoiceKey{"FR1", fmt.Sprintf("F%d", i), "2026-11-02"})
		for _, f := range []string{"a.csv", "b.csv", "c.csv", "z.csv"} {
			names = append(names, fmt.Sprintf("%s-F%d.xml", f, i))
		}
	}
	keys = append(keys, InvoiceKey{"FR2", "F0", "2026-11-02"}, InvoiceKey{"FR1", "F0", "2026-11-03"})
	found, err := j.AcceptedInvoices(ctx, keys, c)
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, k := range keys {
		p, content, ok, err := j.AcceptedInvoiceContent(ctx, k.Seller, k.Number, k.IssueDate, c)
		if err != nil {
			t.Fatal(err)
		}
		got, batched := found[k]
		p.ContentSHA256 = content
		if ok != batched || got != p {
			t.Errorf("%v: one by one %+v (%v), batched %+v (%v)", k, p, ok, got, batched)
		}
		if ok {
			accepted++
		}
	}
	if accepted == 0 || accepted == len(keys) || len(found) != accepted {
		t.Errorf("%d keys accepted out of %d, %d found in batches", accepted, len(keys), len(found))
	}

	taken, err := j.NamesTaken(ctx, "d", names, c)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, name := range names {
		one, err := j.NameTaken(ctx, "d", name, c)
		if err != nil {
			t.Fatal(err)
		}
		if one != taken[name] {
			t.Errorf("%s: taken %v one by one, %v batched", name, one, taken[name])
		}
		if one {
			count++
		}
	}
	if count == 0 || len(taken) != count {
		t.Errorf("%d names taken one by one, %d batched", count, len(taken))
	}
	if other, _ := j.NamesTaken(ctx, "elsewhere", names, c); len(other) != 0 {
		t.Errorf("names taken on another destination: %v", other)
	}
}
