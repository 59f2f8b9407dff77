package journal

import (
	"context"
	"database/sql"
	"errors"
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

// InvoiceInFile finds an invoice with the identity (seller, number, issue date) accepted
// (queued) in an earlier chunk of the file, and returns its position in the file and the
// digest of its content.
func (j *Journal) InvoiceInFile(ctx context.Context, fileID int64, seller, number, issueDate string) (seq int, content string, ok bool, err error) {
	err = j.queryRow(ctx, nil, `SELECT seq, content_sha256 FROM invoices
		WHERE seller = ? AND number = ? AND issue_date = ? AND file_id = ? AND status = ? ORDER BY seq LIMIT 1`,
		seller, number, issueDate, fileID, InvoiceQueued).Scan(&seq, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("journal: look up invoice %s in file %d: %w", number, fileID, err)
	}
	return seq, content, true, nil
}
