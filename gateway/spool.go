package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// spoolWorkers is how many flux files of one input file are written into the spool at once.
// Each write ends with an fsync; fsyncs issued together are committed together by the file
// system (one journal commit of ext4, XFS…), so eight at once cost about what one costs.
const spoolWorkers = 8

// spoolWriter writes the flux files of one input file into the spool while its mapping goes
// on, and makes them durable together, in flush. On Linux (folder.FSSyncer) each file is
// created under its final name, unsynced (no temporary name, no rename: one inode creation
// per file, the bulk of a big file's cost), and one syncfs of the spool's file system makes
// all of them durable, data and names; elsewhere each file is synced before it is renamed
// into place and the spool directory is synced once for all of them.
//
// Crash safety: nothing refers to a spool file before flush returned: the journal records
// the fluxes after it, in one transaction (process; for a chunk of a big file, recordChunk,
// with a writer of its own per chunk). A crash before (a SIGKILL while a file
// is half written, or a power loss before the syncfs) leaves spool files nobody knows of,
// possibly empty or partial under their final names: the start-up cleanup (cleanSpool)
// removes every spool file no flux names, and the input file, not recorded processed, is
// processed again and writes them again under the same names, which no other file uses
// (they start with its journal id). So a partial file under a final name is never read:
// what the journal names was whole when the syncfs returned, and is never written again.
type spoolWriter struct {
	spool  folder.Folder
	fss    *folder.FSSync // one syncfs for all the files, or nil: synced one by one
	ctx    context.Context
	cancel context.CancelFunc
	jobs   chan spoolJob
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error // the first write that failed
	closed bool  // jobs is closed
}

type spoolJob struct {
	name string
	data []byte
}

func newSpoolWriter(ctx context.Context, spool folder.Folder) *spoolWriter {
	ctx, cancel := context.WithCancel(ctx)
	w := &spoolWriter{spool: spool, ctx: ctx, cancel: cancel, jobs: make(chan spoolJob, spoolWorkers)}
	if fs, ok := spool.(folder.FSSyncer); ok {
		// Opened before the writes, so that syncfs reports their write-back errors.
		if fss, err := fs.StartFSSync(ctx); err == nil {
			w.fss = fss
		}
	}
	for range spoolWorkers {
		w.wg.Add(1)
		go w.work()
	}
	return w
}

func (w *spoolWriter) work() {
	defer w.wg.Done()
	ds, deferred := w.spool.(folder.DirSyncer)
	fs, _ := w.spool.(folder.FSSyncer)
	for job := range w.jobs {
		if w.failed() != nil {
			continue // the file fails anyway: drain
		}
		var err error
		switch {
		case w.fss != nil:
			// Unsynced, under its name at once: flush's syncfs makes it durable before
			// anything refers to it. A name there already is a file of an earlier attempt
			// at the same input file (a chunk recorded held, then a failure): replaced
			// whole, by a rename, never written into (a deposit may have linked it).
			if err = w.fss.Create(job.name, job.data); errors.Is(err, folder.ErrExist) {
				var tmp string
				if tmp, err = fs.WriteTempUnsynced(w.ctx, job.name, bytes.NewReader(job.data)); err == nil {
					err = fs.CommitTemp(w.ctx, tmp, job.name)
				}
			}
		case deferred:
			err = ds.WriteAtomicNoDirSync(w.ctx, job.name, bytes.NewReader(job.data))
		default:
			err = w.spool.WriteAtomic(w.ctx, job.name, bytes.NewReader(job.data))
		}
		if err != nil {
			w.fail(fmt.Errorf("spool %s: %w", job.name, err))
		}
	}
}

func (w *spoolWriter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
		w.cancel()
	}
}

func (w *spoolWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// write queues data to be written under name; it returns the error of an earlier write,
// so that the mapping stops at the first failure.
func (w *spoolWriter) write(name string, data []byte) error {
	if err := w.failed(); err != nil {
		return err
	}
	select {
	case w.jobs <- spoolJob{name, data}:
		return nil
	case <-w.ctx.Done():
		if err := w.failed(); err != nil {
			return err
		}
		return w.ctx.Err()
	}
}

// flush waits for every write queued, then syncs the spool's file system once (syncfs) or
// its directory once (the files were synced one by one): when it returns nil, every file
// written is durable under its name, and only then may the journal record them.
func (w *spoolWriter) flush() error {
	defer w.stop()
	w.drain()
	if err := w.failed(); err != nil {
		return err
	}
	if w.fss != nil {
		if err := w.fss.Sync(); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		return nil
	}
	if ds, ok := w.spool.(folder.DirSyncer); ok {
		if err := ds.SyncDir(w.ctx, "."); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	return nil
}

// drain stops the workers once the writes queued are done.
func (w *spoolWriter) drain() {
	w.mu.Lock()
	closed := w.closed
	w.closed = true
	w.mu.Unlock()
	if !closed {
		close(w.jobs)
	}
	w.wg.Wait()
}

// stop ends the writer, its queued writes done or given up. It may be called more than once.
func (w *spoolWriter) stop() {
	w.cancel()
	w.drain()
	w.mu.Lock()
	fss := w.fss
	w.fss = nil
	w.mu.Unlock()
	if fss != nil {
		fss.Close()
	}
}
