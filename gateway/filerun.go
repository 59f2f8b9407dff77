package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
	invsyntax "github.com/fluxgate/fluxgate/invoice/syntax"
	"github.com/fluxgate/fluxgate/mapping"
)

// fileRun gathers the outcome of one file's invoices as the mapping emits them, in three
// steps that let the costly work of several invoices, and of several files, overlap:
//
//  1. add, in the mapping's goroutine and in file order: the limits and the EN 16931 rules
//     (their findings are located in the export while the mapping's records are current);
//  2. write, on up to GOMAXPROCS goroutines: the content digest, the flux files (UBL, CII)
//     and their spool writes (spool.go), for the invoices that have no fatal problem;
//  3. decide, once the whole file (or chunk, below) is mapped, written and its spool
//     synced, under Gateway.decide: which invoices are duplicates (of this file or of a
//     file recorded before) and the final names of the others' fluxes. Only this step sees
//     the other files, so only it is one file at a time; the journal transaction that
//     records the file follows it under the same lock.
//
// The flux files of an invoice found a duplicate in step 3 were written for nothing: they
// are removed once the file is recorded (forget), and a crash before that leaves spool files
// no flux names, which the start-up cleanup removes (cleanSpool).
//
// A big file is recorded in chunks of Gateway.chunkInvoices, so that its memory stays bounded:
// each chunk written, synced, decided and recorded in one transaction, its fluxes held until
// the last chunk's transaction records the file and queues them all (journal.RecordChunk). A
// chunk is recorded on a goroutine of its own while the mapping fills the next one (chunk.go):
// at most two chunks are in hand, the one recorded and the one mapped. A file of several
// chunks holds Gateway.decide from its first chunk to its end: the other files' duplicates
// are decided against all of it or none of it.
type fileRun struct {
	g      *Gateway
	r      *route
	file   journal.File
	fileID int64
	chunk  *chunk // the chunk the mapping fills, in file order; the writers fill in digests and fluxes
	mapped int    // invoices handed to chunks: the seq of the last one

	// recording is the result of the chunk being recorded (chunk.go), nil when none is.
	// What the recording goroutine changes below is read by the mapping's goroutine only
	// once it received that result.
	recording chan error

	chunks int   // chunks recorded
	tally  tally // the invoices of the chunks recorded
	locked bool  // holds Gateway.decide

	writers chan struct{} // a slot per invoice being written at once
	mu      sync.Mutex
	err     error // the first write, or chunk recording, that failed

	keys     map[string]int                              // invoice identities accepted in the chunk, with their seq
	contents map[string]string                           // and the digest of their content
	prior    map[journal.InvoiceKey]journal.PriorInvoice // the chunk's invoices other files brought (decide)
	earlier  map[journal.InvoiceKey]journal.InFile       // and the earlier chunks of this file (decide)
	names    *fluxNames                                  // the final names of the chunk's fluxes (decide)
}

// chunkInvoices is how many invoices of a file are recorded at once: a few MB of outcomes.
const chunkInvoices = 1000

// errDuplicateFile stops the mapping of a file found, at its first chunk, to be the bytes
// of a file accepted before: it is recorded DUPLICATE.
var errDuplicateFile = errors.New("the same file was accepted before")

func newFileRun(ctx context.Context, g *Gateway, r *route, f journal.File) *fileRun {
	return &fileRun{g: g, r: r, file: f, fileID: f.ID, chunk: newChunk(ctx, g.spool),
		writers: make(chan struct{}, runtime.GOMAXPROCS(0)),
		keys:    map[string]int{}, contents: map[string]string{}}
}

// tally counts a file's invoices by outcome.
type tally struct{ invoices, accepted, duplicates int }

func (t *tally) add(invoices []journal.NewInvoice) {
	for _, inv := range invoices {
		t.invoices++
		switch {
		case inv.Status == journal.InvoiceDuplicate:
			t.duplicates++
		case len(inv.Fluxes) > 0:
			t.accepted++
		}
	}
}

// limitError stops a mapping that exceeds a configured limit.
type limitError struct{ problem journal.Problem }

func (e limitError) Error() string { return e.problem.EN }

// add checks one mapped invoice and, unless it has a fatal problem, starts writing its flux
// files. It returns the error of an earlier write, so that the mapping stops at the first.
func (run *fileRun) add(ctx context.Context, res *mapping.Result) error {
	limits := run.r.cfg.Limits
	if run.mapped >= limits.MaxInvoices {
		return limitError{journal.Problem{Rule: "FG-LIMIT-INVOICES", Severity: string(invoice.Fatal), Line: res.Lines[0],
			FR: fmt.Sprintf("Le fichier contient plus de %d factures, le maximum configuré (limits.max_invoices) : découpez l'export.", limits.MaxInvoices),
			EN: fmt.Sprintf("The file holds more than %d invoices, the configured maximum (limits.max_invoices): split the export.", limits.MaxInvoices)}}
	}
	if err := run.failed(); err != nil {
		return err
	}
	if len(run.chunk.invoices) == run.g.chunkInvoices {
		if err := run.handOff(ctx); err != nil {
			return err
		}
	}
	run.mapped++
	out := run.check(res, run.mapped)
	c := run.chunk
	c.invoices = append(c.invoices, out)
	if res.Invoice == nil {
		return nil
	}
	select {
	case run.writers <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer func() { <-run.writers }()
		if err := run.write(c, out, res.Invoice); err != nil {
			run.fail(err)
		}
	}()
	return nil
}

// check is the outcome of one invoice before its flux files: its identity, and the problems
// the mapping and the rules found, located in the export.
func (run *fileRun) check(res *mapping.Result, seq int) *journal.NewInvoice {
	r := run.r
	inv := res.Invoice
	out := &journal.NewInvoice{Seq: seq, Number: res.Key, FirstLine: res.Lines[0], LastLine: res.Lines[1]}
	if inv != nil {
		if inv.Number != "" {
			out.Number = inv.Number
		}
		out.IssueDate = inv.IssueDate.String()
		out.Seller = sellerKey(inv)
	}
	// A value the mapping could not read is reported once, by the mapping: the rules it
	// then breaks on the same line (a missing VAT category after an unknown rate) would only
	// repeat it in other words.
	unmapped := map[string]bool{}
	for _, p := range res.Problems {
		unmapped[fmt.Sprint(p.Position.Line, p.BT)] = true
		out.Problems = append(out.Problems, journal.Problem{
			Rule: p.Rule, Severity: string(invoice.Fatal), Line: p.Position.Line, Field: p.Position.Column,
			BT: nonEmpty(p.BT), MappingLine: p.Position.MappingLine, FR: p.FR, EN: p.EN,
		})
	}
	// Doubts of the mapping (a line net amount that does not add up) warn, never reject.
	for _, p := range res.Warnings {
		out.Problems = append(out.Problems, journal.Problem{
			Rule: p.Rule, Severity: string(invoice.Warning), Line: p.Position.Line, Field: p.Position.Column,
			BT: nonEmpty(p.BT), MappingLine: p.Position.MappingLine, FR: p.FR, EN: p.EN,
		})
	}
	if inv != nil && len(inv.Lines) > r.cfg.Limits.MaxLinesPerInvoice {
		out.Problems = append(out.Problems, journal.Problem{Rule: "FG-LIMIT-LINES", Severity: string(invoice.Fatal), Line: res.Lines[0],
			FR: fmt.Sprintf("La facture a %d lignes, plus que le maximum configuré (%d, limits.max_lines_per_invoice).", len(inv.Lines), r.cfg.Limits.MaxLinesPerInvoice),
			EN: fmt.Sprintf("The invoice has %d lines, more than the configured maximum (%d, limits.max_lines_per_invoice).", len(inv.Lines), r.cfg.Limits.MaxLinesPerInvoice)})
		return out
	}
	if inv == nil {
		return out
	}
	for _, v := range invsyntax.CheckInvoice(inv, r.profile, r.cfg.Outputs...) {
		pos := res.Locate(v.Path, v.BT)
		if res.Repeats(v) || slices.ContainsFunc(v.BT, func(bt string) bool { return unmapped[fmt.Sprint(pos.Line, bt)] }) {
			continue
		}
		out.Problems = append(out.Problems, journal.Problem{
			Rule: v.Rule, Severity: string(v.Severity), Line: pos.Line, Field: pos.Column,
			BT: v.BT, MappingLine: pos.MappingLine, FR: v.FR, EN: v.EN,
		})
	}
	return out
}

// write fills in the digest of the invoice's content and, when it has no fatal problem,
// writes its flux files into the spool. Their final names are given by decide.
func (run *fileRun) write(c *chunk, out *journal.NewInvoice, inv *invoice.Invoice) error {
	out.ContentSHA256 = contentDigest(inv)
	if hasFatal(out.Problems) {
		return nil
	}
	for _, syntax := range run.r.cfg.Outputs {
		data, err := invsyntax.Write(syntax, inv)
		if err != nil {
			return fmt.Errorf("write %s of invoice %s: %w", syntax, out.Number, err)
		}
		spoolName := spoolName(run.fileID, out.Seq, syntax)
		if err := c.spool.write(spoolName, data); err != nil {
			return err
		}
		run.mu.Lock()
		c.spooled = append(c.spooled, spoolName)
		run.mu.Unlock()
		sum := sha256.Sum256(data)
		out.Fluxes = append(out.Fluxes, journal.Flux{
			Destination: run.r.dest.Name(), Syntax: syntax, SpoolName: spoolName, SHA256: hex.EncodeToString(sum[:]),
		})
	}
	return nil
}

func (run *fileRun) fail(err error) {
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.err == nil {
		run.err = err
	}
}

func (run *fileRun) failed() error {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.err
}

// lock takes Gateway.decide, once, and checks again, under it, whether the same bytes were
// accepted before (another worker may have recorded them meanwhile).
func (run *fileRun) lock(ctx context.Context) (duplicate bool, err error) {
	if run.locked {
		return false, nil
	}
	run.g.decide.Lock()
	run.locked = true
	return run.g.duplicateFile(ctx, run.r, run.file)
}

func (run *fileRun) unlock() {
	if run.locked {
		run.locked = false
		run.g.decide.Unlock()
	}
}

// record records the file's result with the chunk in hand (the whole file, unless it was
// recorded in chunks), under Gateway.decide. invoices is false for a file rejected whole.
func (run *fileRun) record(ctx context.Context, problems []journal.Problem, invoices bool) error {
	if dup, err := run.lock(ctx); err != nil || dup {
		run.forget(ctx, run.chunk, nil)
		return err
	}
	if !invoices {
		return run.rejectWhole(ctx, problems)
	}
	last, err := run.decide(ctx, run.chunk)
	if err != nil {
		return err
	}
	t := run.tally
	t.add(last)
	status := fileStatus(t, problems)
	// Where the file goes is recorded with its result: its move needs no transaction of
	// its own (finish).
	target, err := run.g.storedTarget(ctx, run.r, run.file, status)
	if err != nil {
		return err
	}
	if run.chunks == 0 {
		err = run.g.journal.RecordResult(ctx, run.fileID, status, problems, last, target)
	} else {
		err = run.g.journal.RecordChunkedResult(ctx, run.fileID, status, problems, last, t.invoices, target)
	}
	if err != nil {
		run.r.stored.release(target)
		return err
	}
	run.forget(ctx, run.chunk, last)
	run.g.log.Info("file processed", "source", run.r.cfg.Name, "file", run.file.Name, "id", run.fileID, "status", status, "invoices", t.invoices)
	return nil
}

// rejectWhole records the file rejected with none of its invoices, and removes the flux
// files of the chunks recorded before (a crash before leaves them to cleanSpool: no flux
// names them any more).
func (run *fileRun) rejectWhole(ctx context.Context, problems []journal.Problem) error {
	target, err := run.g.storedTarget(ctx, run.r, run.file, journal.StatusRejected)
	if err != nil {
		return err
	}
	if err := run.g.journal.RecordResult(ctx, run.fileID, journal.StatusRejected, problems, nil, target); err != nil {
		run.r.stored.release(target)
		return err
	}
	run.forget(ctx, run.chunk, nil)
	for seq := 1; seq <= run.tally.invoices; seq++ {
		for _, syntax := range run.r.cfg.Outputs {
			name := spoolName(run.fileID, seq, syntax)
			if err := run.g.spool.Remove(ctx, name); err != nil && !errors.Is(err, folder.ErrNotExist) {
				run.g.log.Warn("spool file not removed", "file", name, "err", err)
			}
		}
	}
	run.g.log.Info("file processed", "source", run.r.cfg.Name, "file", run.file.Name, "id", run.fileID, "status", journal.StatusRejected, "invoices", 0)
	return nil
}

// spoolName is the name of the flux file of a file's invoice in one syntax, in the spool:
// no other file's, since it starts with the file's journal id.
func spoolName(fileID int64, seq int, syntax string) string {
	return fmt.Sprintf("%d-%d-%s%s", fileID, seq, syntax, invsyntax.Extension(syntax))
}

// decide settles, under Gateway.decide, what depends on the files recorded before: the
// duplicates and the final names. It returns the invoices to record.
// What the journal knows of the chunk's invoices and names is asked once for the chunk.
func (run *fileRun) decide(ctx context.Context, c *chunk) ([]journal.NewInvoice, error) {
	var accepted []*journal.NewInvoice // the candidates: no fatal problem, fluxes written
	var keys []journal.InvoiceKey
	for _, out := range c.invoices {
		if len(out.Fluxes) > 0 {
			accepted = append(accepted, out)
			keys = append(keys, journal.InvoiceKey{Seller: out.Seller, Number: out.Number, IssueDate: out.IssueDate})
		}
	}
	if run.r.cfg.Dedupe.InvoicesOn() {
		var err error
		if run.prior, err = run.g.journal.AcceptedInvoices(ctx, keys, run.fileID); err != nil {
			return nil, err
		}
		if run.chunks > 0 {
			if run.earlier, err = run.g.journal.InvoicesInFile(ctx, run.fileID, keys); err != nil {
				return nil, err
			}
		}
	}
	run.names = &fluxNames{g: run.g, file: run.file, except: run.fileID, used: map[string]bool{}, taken: map[string]bool{}}
	if run.chunks > 0 {
		run.names.except = 0
	}
	if err := run.names.lookUp(ctx, accepted); err != nil {
		return nil, err
	}
	for _, out := range accepted {
		if err := run.decideOne(ctx, out); err != nil {
			return nil, err
		}
	}
	invoices := make([]journal.NewInvoice, len(c.invoices))
	for i, out := range c.invoices {
		invoices[i] = *out
	}
	return invoices, nil
}

// decideOne drops the fluxes of an invoice accepted before (a duplicate) and names the
// others'.
func (run *fileRun) decideOne(ctx context.Context, out *journal.NewInvoice) error {
	if run.r.cfg.Dedupe.InvoicesOn() {
		if dup := run.duplicateInvoice(*out); dup != nil {
			out.Problems = append(out.Problems, *dup)
			if dup.Severity != string(invoice.Fatal) {
				out.Status = journal.InvoiceDuplicate
			} // else REJECTED: the same invoice with another content
			out.Fluxes = nil // their spool files are removed by forget
			return nil
		}
		run.keys[invoiceKey(*out)] = out.Seq
		run.contents[invoiceKey(*out)] = out.ContentSHA256
	}
	for i := range out.Fluxes {
		fx := &out.Fluxes[i]
		final, err := run.names.name(ctx, fx.Destination, out.Seq, out.Number, fx.Syntax)
		if err != nil {
			return err
		}
		fx.FinalName = final
	}
	return nil
}

// duplicateInvoice returns the problem of an invoice already accepted, earlier in this file
// or from another file, or nil: a warning when it is the same invoice (it is not deposited
// again), FG-DUPLICATE-CHANGED, fatal, when its content differs from the one accepted (an
// invoice cannot be changed once deposited: a credit note or a new number is needed).
func (run *fileRun) duplicateInvoice(inv journal.NewInvoice) *journal.Problem {
	key := invoiceKey(inv)
	ik := journal.InvoiceKey{Seller: inv.Seller, Number: inv.Number, IssueDate: inv.IssueDate}
	seq, ok := run.keys[key]
	content := run.contents[key]
	if earlier, found := run.earlier[ik]; !ok && found { // an earlier chunk's
		seq, content, ok = earlier.Seq, earlier.Content, true
	}
	if ok {
		if changed(content, inv.ContentSHA256) {
			return &journal.Problem{Rule: "FG-DUPLICATE-CHANGED", Severity: string(invoice.Fatal), Line: inv.FirstLine, BT: []string{"BT-1"},
				FR: fmt.Sprintf("La facture %s du %s figure déjà plus haut dans ce fichier (facture n° %d du fichier) avec d'autres montants ou d'autres données : seule la première est déposée. Une facture ne se corrige pas en la renvoyant : émettez un avoir ou une facture sous un nouveau numéro.", inv.Number, inv.IssueDate, seq),
				EN: fmt.Sprintf("Invoice %s of %s already appears earlier in this file (invoice %d of the file) with other amounts or other data: only the first is deposited. An invoice is not corrected by sending it again: issue a credit note or a new number.", inv.Number, inv.IssueDate, seq)}
		}
		return &journal.Problem{Rule: "FG-DUPLICATE-INVOICE", Severity: string(invoice.Warning), Line: inv.FirstLine, BT: []string{"BT-1"},
			FR: fmt.Sprintf("La facture %s du %s figure déjà plus haut dans ce fichier (facture n° %d du fichier) : elle n'est déposée qu'une fois.", inv.Number, inv.IssueDate, seq),
			EN: fmt.Sprintf("Invoice %s of %s already appears earlier in this file (invoice %d of the file): it is deposited once.", inv.Number, inv.IssueDate, seq)}
	}
	prior, ok := run.prior[ik]
	if !ok {
		return nil
	}
	content = prior.ContentSHA256
	when := prior.Received.Local().Format("02/01/2006 15:04")
	if changed(content, inv.ContentSHA256) {
		fr, en := "déjà été déposée", "already deposited"
		if prior.Status != journal.InvoiceDeposited {
			fr, en = "déjà été acceptée (son dépôt est en cours)", "already accepted (its deposit is under way)"
		}
		return &journal.Problem{Rule: "FG-DUPLICATE-CHANGED", Severity: string(invoice.Fatal), Line: inv.FirstLine, BT: []string{"BT-1"},
			FR: fmt.Sprintf("La facture %s du %s a %s avec d'autres montants ou d'autres données, le %s (fichier %s) : elle n'est pas déposée à nouveau. Une facture ne se corrige pas en la renvoyant : émettez un avoir ou une facture sous un nouveau numéro.", inv.Number, inv.IssueDate, fr, when, prior.FileName),
			EN: fmt.Sprintf("Invoice %s of %s was %s with other amounts or other data, on %s (file %s): it is not deposited again. An invoice is not corrected by sending it again: issue a credit note or a new number.", inv.Number, inv.IssueDate, en, when, prior.FileName)}
	}
	return &journal.Problem{Rule: "FG-DUPLICATE-INVOICE", Severity: string(invoice.Warning), Line: inv.FirstLine, BT: []string{"BT-1"},
		FR: fmt.Sprintf("La facture %s du %s a déjà été acceptée le %s (fichier %s) : elle n'est pas déposée une seconde fois.", inv.Number, inv.IssueDate, when, prior.FileName),
		EN: fmt.Sprintf("Invoice %s of %s was already accepted on %s (file %s): it is not deposited a second time.", inv.Number, inv.IssueDate, when, prior.FileName)}
}

// forget removes the spool files of chunk c written for nothing: those of the invoices
// recorded without their fluxes (duplicates, or a file rejected whole). It is called once
// the chunk is recorded, or once it failed; the start-up cleanup removes any a crash leaves
// behind.
func (run *fileRun) forget(ctx context.Context, c *chunk, recorded []journal.NewInvoice) {
	c.wg.Wait()
	c.spool.stop() // its writes done or given up: none lands after its removal
	kept := map[string]bool{}
	for _, inv := range recorded {
		for _, fx := range inv.Fluxes {
			kept[fx.SpoolName] = true
		}
	}
	for _, name := range c.spooled {
		if kept[name] {
			continue
		}
		if err := run.g.spool.Remove(ctx, name); err != nil && !errors.Is(err, folder.ErrNotExist) {
			run.g.log.Warn("spool file not removed", "file", name, "err", err)
		}
	}
}
