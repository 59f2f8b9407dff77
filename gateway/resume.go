package gateway

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
)

// maxResumeFailures is how many attempts to finish a file may fail, while its folder
// answers, before the gateway gives up on it: nothing is tried forever.
const maxResumeFailures = 5

// The names the gateway gives a dropped file add to its own: "<journal id>_" in
// processing/ (and a temporary name around it when a file is reprocessed), "<date>-<time>_"
// and "_<n>" in archive/ and error/.
const (
	processingOverhead = 20 + ack.TempOverhead // an int64's digits and "_", then the temporary name
	storedOverhead     = len("20060102-150405_") + len("_1000")
)

// nameFits reports whether the name a file was dropped under leaves room for the names the
// gateway gives it (processingOverhead, storedOverhead) within a file system's limit.
func nameFits(name string) bool {
	return len(path.Base(name))+max(processingOverhead, storedOverhead) <= ack.MaxName
}

// claimedAt is where a claimed file lies while it is processed: in processing/, or, for a
// name too long to be given another, where it was dropped.
func claimedAt(f journal.File) string {
	if !nameFits(f.Name) {
		return f.Name
	}
	return processingName(f.ID, f.Name)
}

// processingName is where a claimed file waits while it is processed. The journal id in the
// name keeps two files of the same name apart and lets recovery find it.
func processingName(id int64, name string) string {
	return path.Join(processingDir, strconv.FormatInt(id, 10)+"_"+path.Base(name))
}

// resume takes a claimed or processed file from wherever it stands to the end. After a
// crash it is called for every file the journal has not seen finished. An attempt that
// fails is counted (failed); the last one allowed gives up on the file.
func (g *Gateway) resume(ctx context.Context, r *route, id int64) (string, error) {
	status, err := g.resumeOnce(ctx, r, id)
	if err != nil {
		return g.failed(ctx, r, id, err)
	}
	return status, nil
}

func (g *Gateway) resumeOnce(ctx context.Context, r *route, id int64) (string, error) {
	f, err := g.journal.File(ctx, id)
	if err != nil {
		return "", err
	}
	if f.State == journal.FileClaimed {
		if err := g.process(ctx, r, f); err != nil {
			return "", err
		}
		if f, err = g.journal.File(ctx, id); err != nil {
			return "", err
		}
	}
	if f.State == journal.FileProcessed {
		err = g.finish(ctx, r, f) // writes the ack
	} else {
		err = g.writeAck(ctx, f.ID)
	}
	if err != nil {
		return "", err
	}
	if r.dest.Schedule.Now {
		r.dest.Kick()
	}
	return f.Status, nil
}

// failed counts a failed attempt to finish file id and returns cause. Failures while the
// source folder does not answer (a server down) are not counted: they say nothing of the
// file. After maxResumeFailures the gateway gives up on the file (abandon) and returns its
// final status: the ack and the log say why.
func (g *Gateway) failed(ctx context.Context, r *route, id int64, cause error) (string, error) {
	if ctx.Err() != nil {
		return "", cause
	}
	f, err := g.journal.File(ctx, id)
	if err != nil || f.State == journal.FileDone {
		return "", cause // finished; only its ack failed, which a later rewrite catches up
	}
	if _, err := r.in.Stat(ctx, processingDir); err != nil {
		return "", cause
	}
	n, err := g.journal.ResumeFailed(ctx, id, cause.Error())
	if err != nil {
		return "", errors.Join(cause, err)
	}
	if n < maxResumeFailures {
		return "", cause
	}
	if err := g.abandon(ctx, r, f, n, cause); err != nil {
		return "", err
	}
	if f, err = g.journal.File(ctx, id); err != nil {
		return "", err
	}
	return f.Status, nil
}

// abandon gives up on a file that failed n times. One that was not processed yet is
// rejected and moved into error/ when its folder lets it (else left where it lies); one
// processed already keeps its invoices, which go on to their deposit, and stays where it
// is. Either way its ack says why, and the log has an error to alert on.
func (g *Gateway) abandon(ctx context.Context, r *route, f journal.File, n int, cause error) error {
	g.log.Error("file abandoned after repeated failures", "source", r.cfg.Name, "file", f.Name, "id", f.ID,
		"state", f.State, "attempts", n, "err", cause)
	if f.State == journal.FileClaimed {
		if err := g.journal.RecordResult(ctx, f.ID, journal.StatusRejected, []journal.Problem{stuck(n, cause)}, nil, ""); err != nil {
			return errors.Join(cause, err)
		}
		// It lies in processing/, or where it was dropped when its claim did not get through.
		at := f.Name
		if g.inProcessing(ctx, r, f) {
			at = processingName(f.ID, f.Name)
		}
		rejected, err := g.journal.File(ctx, f.ID)
		if err == nil {
			err = g.finishFrom(ctx, r, rejected, at) // writes the ack
		}
		if err == nil {
			return nil
		}
		g.log.Warn("abandoned file not moved into error/; it stays where it is", "source", r.cfg.Name, "file", f.Name, "id", f.ID, "err", err)
		if err := g.journal.Abandon(ctx, f.ID, at, notMoved(at, err)); err != nil {
			return errors.Join(cause, err)
		}
		return g.writeAck(ctx, f.ID)
	}
	at := claimedAt(f)
	if err := g.journal.Abandon(ctx, f.ID, at, notMoved(at, cause)); err != nil {
		return errors.Join(cause, err)
	}
	return g.writeAck(ctx, f.ID)
}

// stuck is the problem of a file given up on before it could be processed.
func stuck(n int, cause error) journal.Problem {
	return journal.Problem{Rule: "FG-STUCK", Severity: string(invoice.Fatal),
		FR: fmt.Sprintf("Le fichier n'a pas pu être traité : %d essais ont échoué (dernière erreur : %s). Il est écarté pour ne pas être réessayé sans fin ; rien n'a été déposé. Faites corriger la cause, puis déposez-le à nouveau.", n, cause),
		EN: fmt.Sprintf("The file could not be processed: %d attempts failed (last error: %s). It is set aside so as not to be tried forever; nothing was deposited. Have the cause fixed, then drop it again.", n, cause)}
}

// notMoved is the warning of a file the gateway could not move where it belongs.
func notMoved(at string, cause error) journal.Problem {
	return journal.Problem{Rule: "FG-NOT-MOVED", Severity: string(invoice.Warning),
		FR: fmt.Sprintf("Le fichier n'a pas pu être rangé (%s) : il reste dans %s, où Fluxgate ne le reprendra plus. Déplacez-le à la main.", cause, at),
		EN: fmt.Sprintf("The file could not be put away (%s): it stays in %s, where Fluxgate will not take it again. Move it by hand.", cause, at)}
}

// nameTooLong is the problem of a file whose name leaves no room for the names the gateway
// gives it.
func nameTooLong(name string) journal.Problem {
	n, limit := len(path.Base(name)), ack.MaxName-max(processingOverhead, storedOverhead)
	return journal.Problem{Rule: "FG-NAME-TOO-LONG", Severity: string(invoice.Fatal),
		FR: fmt.Sprintf("Le nom du fichier est trop long : %d octets, pour %d au plus (Fluxgate le range sous un nom horodaté, qui doit tenir dans la limite de 255 octets des systèmes de fichiers). Rien n'a été lu ni déposé ; le fichier est rangé dans .fluxgate/error/ sous un nom raccourci. Renommez-le plus court, puis déposez-le à nouveau.", n, limit),
		EN: fmt.Sprintf("The file name is too long: %d bytes, for at most %d (Fluxgate stores the file under a dated name, which must fit the 255-byte limit of file systems). Nothing was read or deposited; the file is stored in .fluxgate/error/ under a shortened name. Give it a shorter name, then drop it again.", n, limit)}
}
