package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/mapping"
)

// FileReport is what became of one input file, for `fluxgate status`.
type FileReport struct {
	journal.File
	// Invoices are the first invoices of the file, in file order: all of them when they
	// are no more than the report was asked to list.
	Invoices []journal.Invoice `json:"invoices"`
	// InvoiceCount is how many invoices the file has, listed or not; InvoiceCounts how
	// many are in each status (QUEUED, REJECTED…).
	InvoiceCount  int            `json:"invoiceCount"`
	InvoiceCounts map[string]int `json:"invoiceCounts"`
}

// StatusInvoices is how many invoices of each file Status lists: a file of a million
// invoices is summed up by its counts, not loaded.
const StatusInvoices = 100

// WaitingReport is a file seen in a source folder and not taken (yet), with the reason.
type WaitingReport struct {
	Source string `json:"source"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"`
}

// SourceStatus says whether a source folder could be listed for the report, and why not.
type SourceStatus struct {
	Name   string `json:"name"`
	Folder string `json:"folder"`
	// Error is why the folder could not be listed: its server unreachable, its host key
	// refused, the directory gone. Empty when it was listed.
	Error string `json:"error,omitempty"`
	// Paused: nothing is taken from it until someone acts (a host key to check and trust).
	Paused bool `json:"paused,omitempty"`
}

// StatusReport is the state of every source: files in the journal, whether each source
// folder could be listed, and the files not taken.
type StatusReport struct {
	Files   []FileReport    `json:"files"`
	Sources []SourceStatus  `json:"sources"`
	Waiting []WaitingReport `json:"waiting"`
	// Instances are the gateways sharing a PostgreSQL journal (none on SQLite).
	Instances []journal.Instance `json:"instances,omitempty"`
}

// Status reports the files received since since, newest first, and the files each source
// folder holds that were not taken, with the reason: still changing, waiting for a marker,
// excluded by the pattern, not a regular file, or already processed (same bytes). A source
// folder that cannot be listed (its server unreachable) does not fail the report: its
// error is in Sources.
func (g *Gateway) Status(ctx context.Context, since time.Time) (StatusReport, error) {
	return g.StatusListing(ctx, since, StatusInvoices)
}

// StatusListing is Status listing the first invoices of each file up to invoices (every
// one when invoices is negative, read a page at a time; EachInvoice streams them instead).
func (g *Gateway) StatusListing(ctx context.Context, since time.Time, invoices int) (StatusReport, error) {
	var rep StatusReport
	files, err := g.journal.Files(ctx, since)
	if err != nil {
		return rep, err
	}
	if rep.Instances, err = g.journal.Instances(ctx); err != nil {
		return rep, err
	}
	for _, f := range files {
		fr, err := g.fileReport(ctx, f, invoices)
		if err != nil {
			return rep, err
		}
		rep.Files = append(rep.Files, fr)
	}
	for _, r := range g.routes {
		ready, waiting, err := r.watcher.Scan(ctx)
		src := SourceStatus{Name: r.cfg.Name, Folder: r.in.String()}
		if err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			var hk *folder.HostKeyError
			src.Error, src.Paused = err.Error(), errors.As(err, &hk)
			rep.Sources = append(rep.Sources, src)
			continue
		}
		rep.Sources = append(rep.Sources, src)
		for _, fi := range ready {
			rep.Waiting = append(rep.Waiting, g.waitingReport(ctx, r, fi, "complete: taken at the next scan"))
		}
		for _, w := range waiting {
			rep.Waiting = append(rep.Waiting, g.waitingReport(ctx, r, w.File, w.Reason))
		}
	}
	return rep, nil
}

// fileReport counts the invoices of f and lists the first of them, up to limit (all when
// limit is negative).
func (g *Gateway) fileReport(ctx context.Context, f journal.File, limit int) (FileReport, error) {
	fr := FileReport{File: f}
	var err error
	if fr.InvoiceCounts, err = g.journal.InvoiceCounts(ctx, f.ID); err != nil {
		return fr, err
	}
	for _, n := range fr.InvoiceCounts {
		fr.InvoiceCount += n
	}
	switch {
	case limit < 0:
		err = g.journal.EachInvoice(ctx, f.ID, func(inv journal.Invoice) error {
			fr.Invoices = append(fr.Invoices, inv)
			return nil
		})
	case limit > 0 && fr.InvoiceCount > 0:
		fr.Invoices, err = g.journal.InvoicePage(ctx, f.ID, 0, limit)
	}
	return fr, err
}

// EachInvoice calls fn with each invoice of a file in file order, a page at a time: a
// listing of every invoice in bounded memory.
func (g *Gateway) EachInvoice(ctx context.Context, fileID int64, fn func(journal.Invoice) error) error {
	return g.journal.EachInvoice(ctx, fileID, fn)
}

// waitingReport describes a file not taken, and says when its bytes were processed before.
func (g *Gateway) waitingReport(ctx context.Context, r *route, fi folder.FileInfo, reason string) WaitingReport {
	const maxHashed = 64 << 20 // a status must stay quick
	// Only a regular file is read: never a named pipe, a socket or a device.
	if fi.Regular() && fi.Size <= maxHashed {
		if sum, err := hashFile(ctx, r.in, fi.Name); err == nil {
			if prev, dup, err := g.journal.Accepted(ctx, r.cfg.Name, sum, 0); err == nil && dup {
				reason += fmt.Sprintf("; already processed on %s as file %d (%s), same sha256 %s: it will be acknowledged DUPLICATE",
					prev.Received.Local().Format("2006-01-02 15:04"), prev.ID, prev.Name, sum)
			}
		}
	}
	return WaitingReport{Source: r.cfg.Name, Name: fi.Name, Size: fi.Size, Reason: reason}
}

// Retry puts back in the queue the fluxes of file id that failed or wait out a back-off
// (every such flux when id is 0), then deposits everything due at once, whatever the
// schedules. It returns how many fluxes were requeued.
func (g *Gateway) Retry(ctx context.Context, id int64) (int, error) {
	if id != 0 {
		if _, err := g.journal.File(ctx, id); err != nil {
			return 0, err
		}
	}
	n, err := g.journal.Requeue(ctx, id)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, d := range g.dests {
		if err := g.deliver.Deliver(ctx, d, true); err != nil {
			errs = append(errs, fmt.Errorf("deposit to %s: %w", d.Name(), err))
		}
	}
	return n, errors.Join(errs...)
}

// Reprocess runs a file already handled (by journal id, or the latest file of that name)
// through its source again, with mappingPath instead of the source's mapping when given.
// The original run and its stored copy stay as they are, for audit; invoices it deposited
// are not deposited again (they come back as DUPLICATE). It returns the new run's id.
func (g *Gateway) Reprocess(ctx context.Context, ref, mappingPath string) (int64, string, error) {
	orig, err := g.findFile(ctx, ref)
	if err != nil {
		return 0, "", err
	}
	if orig.State != journal.FileDone || orig.StoredName == "" {
		return 0, "", fmt.Errorf("file %d (%s) is still being processed (%s); wait for it to finish", orig.ID, orig.Name, orig.State)
	}
	r := g.routeOf(orig.Source)
	if r == nil {
		return 0, "", fmt.Errorf("file %d: source %q is no longer configured", orig.ID, orig.Source)
	}
	if mappingPath != "" {
		m, err := mapping.Load(mappingPath)
		if err != nil {
			return 0, "", err
		}
		alt := *r
		alt.mapping = m
		r = &alt
	}
	data, err := folder.ReadAll(ctx, r.in, orig.StoredName)
	if err != nil {
		return 0, "", fmt.Errorf("read the stored copy of file %d: %w", orig.ID, err)
	}
	id, err := g.journal.ClaimFile(ctx, r.cfg.Name, orig.Name, orig.SHA256, orig.Size, orig.ID)
	if err != nil {
		return 0, "", err
	}
	if err := r.in.WriteAtomic(ctx, processingName(id, orig.Name), bytes.NewReader(data)); err != nil {
		return 0, "", fmt.Errorf("copy file %d into processing: %w", orig.ID, err)
	}
	status, err := g.resume(ctx, r, id)
	if err != nil {
		return id, "", err
	}
	if r.dest.Schedule.Now {
		err = g.deliver.Deliver(ctx, r.dest, false)
	}
	return id, status, err
}

// findFile finds a file by journal id or, failing that, the latest one of that name.
func (g *Gateway) findFile(ctx context.Context, ref string) (journal.File, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return g.journal.File(ctx, id)
	}
	files, err := g.journal.Files(ctx, time.Time{})
	if err != nil {
		return journal.File{}, err
	}
	for _, f := range files {
		if f.Name == ref || path.Base(f.StoredName) == ref {
			return f, nil
		}
	}
	return journal.File{}, fmt.Errorf("no file %q in the journal: give its id (fluxgate status lists them) or its name", ref)
}
