package gateway

import (
	"cmp"
	"context"
	"sync"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// chunk is a part of a file's invoices recorded in one transaction (fileRun): the outcomes
// the mapping gathered, in file order, and the spool writer of their flux files.
type chunk struct {
	invoices []*journal.NewInvoice
	spool    *spoolWriter   // writes the chunk's flux files while the mapping goes on (spool.go)
	wg       sync.WaitGroup // the chunk's invoices being written (fileRun.write)
	spooled  []string       // every spool file written, under fileRun.mu
}

func newChunk(ctx context.Context, spool folder.Folder) *chunk {
	return &chunk{spool: newSpoolWriter(ctx, spool)}
}

// written waits for the writes of the chunk's invoices and then for its spool: when it
// returns nil, every flux file of the chunk is durable in the spool (spoolWriter.flush), and
// only then may the journal record them.
func (run *fileRun) written(c *chunk) error {
	c.wg.Wait()
	if err := run.failed(); err != nil {
		return err
	}
	return c.spool.flush()
}

// handOff starts recording the chunk in hand on a goroutine of its own (recordChunk) and
// starts the next, so that the mapping goes on while the chunk's spool is synced and the
// journal records it. It first waits for the chunk recorded before, if any: two chunks at
// most are in hand, and they are recorded in file order.
func (run *fileRun) handOff(ctx context.Context) error {
	if err := run.recorded(); err != nil {
		return err
	}
	c := run.chunk
	run.chunk = newChunk(ctx, run.g.spool)
	done := make(chan error, 1)
	run.recording = done
	go func() {
		err := run.recordChunk(ctx, c)
		if err != nil {
			run.fail(err) // the mapping stops at its next invoice
		}
		done <- err
	}()
	return nil
}

// recorded waits for the chunk being recorded, if any, and returns its error.
func (run *fileRun) recorded() error {
	if run.recording == nil {
		return nil
	}
	err := <-run.recording
	run.recording = nil
	return err
}

// recordChunk records chunk c, its fluxes held, once its spool files are durable: never
// before (written), so the journal never points at a flux file a crash could lose. It runs
// on its own goroutine (handOff), one chunk at a time. A chunk that fails has its spool
// files removed: nothing refers to them.
func (run *fileRun) recordChunk(ctx context.Context, c *chunk) (err error) {
	defer func() {
		if err != nil {
			run.forget(ctx, c, nil)
		}
	}()
	if err := run.written(c); err != nil {
		return err
	}
	if dup, err := run.lock(ctx); err != nil || dup {
		return cmp.Or(err, errDuplicateFile)
	}
	invoices, err := run.decide(ctx, c)
	if err != nil {
		return err
	}
	if err := run.g.journal.RecordChunk(ctx, run.fileID, run.chunks == 0, invoices); err != nil {
		return err
	}
	run.forget(ctx, c, invoices)
	run.tally.add(invoices)
	run.chunks++
	run.earlier = nil
	clear(run.keys)
	clear(run.contents)
	return nil
}

// allWritten waits for the chunk being recorded, then for the writes of the chunk in hand
// and its spool (written). The error of a chunk's recording comes first: a file found a
// duplicate (errDuplicateFile) is recorded so already.
func (run *fileRun) allWritten() error {
	if err := run.recorded(); err != nil {
		run.chunk.wg.Wait()
		return err
	}
	return run.written(run.chunk)
}

// close ends the run on every path: the chunk being recorded is waited for, the spool writer
// of the chunk in hand stopped and Gateway.decide released.
func (run *fileRun) close() {
	run.recorded() // its error, if any, stopped the mapping (fileRun.failed)
	run.chunk.spool.stop()
	run.unlock()
}
