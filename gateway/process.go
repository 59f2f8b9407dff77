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
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
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
// records the outcome in one transaction. The mapping, checks and writes of several files
// run at once; what depends on the files recorded before (duplicates, final names) and the
// recording itself are one file at a time, under g.decide (filerun.go).
func (g *Gateway) process(ctx context.Context, r *route, f journal.File) error {
	if !nameFits(f.Name) {
		return g.journal.RecordResult(ctx, f.ID, journal.StatusRejected, []journal.Problem{nameTooLong(f.Name)}, nil, "")
	}
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
	// Checked here to spare the work, and again under g.decide, where it counts: the same
	// bytes may be in hand in another worker.
	if dup, err := g.duplicateFile(ctx, r, f); dup || err != nil {
		return err
	}
	if limit := int64(r.cfg.Limits.MaxFileSize); f.Size > limit {
		return g.journal.RecordResult(ctx, f.ID, journal.StatusRejected, []journal.Problem{fileTooLarge(f.Size, limit)}, nil, "")
	}
	rc, err := r.in.Open(ctx, stored)
	if err != nil {
		return fmt.Errorf("open %s: %w", stored, err)
	}
	defer rc.Close()

	// The bytes mapped are hashed as they are read: if they are not the bytes hashed at the
	// claim, the file changed in between (a writer still at work despite the quiet period).
	read := sha256.New()
	run := newFileRun(ctx, g, r, f)
	defer run.close()
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
	// Every spool file made durable (one syncfs on Linux, else each file and the spool
	// directory once) before the one transaction that records the fluxes: the journal never
	// points at a flux file a crash could lose (spool.go). A chunk recorded meanwhile may
	// have found the file a duplicate, which outweighs what the mapping found since.
	if werr := run.allWritten(); err == nil || errors.Is(werr, errDuplicateFile) {
		err = werr
	}
	if errors.Is(err, errDuplicateFile) {
		run.forget(ctx, run.chunk, nil)
		return nil // recorded DUPLICATE (fileRun.lock)
	}
	if err == nil && hex.EncodeToString(read.Sum(nil)) != f.SHA256 {
		return run.record(ctx, []journal.Problem{changedWhileRead()}, false)
	}
	fileProblems := notices
	var fe *mapping.FileError
	var limit limitError
	switch {
	case errors.As(err, &fe):
		// A file that cannot be read to its end is rejected whole: half an export deposited
		// is worse than none, and the sender fixes and sends it again.
		fileProblems = append(fileProblems, journal.Problem{Rule: "FG-FILE", Severity: string(invoice.Fatal), Line: fe.Line, Field: fe.Column, FR: fe.FR, EN: fe.EN})
		return run.record(ctx, fileProblems, false)
	case errors.As(err, &limit):
		return run.record(ctx, append(fileProblems, limit.problem), false)
	case err != nil:
		run.forget(ctx, run.chunk, nil)
		return fmt.Errorf("map %s: %w", f.Name, err)
	case run.mapped == 0:
		fileProblems = append(fileProblems, journal.Problem{Rule: "FG-EMPTY", Severity: string(invoice.Fatal),
			FR: "Le fichier ne contient aucune facture.", EN: "The file holds no invoice."})
	}
	return run.record(ctx, fileProblems, true)
}

// duplicateFile records f DUPLICATE, and reports it, when the same bytes were accepted
// before from this source.
func (g *Gateway) duplicateFile(ctx context.Context, r *route, f journal.File) (bool, error) {
	if !r.cfg.Dedupe.FilesOn() || f.ReprocessOf != 0 {
		return false, nil
	}
	prev, dup, err := g.journal.Accepted(ctx, r.cfg.Name, f.SHA256, f.ID)
	if err != nil || !dup {
		return false, err
	}
	return true, g.journal.RecordResult(ctx, f.ID, journal.StatusDuplicate, []journal.Problem{duplicateFileProblem(prev)}, nil, "")
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

func duplicateFileProblem(prev journal.File) journal.Problem {
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

func fileStatus(t tally, fileProblems []journal.Problem) string {
	switch {
	case hasFatal(fileProblems) || t.accepted+t.duplicates == 0:
		return journal.StatusRejected
	case t.accepted == 0 && t.duplicates == t.invoices:
		return journal.StatusDuplicate
	case t.accepted+t.duplicates == t.invoices:
		return journal.StatusAccepted
	default:
		return journal.StatusPartial
	}
}

// finish moves a processed file from processing/ to archive/ (something was accepted) or
// error/ (all rejected), then writes its ack, and records both at once (ackDone). The target
// is recorded first, with the file's result (fileRun.record), so a crash in between is
// resumed.
func (g *Gateway) finish(ctx context.Context, r *route, f journal.File) error {
	return g.finishFrom(ctx, r, f, claimedAt(f))
}

// finishFrom is finish for a file that lies at from.
func (g *Gateway) finishFrom(ctx context.Context, r *route, f journal.File, from string) error {
	target := f.StoredName
	if target == from || target == "" {
		// Recorded without its target (a rejection before processing, a journal of an
		// earlier version): chosen and recorded now.
		var err error
		if target, err = g.storedTarget(ctx, r, f, f.Status); err != nil {
			return err
		}
		if err := g.journal.MoveFile(ctx, f.ID, target, journal.FileProcessed); err != nil {
			r.stored.release(target)
			return err
		}
	}
	if err := r.in.Rename(ctx, from, target); err != nil && !errors.Is(err, folder.ErrNotExist) {
		return fmt.Errorf("move %s to %s: %w", from, target, err) // still reserved: recorded for f
	}
	r.stored.release(target)
	return g.ackDone(ctx, f, target)
}

// storedTarget chooses where processed file f goes once its status is known: archive/ when
// something of it was accepted, error/ when it was rejected, under a name no other file has
// or was given (storedNames). The caller records it, or releases it.
func (g *Gateway) storedTarget(ctx context.Context, r *route, f journal.File, status string) (string, error) {
	dir := archiveDir
	if status == journal.StatusRejected {
		dir = errorDir
	}
	// A name too long to be stored is shortened, still saying which file it was.
	base := ack.ShortName(path.Base(f.Name), ack.MaxName-storedOverhead)
	return r.stored.choose(ctx, r.in, dir, base, g.now())
}

// storedNames are the names in archive/ and error/ given to files recorded but not moved
// there yet: two workers that finish files of the same name in the same second must not
// be given the same one, since a move replaces the file it lands on.
type storedNames struct {
	mu    sync.Mutex
	names map[string]bool
}

// choose returns a name in dir for a file called base (folder.UniqueName) and reserves it.
func (s *storedNames) choose(ctx context.Context, in folder.Folder, dir, base string, now time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, err := folder.UniqueName(ctx, in, dir, base, now, func(name string) bool { return s.names[name] })
	if err != nil {
		return "", err
	}
	if s.names == nil {
		s.names = map[string]bool{}
	}
	s.names[name] = true
	return name, nil
}

// release forgets name, once the file is there or was not recorded with it.
func (s *storedNames) release(name string) {
	s.mu.Lock()
	delete(s.names, name)
	s.mu.Unlock()
}

// vanished records a claimed file that disappeared before it could be moved.
func (g *Gateway) vanished(ctx context.Context, r *route, id int64) error {
	p := journal.Problem{Rule: "FG-VANISHED", Severity: string(invoice.Fatal),
		FR: "Le fichier a disparu du dossier avant d'avoir pu être pris en charge ; déposez-le à nouveau.",
		EN: "The file disappeared from the folder before it could be taken; drop it again."}
	if err := g.journal.RecordResult(ctx, id, journal.StatusRejected, []journal.Problem{p}, nil, ""); err != nil {
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
