package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// writeAck renders the journal's view of a file into its ack, atomically, one invoice at a
// time: the ack of a file of millions of invoices is never held in memory.
func (g *Gateway) writeAck(ctx context.Context, fileID int64) error {
	return g.writeAckMoved(ctx, fileID, "")
}

// ackDone records file f moved to storedAs, and done, with its ack written: the ack is
// written first, showing the file there, then one transaction records both
// (journal.FileDone). A crash in between leaves the file processed: finish moves nothing
// more and writes the ack again. An ack that cannot be written does not hold the file back:
// it is recorded done, its ack stale, and the error returned; the ack is caught up later
// (StaleAcks), as after any failed ack.
//
// In a --once run (acksAfterDeposit), a file with invoices to deposit gets its ack at the
// end of the run instead, once the run's deposit round has said what became of them
// (RunOnce): written now, it would say "queued" and be written again seconds later, and a
// program that reads an ack as soon as it appears would keep the first.
func (g *Gateway) ackDone(ctx context.Context, f journal.File, storedAs string) error {
	if g.acksAfterDeposit && (f.Status == journal.StatusAccepted || f.Status == journal.StatusPartial) {
		return g.journal.FileDone(ctx, f.ID, storedAs, -1) // its ack stays stale until then
	}
	return g.writeAckMoved(ctx, f.ID, storedAs)
}

// writeAckMoved is writeAck, or ackDone when storedAs is not empty.
func (g *Gateway) writeAckMoved(ctx context.Context, fileID int64, storedAs string) error {
	// Among several instances, one writer at a time: the last ack written is the latest.
	unlock, err := g.journal.LockAck(ctx, fileID)
	if err != nil {
		return err
	}
	defer unlock()
	a, err := g.prepareAck(ctx, fileID, storedAs)
	if err != nil {
		return err
	}
	// One ack per format asked for (XML, CSV for legacy readers), each written atomically.
	for _, format := range a.route.cfg.Ack.Format {
		err := writeStreamed(ctx, a.route.acks, ack.FileName(a.name, format), g.renderAck(ctx, a, format))
		if err != nil {
			err = fmt.Errorf("write ack of %s: %w", a.file.Name, err)
			if storedAs == "" {
				return err
			}
			return errors.Join(err, g.journal.FileDone(ctx, fileID, storedAs, -1))
		}
	}
	if storedAs != "" {
		return g.journal.FileDone(ctx, fileID, storedAs, a.lag)
	}
	return g.journal.AckWritten(ctx, fileID, a.lag)
}

// ackToWrite is what writing a file's ack needs, read from the journal.
type ackToWrite struct {
	file     journal.File
	route    *route
	name     string // the ack's name, without the format's extension
	lag      int64  // AckLag, read before the rest
	renderer *ack.Renderer
}

// prepareAck reads from the journal what the ack of fileID says; storedAs, when not
// empty, is where the file was just moved (ackDone).
func (g *Gateway) prepareAck(ctx context.Context, fileID int64, storedAs string) (*ackToWrite, error) {
	// Read before the journal's view: a transition after it (even between two pages of
	// invoices) keeps the ack stale.
	lag, err := g.journal.AckLag(ctx, fileID)
	if err != nil {
		return nil, err
	}
	f, err := g.journal.File(ctx, fileID)
	if err != nil {
		return nil, err
	}
	if storedAs != "" {
		f.State, f.StoredName = journal.FileDone, storedAs
	}
	r := g.routeOf(f.Source)
	if r == nil {
		return nil, fmt.Errorf("ack for file %d: source %q is no longer configured", fileID, f.Source)
	}
	counts, err := g.journal.InvoiceCounts(ctx, fileID)
	if err != nil {
		return nil, err
	}
	name := ack.Name(f.Name)
	if later, err := g.journal.Superseded(ctx, f.Source, f.Name, f.ID); err != nil {
		return nil, err
	} else if later {
		name = ack.SupersededName(f.Name, f.Received, f.ID)
	}
	renderer := ack.NewRenderer(f, counts, r.cfg.Ack.Language, g.now(), g.destinationStates(ctx))
	return &ackToWrite{file: f, route: r, name: name, lag: lag, renderer: renderer}, nil
}

// renderAck renders the ack a in format, its invoices read from the journal a page at a
// time.
func (g *Gateway) renderAck(ctx context.Context, a *ackToWrite, format string) func(io.Writer) error {
	invoices := func(yield func(journal.Invoice) error) error {
		return g.journal.EachInvoiceForAck(ctx, a.file.ID, yield)
	}
	return func(w io.Writer) error {
		return a.renderer.Render(w, format, a.route.cfg.Ack.Encoding, invoices)
	}
}

// writeStreamed writes what render writes under name in dst, atomically, without holding it
// in memory (streamed).
func writeStreamed(ctx context.Context, dst folder.Folder, name string, render func(io.Writer) error) error {
	return streamed(render, func(r io.Reader) error { return dst.WriteAtomic(ctx, name, r) })
}

// streamed hands write what render writes, through a pipe, without holding it in memory.
// A render that fails fails write's read, so an atomic write removes its temporary file
// and the name is left as it was; a write that gives up closes the pipe, so render fails
// at its next write. It returns once render has returned.
func streamed(render func(io.Writer) error, write func(io.Reader) error) error {
	pr, pw := io.Pipe()
	rendered := make(chan error, 1)
	go func() {
		// A pipe hands each write over to the reader: gather the renderer's small writes
		// (one per invoice) into writes the size of the folders' reads.
		w := bufio.NewWriterSize(pw, 32<<10)
		err := render(w)
		if err == nil {
			err = w.Flush()
		}
		pw.CloseWithError(err) // nil: the reader sees the end of the ack
		rendered <- err
	}()
	err := write(pr)
	pr.Close()
	if renderErr := <-rendered; err == nil {
		err = renderErr // the write stopped reading early: the ack stays stale, to be written again
	}
	return err
}
