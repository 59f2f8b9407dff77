package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// FluxHeld is the state of the fluxes of a big file recorded chunk by chunk while the file
// is still being read: not deliverable until the whole file is recorded (a file that cannot
// be read to its end is rejected whole), then queued.
const FluxHeld = "held"

// RecordChunk records, in one transaction, a chunk of the invoices of a file too big to be
// held whole in memory, their fluxes held. The first chunk also drops whatever an earlier,
// interrupted processing of the file recorded. RecordChunkedResult ends the file.
func (j *Journal) RecordChunk(ctx context.Context, fileID int64, first bool, invoices []NewInvoice) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		if err := j.fence(ctx, tx, fileID); err != nil { // cluster.go
			return err
		}
		if first {
			if err := j.deleteInvoices(ctx, tx, fileID); err != nil {
				return err
			}
		}
		return j.insertInvoices(ctx, tx, fileID, invoices, FluxHeld)
	})
	if err != nil {
		return fmt.Errorf("journal: record %d invoices of file %d: %w", len(invoices), fileID, err)
	}
	return nil
}

// RecordChunkedResult records, in one transaction, the last chunk of a file recorded chunk
// by chunk and the file's result, and queues every flux of the file: total is the number
// of its invoices, in every chunk.
func (j *Journal) RecordChunkedResult(ctx context.Context, fileID int64, status string, problems []Problem, invoices []NewInvoice, total int, storedName string) error {
	err := j.inTx(ctx, func(tx *sql.Tx) error {
		if err := j.fence(ctx, tx, fileID); err != nil { // cluster.go
			return err
		}
		if err := j.insertInvoices(ctx, tx, fileID, invoices, FluxQueued); err != nil {
			return err
		}
		if _, err := j.exec(ctx, tx, `UPDATE fluxes SET state = ? WHERE state = ? AND invoice_id IN (SELECT id FROM invoices WHERE file_id = ?)`,
			FluxQueued, FluxHeld, fileID); err != nil {
			return err
		}
		return j.finishFile(ctx, tx, fileID, status, problems, total, storedName)
	})
	if err != nil {
		return fmt.Errorf("journal: record result of file %d: %w", fileID, err)
	}
	return nil
}

// InFile is an invoice accepted in an earlier chunk of a file: its position in the file and
// the digest of its content.
type InFile struct {
	Seq     int
	Content string
}

// InvoicesInFile finds, of keys, the invoices accepted (queued) in the earlier chunks of
// the file, each with the first such invoice: a chunk's invoices looked up in a few
// statements instead of one per invoice.
func (j *Journal) InvoicesInFile(ctx context.Context, fileID int64, keys []InvoiceKey) (map[InvoiceKey]InFile, error) {
	found := map[InvoiceKey]InFile{}
	for _, part := range batches(keys) {
		args := make([]any, 0, 3*len(part)+2)
		for _, k := range part {
			args = append(args, k.Seller, k.Number, k.IssueDate)
		}
		args = append(args, fileID, InvoiceQueued)
		// The keys a table joined first, as in AcceptedInvoices.
		rows, err := j.query(ctx, nil, `SELECT i.seller, i.number, i.issue_date, i.seq, i.content_sha256
			FROM (VALUES `+valueRows(len(part), 3)+`) AS k CROSS JOIN invoices i
			WHERE i.seller = k.column1 AND i.number = k.column2 AND i.issue_date = k.column3 AND i.file_id = ? AND i.status = ?
			ORDER BY i.seq`, args...)
		err = eachRow(rows, err, func() error {
			var k InvoiceKey
			var in InFile
			if err := rows.Scan(&k.Seller, &k.Number, &k.IssueDate, &in.Seq, &in.Content); err != nil {
				return err
			}
			if _, ok := found[k]; !ok { // the first in the file
				found[k] = in
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("journal: look up %d invoices in file %d: %w", len(keys), fileID, err)
		}
	}
	return found, nil
}
