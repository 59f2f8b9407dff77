package journal

import (
	"context"
	"database/sql"
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

// EachInvoiceForAck is EachInvoice with what an ack shows of each flux only: the fluxes of
// the page are read in a few columns, and read whole only when their ack says more than
// those tell (a deposit of unknown outcome, a platform's status). The others' Invoice,
// FileID, SpoolName, SHA256, Platform and Uncertain are left zero. An ack of thousands
// of fluxes reads a third of the columns.
func (j *Journal) EachInvoiceForAck(ctx context.Context, fileID int64, fn func(Invoice) error) error {
	return j.eachInvoiceOf(ctx, fileID, invoicePage, j.ackFluxes, fn)
}

func (j *Journal) eachInvoice(ctx context.Context, fileID int64, pageSize int, fn func(Invoice) error) error {
	return j.eachInvoiceOf(ctx, fileID, pageSize, j.pageFluxes, fn)
}

// eachInvoiceOf is EachInvoice, with the fluxes of each page read by fluxes.
func (j *Journal) eachInvoiceOf(ctx context.Context, fileID int64, pageSize int, fluxes pageFluxReader, fn func(Invoice) error) error {
	var after int64 // keyset pagination: each page starts after the last id of the previous one
	for {
		page, err := j.invoicePage(ctx, fileID, after, pageSize, fluxes)
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
	page, err := j.invoicePage(ctx, fileID, after, size, j.pageFluxes)
	if err != nil {
		return nil, fmt.Errorf("journal: invoices of file %d: %w", fileID, err)
	}
	return page, nil
}

// invoicePage reads at most size invoices of fileID with an id above after, in id order
// (the order RecordResult inserts them in, which is the file's), with their fluxes: one
// query for the invoices (their problems are a column), one for their fluxes.
func (j *Journal) invoicePage(ctx context.Context, fileID, after int64, size int, pageFluxes pageFluxReader) ([]Invoice, error) {
	page, err := j.pageInvoices(ctx, fileID, after, size)
	if err != nil || len(page) == 0 {
		return nil, err
	}
	fluxes, err := pageFluxes(ctx, fileID, after, page[len(page)-1].ID, len(page))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Invoice, len(page))
	for i := range page {
		byID[page[i].ID] = &page[i]
	}
	for i := 0; i < len(fluxes); {
		n := i + 1 // the fluxes of one invoice, side by side: shared with it, not copied
		for n < len(fluxes) && fluxes[n].InvoiceID == fluxes[i].InvoiceID {
			n++
		}
		// An invoice recorded between the two reads (a file recorded again) is not in the
		// page: its fluxes wait for the next read, as in Invoices.
		if inv, ok := byID[fluxes[i].InvoiceID]; ok {
			if inv.Fluxes == nil {
				inv.Fluxes = fluxes[i:n:n]
			} else {
				inv.Fluxes = append(inv.Fluxes, fluxes[i:n]...)
			}
		}
		i = n
	}
	return page, nil
}

// pageFluxReader reads the fluxes of the invoices of fileID whose ids are in (after, last],
// the fluxes of each invoice in id order; there are that many invoices.
type pageFluxReader func(ctx context.Context, fileID, after, last int64, invoices int) ([]Flux, error)

// pageFluxes reads the fluxes of a page of invoices whole.
func (j *Journal) pageFluxes(ctx context.Context, fileID, after, last int64, _ int) ([]Flux, error) {
	return j.queryFluxes(ctx, `WHERE i.file_id = ? AND i.id > ? AND i.id <= ? ORDER BY fluxes.id`, fileID, after, last)
}

// ackFluxes reads the fluxes of a page of invoices as EachInvoiceForAck tells. Of the
// columns queryFluxes reads, the platform's and the uncertain deposit's are most of them,
// and most fluxes have none: they are read, whole, for the fluxes that have them only.
func (j *Journal) ackFluxes(ctx context.Context, fileID, after, last int64, invoices int) ([]Flux, error) {
	rows, err := j.query(ctx, nil, `SELECT fluxes.id, invoice_id, destination, syntax, final_name, state, attempts, last_error, receipt,
		deposited_at, next_attempt_at, tracking, platform_status
		FROM fluxes JOIN invoices i ON i.id = fluxes.invoice_id
		WHERE i.file_id = ? AND i.id > ? AND i.id <= ? ORDER BY i.id, fluxes.id`, fileID, after, last) // in index order: no sort
	if err != nil {
		return nil, fmt.Errorf("journal: query fluxes: %w", err)
	}
	out := make([]Flux, 0, 2*invoices) // a UBL and a CII each, most often
	var whole []int64                  // the fluxes read again, whole
	err = eachRow(rows, nil, func() error {
		var f Flux
		var at, next sql.NullTime
		if err := rows.Scan(&f.ID, &f.InvoiceID, &f.Destination, &f.Syntax, &f.FinalName, &f.State, &f.Attempts, &f.LastError, &f.Receipt,
			&at, &next, &f.Tracking, &f.Platform.Status); err != nil {
			return fmt.Errorf("journal: read flux: %w", err)
		}
		f.DepositedAt, f.NextAttempt = at.Time, next.Time
		if f.State == FluxUncertain || f.Platform.Status != "" {
			whole = append(whole, f.ID)
		}
		out = append(out, f)
		return nil
	})
	if err != nil || len(whole) == 0 {
		return out, err
	}
	byID := make(map[int64]Flux, len(whole))
	for _, part := range batches(whole) {
		fluxes, err := j.queryFluxes(ctx, `WHERE fluxes.id IN (`+marks(len(part))+`)`, idArgs(part)...)
		if err != nil {
			return nil, err
		}
		for _, f := range fluxes {
			byID[f.ID] = f
		}
	}
	for i, f := range out {
		if w, ok := byID[f.ID]; ok {
			out[i] = w
		}
	}
	return out, nil
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
