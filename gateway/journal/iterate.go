package journal

import (
	"context"
	"fmt"
)

// invoicePage is how many invoices EachInvoice reads at a time: enough that its two queries
// cost little per invoice, few enough that a page of invoices with their fluxes stays
// well under a megabyte.
const invoicePage = 500

// EachInvoice calls fn with each invoice of a file, with its problems and fluxes as Invoices
// gives them, in file order, reading them a page at a time, so that a file of millions of
// invoices is visited in bounded memory. It stops at the first error of fn and returns it.
//
// No query is open while fn runs: fn may take its time (an ack written to a slow folder)
// without holding the journal's connection. Pages are read one after another, not in one
// transaction, so a transition between two reads shows in the later pages only; an ack
// writer finds out from AckLag, which such a transition moves on (AckWritten).
func (j *Journal) EachInvoice(ctx context.Context, fileID int64, fn func(Invoice) error) error {
	return j.eachInvoice(ctx, fileID, invoicePage, fn)
}

func (j *Journal) eachInvoice(ctx context.Context, fileID int64, pageSize int, fn func(Invoice) error) error {
	var after int64 // keyset pagination: each page starts after the last id of the previous one
	for {
		page, err := j.invoicePage(ctx, fileID, after, pageSize)
		if err != nil {
			return fmt.Errorf("journal: invoices of file %d: %w", fileID, err)
		}
		for _, inv := range page {
			if err := fn(inv); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// InvoicePage returns at most size invoices of a file, in file order, from the first whose
// id is above after (0: from the first), each with its problems and fluxes as Invoices
// gives them: a page of a file that may hold millions, for a page or a report that shows
// some. The next page starts after the last id returned.
func (j *Journal) InvoicePage(ctx context.Context, fileID, after int64, size int) ([]Invoice, error) {
	page, err := j.invoicePage(ctx, fileID, after, size)
	if err != nil {
		return nil, fmt.Errorf("journal: invoices of file %d: %w", fileID, err)
	}
	return page, nil
}

// invoicePage reads at most size invoices of fileID with an id above after, in id order
// (the order RecordResult inserts them in, which is the file's), with their fluxes: one
// query for the invoices (their problems are a column), one for their fluxes.
func (j *Journal) invoicePage(ctx context.Context, fileID, after int64, size int) ([]Invoice, error) {
	page, err := j.pageInvoices(ctx, fileID, after, size)
	if err != nil || len(page) == 0 {
		return nil, err
	}
	last := page[len(page)-1].ID
	fluxes, err := j.queryFluxes(ctx, `WHERE i.file_id = ? AND i.id > ? AND i.id <= ? ORDER BY fluxes.id`,
		fileID, after, last)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Invoice, len(page))
	for i := range page {
		byID[page[i].ID] = &page[i]
	}
	for _, f := range fluxes {
		// An invoice recorded between the two reads (a file recorded again) is not in the
		// page: its fluxes wait for the next read, as in Invoices.
		if inv, ok := byID[f.InvoiceID]; ok {
			inv.Fluxes = append(inv.Fluxes, f)
		}
	}
	return page, nil
}

func (j *Journal) pageInvoices(ctx context.Context, fileID, after int64, size int) ([]Invoice, error) {
	rows, err := j.query(ctx, nil, `SELECT id, file_id, seq, seller, number, issue_date, status, first_line, last_line, problems
		FROM invoices WHERE file_id = ? AND id > ? ORDER BY id LIMIT ?`, fileID, after, size)
	if err != nil {
		return nil, fmt.Errorf("query invoices: %w", err)
	}
	defer rows.Close()
	page := make([]Invoice, 0, size)
	for rows.Next() {
		var inv Invoice
		var problems string
		if err := rows.Scan(&inv.ID, &inv.FileID, &inv.Seq, &inv.Seller, &inv.Number, &inv.IssueDate, &inv.Status,
			&inv.FirstLine, &inv.LastLine, &problems); err != nil {
			return nil, fmt.Errorf("read invoice: %w", err)
		}
		inv.Problems = decodeProblems(problems)
		page = append(page, inv)
	}
	return page, rows.Err()
}

// InvoiceCounts returns how many invoices of a file are in each status (InvoiceRejected,
// InvoiceQueued…): the summary an ack gives before it lists them.
func (j *Journal) InvoiceCounts(ctx context.Context, fileID int64) (map[string]int, error) {
	rows, err := j.query(ctx, nil, `SELECT status, COUNT(*) FROM invoices WHERE file_id = ? GROUP BY status`, fileID)
	if err != nil {
		return nil, fmt.Errorf("journal: count invoices of file %d: %w", fileID, err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("journal: count invoices of file %d: %w", fileID, err)
		}
		counts[status] = n
	}
	return counts, rows.Err()
}

// Retryable says whether some flux of a file failed or waits out a back-off: what Requeue
// would put back in the queue (the uncertain ones aside), asked without reading them.
func (j *Journal) Retryable(ctx context.Context, fileID int64) (bool, error) {
	var n int
	err := j.queryRow(ctx, nil, `SELECT COUNT(*) FROM (SELECT 1 FROM fluxes JOIN invoices i ON i.id = fluxes.invoice_id
		WHERE i.file_id = ? AND (fluxes.state = ? OR (fluxes.state = ? AND fluxes.next_attempt_at IS NOT NULL)) LIMIT 1) AS any_flux`,
		fileID, FluxFailed, FluxQueued).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("journal: fluxes to retry of file %d: %w", fileID, err)
	}
	return n > 0, nil
}

// EachSpoolName calls fn with the spool file name of every flux still to deposit (an
// uncertain one may have to be sent again), as the rows come: the names of a large queue
// are never held together. fn must not use the journal (the query is open meanwhile).
func (j *Journal) EachSpoolName(ctx context.Context, fn func(name string)) error {
	rows, err := j.query(ctx, nil, `SELECT spool_name FROM fluxes WHERE state IN (?, ?, ?)`, FluxQueued, FluxDepositing, FluxUncertain)
	if err != nil {
		return fmt.Errorf("journal: query spool names: %w", err)
	}
	defer rows.Close()
	var name string
	for rows.Next() {
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("journal: read spool name: %w", err)
		}
		fn(name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("journal: read spool names: %w", err)
	}
	return nil
}
