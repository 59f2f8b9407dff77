package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
	invsyntax "github.com/fluxgate/fluxgate/invoice/syntax"
	"github.com/fluxgate/fluxgate/mapping"
)

// take claims a ready file and processes it to the end: journal row first, then the move
// into processing/, then mapping, checks, spool, journal, ack and the move into archive/ or
// error/. It returns the file's status.
func (g *Gateway) take(ctx context.Context, r *route, fi folder.FileInfo) (string, error) {
	// Among several instances, one at a time claims a dropped name; the other leaves it
	// (cluster.go). The name is read under the lock: one claimed and moved meanwhile is gone.
	if g.journalDown() {
		r.watcher.Forget(fi.Name) // paused until the database answers, said once (cluster.go)
		return "", nil
	}
	unlock, mine, err := g.journal.TryLockName(ctx, r.cfg.Name, fi.Name)
	if err != nil {
		g.journalFailed(err)
		r.watcher.Forget(fi.Name)
		return "", nil
	}
	defer unlock()
	if !mine {
		r.watcher.Forget(fi.Name)
		return "", nil
	}
	sum, err := hashFile(ctx, r.in, fi.Name)
	if errors.Is(err, folder.ErrNotExist) && g.cluster != nil {
		// Another instance claimed it first and moved it away (cluster.go).
		g.log.Debug("file taken by another instance before it was read", "source", r.cfg.Name, "file", fi.Name)
		r.watcher.Forget(fi.Name)
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", fi.Name, err)
	}
	// The same file seen again after a claim that did not get through is resumed under its
	// first journal row, so that its failures add up (resume) instead of each scan claiming
	// it anew; one abandoned where it was dropped is left alone.
	prev, found, err := g.journal.UnfinishedClaim(ctx, r.cfg.Name, fi.Name, sum)
	if err != nil {
		return "", err
	}
	if found && prev.State == journal.FileDone {
		g.log.Warn("file left in the drop folder after repeated failures; move it away by hand", "source", r.cfg.Name, "file", fi.Name, "id", prev.ID)
		return prev.Status, nil
	}
	if found && !g.inProcessing(ctx, r, prev) {
		// Among several instances, the claim may be another's, still under way (cluster.go).
		if ok, err := g.takeOver(ctx, prev.ID); err != nil || !ok {
			r.watcher.Forget(fi.Name) // seen again later: taken over if its claimer died
			return "", err
		}
		g.log.Info("claiming again a file whose claim did not get through", "source", r.cfg.Name, "file", fi.Name, "id", prev.ID)
		return g.resumeDropped(ctx, r, fi, prev.ID)
	}
	id, err := g.journal.ClaimFile(ctx, r.cfg.Name, fi.Name, sum, fi.Size, 0)
	if errors.Is(err, journal.ErrClaimedElsewhere) {
		g.log.Debug("file claimed by another instance at the same moment", "source", r.cfg.Name, "file", fi.Name)
		r.watcher.Forget(fi.Name)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	g.log.Info("file claimed", "source", r.cfg.Name, "file", fi.Name, "id", id, "sha256", sum)
	return g.resumeDropped(ctx, r, fi, id)
}

// resumeDropped moves the claimed file id from the drop folder into processing/ and
// processes it. A name too long for the names the gateway gives it stays where it is:
// process rejects it and finish moves it into error/ under a shortened name.
func (g *Gateway) resumeDropped(ctx context.Context, r *route, fi folder.FileInfo, id int64) (string, error) {
	if nameFits(fi.Name) {
		if err := r.in.Rename(ctx, fi.Name, processingName(id, fi.Name)); err != nil {
			if errors.Is(err, folder.ErrNotExist) {
				if lost, err := g.lostClaim(ctx, r, fi, id); err != nil || lost {
					return "", err // another instance's rename won: its claim stands (cluster.go)
				}
				g.log.Warn("file vanished before it could be claimed", "source", r.cfg.Name, "file", fi.Name)
				if err := g.vanished(ctx, r, id); err != nil {
					return "", err
				}
				return journal.StatusRejected, g.writeAck(ctx, id)
			}
			return g.failed(ctx, r, id, fmt.Errorf("claim %s: %w", fi.Name, err))
		}
		r.watcher.Forget(fi.Name)
	}
	status, err := g.resume(ctx, r, id)
	if err == nil {
		r.watcher.Forget(fi.Name)
	}
	return status, err
}

// inProcessing reports whether the claimed file f is in processing/ already.
func (g *Gateway) inProcessing(ctx context.Context, r *route, f journal.File) bool {
	if !nameFits(f.Name) {
		return false
	}
	_, err := r.in.Stat(ctx, processingName(f.ID, f.Name))
	return err == nil
}

// process maps and checks the claimed file, spools the flux files of its valid invoices and
// records the outcome in one transaction.
func (g *Gateway) process(ctx context.Context, r *route, f journal.File) error {
	if !nameFits(f.Name) {
		return g.journal.RecordResult(ctx, f.ID, journal.StatusRejected, []journal.Problem{nameTooLong(f.Name)}, nil)
	}
	// Files taken by several workers are processed one at a time: whether a file or an
	// invoice is a duplicate, and which final names are free, is decided against every file
	// recorded before, never against one being recorded at the same moment.
	g.decide.Lock()
	defer g.decide.Unlock()
	stored := processingName(f.ID, f.Name)
	if _, err := r.in.Stat(ctx, stored); errors.Is(err, folder.ErrNotExist) {
		// Claimed, but the move did not happen (a crash in between): do it now.
		if err := r.in.Rename(ctx, f.Name, stored); err != nil {
			if errors.Is(err, folder.ErrNotExist) {
				return g.vanished(ctx, r, f.ID)
			}
			return fmt.Errorf("claim %s: %w", f.Name, err)
		}
	}
	if r.cfg.Dedupe.FilesOn() && f.ReprocessOf == 0 {
		prev, dup, err := g.journal.Accepted(ctx, r.cfg.Name, f.SHA256, f.ID)
		if err != nil {
			return err
		}
		if dup {
			return g.journal.RecordResult(ctx, f.ID, journal.StatusDuplicate, []journal.Problem{duplicateFile(prev)}, nil)
		}
	}
	if limit := int64(r.cfg.Limits.MaxFileSize); f.Size > limit {
		return g.journal.RecordResult(ctx, f.ID, journal.StatusRejected, []journal.Problem{fileTooLarge(f.Size, limit)}, nil)
	}
	rc, err := r.in.Open(ctx, stored)
	if err != nil {
		return fmt.Errorf("open %s: %w", stored, err)
	}
	defer rc.Close()

	// The bytes mapped are hashed as they are read: if they are not the bytes hashed at the
	// claim, the file changed in between (a writer still at work despite the quiet period).
	read := sha256.New()
	run := &fileRun{g: g, r: r, fileID: f.ID, used: map[string]bool{}, keys: map[string]int{}, contents: map[string]string{},
		spool: newSpoolWriter(ctx, g.spool)}
	defer run.spool.stop()
	// What the mapping tells without rejecting (rows it skipped, paths that matched nothing)
	// is logged and listed in the ack as warnings of the file.
	var notices []journal.Problem
	notice := func(n mapping.Notice) {
		g.log.Info("mapping notice", "source", r.cfg.Name, "file", f.Name, "line", n.Position.Line, "rule", n.Rule, "message", n.EN)
		notices = append(notices, journal.Problem{Rule: n.Rule, Severity: string(invoice.Warning), Line: n.Position.Line,
			Field: n.Position.Column, MappingLine: n.Position.MappingLine, FR: n.FR, EN: n.EN})
	}
	err = r.mapping.MapWith(ctx, io.TeeReader(rc, read), f.Name, mapping.Options{Notice: notice}, func(res *mapping.Result) error {
		g.invoiceMapped()
		return run.add(ctx, res)
	})
	if err == nil {
		_, err = io.Copy(read, rc) // what the mapping did not need to read
	}
	if err == nil && hex.EncodeToString(read.Sum(nil)) != f.SHA256 {
		return g.journal.RecordResult(ctx, f.ID, journal.StatusRejected, []journal.Problem{changedWhileRead()}, nil)
	}
	fileProblems := notices
	var fe *mapping.FileError
	var limit limitError
	switch {
	case errors.As(err, &fe):
		// A file that cannot be read to its end is rejected whole: half an export deposited
		// is worse than none, and the sender fixes and sends it again.
		fileProblems = append(fileProblems, journal.Problem{Rule: "FG-FILE", Severity: string(invoice.Fatal), Line: fe.Line, Field: fe.Column, FR: fe.FR, EN: fe.EN})
		run.invoices = nil
	case errors.As(err, &limit):
		fileProblems = append(fileProblems, limit.problem)
		run.invoices = nil
	case err != nil:
		return fmt.Errorf("map %s: %w", f.Name, err)
	case len(run.invoices) == 0:
		fileProblems = append(fileProblems, journal.Problem{Rule: "FG-EMPTY", Severity: string(invoice.Fatal),
			FR: "Le fichier ne contient aucune facture.", EN: "The file holds no invoice."})
	}
	// Every spool file made durable (one syncfs on Linux, else each file and the spool
	// directory once) before the one transaction that records the fluxes: the journal never
	// points at a flux file a crash could lose (spool.go).
	if err := run.spool.flush(); err != nil {
		return err
	}
	status := fileStatus(run.invoices, fileProblems)
	if err := g.journal.RecordResult(ctx, f.ID, status, fileProblems, run.invoices); err != nil {
		return err
	}
	g.log.Info("file processed", "source", r.cfg.Name, "file", f.Name, "id", f.ID, "status", status, "invoices", len(run.invoices))
	return nil
}

// fileRun gathers the outcome of one file's invoices as the mapping emits them.
type fileRun struct {
	g        *Gateway
	r        *route
	fileID   int64
	invoices []journal.NewInvoice
	used     map[string]bool   // final names taken by this file's own fluxes
	keys     map[string]int    // invoice identities accepted in this file, with their seq
	contents map[string]string // and the digest of their content
	spool    *spoolWriter      // writes the flux files while the mapping goes on (spool.go)
}

// limitError stops a mapping that exceeds a configured limit.
type limitError struct{ problem journal.Problem }

func (e limitError) Error() string { return e.problem.EN }

func (run *fileRun) add(ctx context.Context, res *mapping.Result) error {
	limits := run.r.cfg.Limits
	if len(run.invoices) >= limits.MaxInvoices {
		return limitError{journal.Problem{Rule: "FG-LIMIT-INVOICES", Severity: string(invoice.Fatal), Line: res.Lines[0],
			FR: fmt.Sprintf("Le fichier contient plus de %d factures, le maximum configuré (limits.max_invoices) : découpez l'export.", limits.MaxInvoices),
			EN: fmt.Sprintf("The file holds more than %d invoices, the configured maximum (limits.max_invoices): split the export.", limits.MaxInvoices)}}
	}
	inv, err := run.g.invoiceOutcome(ctx, run, len(run.invoices)+1, res)
	if err != nil {
		return err
	}
	run.invoices = append(run.invoices, inv)
	return nil
}

// invoiceOutcome checks one mapped invoice and, when it has no fatal problem and was not
// accepted before, writes its flux files into the spool.
func (g *Gateway) invoiceOutcome(ctx context.Context, run *fileRun, seq int, res *mapping.Result) (journal.NewInvoice, error) {
	r := run.r
	inv := res.Invoice
	out := journal.NewInvoice{Seq: seq, Number: res.Key, FirstLine: res.Lines[0], LastLine: res.Lines[1]}
	if inv != nil {
		if inv.Number != "" {
			out.Number = inv.Number
		}
		out.IssueDate = inv.IssueDate.String()
		out.Seller = sellerKey(inv)
		out.ContentSHA256 = contentDigest(inv)
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
		return out, nil
	}
	if inv != nil {
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
	}
	if inv == nil || hasFatal(out.Problems) {
		return out, nil
	}
	if r.cfg.Dedupe.InvoicesOn() {
		dup, err := g.duplicateInvoice(ctx, run, out)
		if err != nil {
			return out, err
		}
		if dup != nil {
			out.Problems = append(out.Problems, *dup)
			if dup.Severity != string(invoice.Fatal) {
				out.Status = journal.InvoiceDuplicate
			} // else REJECTED: the same invoice with another content
			return out, nil
		}
		run.keys[invoiceKey(out)] = seq
		run.contents[invoiceKey(out)] = out.ContentSHA256
	}
	for _, syntax := range r.cfg.Outputs {
		data, err := invsyntax.Write(syntax, inv)
		if err != nil {
			return out, fmt.Errorf("write %s of invoice %s: %w", syntax, out.Number, err)
		}
		spoolName := fmt.Sprintf("%d-%d-%s%s", run.fileID, seq, syntax, invsyntax.Extension(syntax))
		if err := run.spool.write(spoolName, data); err != nil {
			return out, err
		}
		final, err := g.finalName(ctx, r.dest.Name(), run.fileID, seq, out.Number, syntax, run.used)
		if err != nil {
			return out, err
		}
		sum := sha256.Sum256(data)
		out.Fluxes = append(out.Fluxes, journal.Flux{
			Destination: r.dest.Name(), Syntax: syntax, SpoolName: spoolName, FinalName: final,
			SHA256: hex.EncodeToString(sum[:]),
		})
	}
	return out, nil
}

// duplicateInvoice returns the problem of an invoice already accepted, earlier in this file
// or from another file, or nil: a warning when it is the same invoice (it is not deposited
// again), FG-DUPLICATE-CHANGED, fatal, when its content differs from the one accepted (an
// invoice cannot be changed once deposited: a credit note or a new number is needed).
func (g *Gateway) duplicateInvoice(ctx context.Context, run *fileRun, inv journal.NewInvoice) (*journal.Problem, error) {
	key := invoiceKey(inv)
	if seq, ok := run.keys[key]; ok {
		if changed(run.contents[key], inv.ContentSHA256) {
			return &journal.Problem{Rule: "FG-DUPLICATE-CHANGED", Severity: string(invoice.Fatal), Line: inv.FirstLine, BT: []string{"BT-1"},
				FR: fmt.Sprintf("La facture %s du %s figure déjà plus haut dans ce fichier (facture n° %d du fichier) avec d'autres montants ou d'autres données : seule la première est déposée. Une facture ne se corrige pas en la renvoyant : émettez un avoir ou une facture sous un nouveau numéro.", inv.Number, inv.IssueDate, seq),
				EN: fmt.Sprintf("Invoice %s of %s already appears earlier in this file (invoice %d of the file) with other amounts or other data: only the first is deposited. An invoice is not corrected by sending it again: issue a credit note or a new number.", inv.Number, inv.IssueDate, seq)}, nil
		}
		return &journal.Problem{Rule: "FG-DUPLICATE-INVOICE", Severity: string(invoice.Warning), Line: inv.FirstLine, BT: []string{"BT-1"},
			FR: fmt.Sprintf("La facture %s du %s figure déjà plus haut dans ce fichier (facture n° %d du fichier) : elle n'est déposée qu'une fois.", inv.Number, inv.IssueDate, seq),
			EN: fmt.Sprintf("Invoice %s of %s already appears earlier in this file (invoice %d of the file): it is deposited once.", inv.Number, inv.IssueDate, seq)}, nil
	}
	prior, content, ok, err := g.journal.AcceptedInvoiceContent(ctx, inv.Seller, inv.Number, inv.IssueDate, run.fileID)
	if err != nil || !ok {
		return nil, err
	}
	when := prior.Received.Local().Format("02/01/2006 15:04")
	if changed(content, inv.ContentSHA256) {
		fr, en := "déjà été déposée", "already deposited"
		if prior.Status != journal.InvoiceDeposited {
			fr, en = "déjà été acceptée (son dépôt est en cours)", "already accepted (its deposit is under way)"
		}
		return &journal.Problem{Rule: "FG-DUPLICATE-CHANGED", Severity: string(invoice.Fatal), Line: inv.FirstLine, BT: []string{"BT-1"},
			FR: fmt.Sprintf("La facture %s du %s a %s avec d'autres montants ou d'autres données, le %s (fichier %s) : elle n'est pas déposée à nouveau. Une facture ne se corrige pas en la renvoyant : émettez un avoir ou une facture sous un nouveau numéro.", inv.Number, inv.IssueDate, fr, when, prior.FileName),
			EN: fmt.Sprintf("Invoice %s of %s was %s with other amounts or other data, on %s (file %s): it is not deposited again. An invoice is not corrected by sending it again: issue a credit note or a new number.", inv.Number, inv.IssueDate, en, when, prior.FileName)}, nil
	}
	return &journal.Problem{Rule: "FG-DUPLICATE-INVOICE", Severity: string(invoice.Warning), Line: inv.FirstLine, BT: []string{"BT-1"},
		FR: fmt.Sprintf("La facture %s du %s a déjà été acceptée le %s (fichier %s) : elle n'est pas déposée une seconde fois.", inv.Number, inv.IssueDate, when, prior.FileName),
		EN: fmt.Sprintf("Invoice %s of %s was already accepted on %s (file %s): it is not deposited a second time.", inv.Number, inv.IssueDate, when, prior.FileName)}, nil
}

// changed reports whether two content digests say the invoices differ; a digest unknown
// (an invoice recorded before digests were kept) says nothing.
func changed(prior, now string) bool { return prior != "" && now != "" && prior != now }

// contentDigest is the SHA-256 of the invoice's EN 16931 model, as JSON: the same export
// maps to the same digest, and any other amount, line or party to another.
func contentDigest(inv *invoice.Invoice) string {
	data, err := json.Marshal(inv)
	if err != nil {
		return "" // cannot happen: the model holds strings, numbers, dates and decimals
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// sellerKey identifies the seller for the invoice's identity: its VAT id, else its first
// identifier, else its legal registration, else its name.
func sellerKey(inv *invoice.Invoice) string {
	s := inv.Seller
	switch {
	case s.VATID != "":
		return s.VATID
	case len(s.IDs) > 0 && s.IDs[0].Value != "":
		return s.IDs[0].Value
	case s.LegalID.Value != "":
		return s.LegalID.Value
	}
	return s.Name
}

func invoiceKey(inv journal.NewInvoice) string {
	return inv.Seller + "\x00" + inv.Number + "\x00" + inv.IssueDate
}

func duplicateFile(prev journal.File) journal.Problem {
	when := prev.Received.Local().Format("02/01/2006 15:04")
	return journal.Problem{Rule: "FG-DUPLICATE-FILE", Severity: string(invoice.Warning),
		FR: fmt.Sprintf("Ce fichier a déjà été traité le %s (fichier %s, même contenu, sha256 %s) : rien n'a été déposé une seconde fois.", when, prev.Name, prev.SHA256),
		EN: fmt.Sprintf("This file was already processed on %s (file %s, same content, sha256 %s): nothing was deposited a second time.", when, prev.Name, prev.SHA256)}
}

func changedWhileRead() journal.Problem {
	return journal.Problem{Rule: "FG-CHANGED", Severity: string(invoice.Fatal),
		FR: "Le fichier a été modifié pendant sa lecture : son export n'était sans doute pas terminé. Rien n'a été déposé ; déposez-le à nouveau une fois complet (ou utilisez un fichier témoin, ready.marker).",
		EN: "The file changed while it was read: its export was probably not finished. Nothing was deposited; drop it again once complete (or use a marker file, ready.marker)."}
}

func fileTooLarge(size, limit int64) journal.Problem {
	return journal.Problem{Rule: "FG-LIMIT-SIZE", Severity: string(invoice.Fatal),
		FR: fmt.Sprintf("Le fichier fait %d octets, plus que le maximum configuré (%d octets, limits.max_file_size) : découpez l'export.", size, limit),
		EN: fmt.Sprintf("The file is %d bytes, more than the configured maximum (%d bytes, limits.max_file_size): split the export.", size, limit)}
}

func fileStatus(invoices []journal.NewInvoice, fileProblems []journal.Problem) string {
	accepted, duplicates := 0, 0
	for _, inv := range invoices {
		switch {
		case inv.Status == journal.InvoiceDuplicate:
			duplicates++
		case len(inv.Fluxes) > 0:
			accepted++
		}
	}
	switch {
	case hasFatal(fileProblems) || accepted+duplicates == 0:
		return journal.StatusRejected
	case accepted == 0 && duplicates == len(invoices):
		return journal.StatusDuplicate
	case accepted+duplicates == len(invoices):
		return journal.StatusAccepted
	default:
		return journal.StatusPartial
	}
}

// finish moves a processed file from processing/ to archive/ (something was accepted) or
// error/ (all rejected). The target is recorded first, so a crash in between is resumed.
func (g *Gateway) finish(ctx context.Context, r *route, f journal.File) error {
	return g.finishFrom(ctx, r, f, claimedAt(f))
}

// finishFrom is finish for a file that lies at from.
func (g *Gateway) finishFrom(ctx context.Context, r *route, f journal.File, from string) error {
	target := f.StoredName
	if target == from || target == "" {
		dir := archiveDir
		if f.Status == journal.StatusRejected {
			dir = errorDir
		}
		// A name too long to be stored is shortened, still saying which file it was.
		base := ack.ShortName(path.Base(f.Name), ack.MaxName-storedOverhead)
		var err error
		if target, err = folder.UniqueName(ctx, r.in, dir, base, g.now()); err != nil {
			return err
		}
		if err := g.journal.MoveFile(ctx, f.ID, target, journal.FileProcessed); err != nil {
			return err
		}
	}
	if err := r.in.Rename(ctx, from, target); err != nil && !errors.Is(err, folder.ErrNotExist) {
		return fmt.Errorf("move %s to %s: %w", from, target, err)
	}
	return g.journal.MoveFile(ctx, f.ID, target, journal.FileDone)
}

// vanished records a claimed file that disappeared before it could be moved.
func (g *Gateway) vanished(ctx context.Context, r *route, id int64) error {
	p := journal.Problem{Rule: "FG-VANISHED", Severity: string(invoice.Fatal),
		FR: "Le fichier a disparu du dossier avant d'avoir pu être pris en charge ; déposez-le à nouveau.",
		EN: "The file disappeared from the folder before it could be taken; drop it again."}
	if err := g.journal.RecordResult(ctx, id, journal.StatusRejected, []journal.Problem{p}, nil); err != nil {
		return err
	}
	return g.journal.MoveFile(ctx, id, "", journal.FileDone)
}

func hashFile(ctx context.Context, f folder.Folder, name string) (string, error) {
	rc, err := f.Open(ctx, name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hasFatal(ps []journal.Problem) bool {
	for _, p := range ps {
		if p.Severity == string(invoice.Fatal) {
			return true
		}
	}
	return false
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
