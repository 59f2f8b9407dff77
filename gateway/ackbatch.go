package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/folder"
)

// writeAcks writes the acks of files, as a deposit round does once their fluxes are done.
// Into a local acks folder on Linux (folder.FSSyncer) they are written unsynced under
// temporary names, made durable by one sync of the file system, renamed into place, and
// synced once more, so that no ack name ever holds a partial ack, even after a power cut:
// two syncs for all the acks of the round instead of two per ack; then one transaction
// records them all written. A crash anywhere before that transaction leaves them stale in
// the journal, and the start writes them again. Elsewhere (SFTP, other systems) and among
// several instances (whose ack locks are taken one file at a time), each is written on its
// own (writeAck).
func (g *Gateway) writeAcks(ctx context.Context, ids []int64) error {
	if g.cluster != nil || len(ids) < 2 {
		return g.writeAcksEach(ctx, ids)
	}
	type written struct {
		id        int64
		acks      folder.Folder
		dir       folder.FSSyncer // acks, able to sync at once
		tmp, name string
	}
	batches := map[folder.FSSyncer]*folder.FSSync{}
	defer func() {
		for _, fss := range batches {
			fss.Close()
		}
	}()
	var errs []error
	var alone []int64         // written on their own: their acks folder cannot sync at once
	lags := map[int64]int64{} // the acks written, with the lag each shows
	var temps []written
	// Each file's ack lock is held from the journal's read to the end, so that no other
	// writer renames an ack read earlier over this one (LockAck); taken in the order of the
	// ids, so that two batches never wait for each other.
	var unlocks []func()
	defer func() {
		for _, unlock := range unlocks {
			unlock()
		}
	}()
	for _, id := range slices.Sorted(slices.Values(ids)) {
		unlock, err := g.journal.LockAck(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a, err := g.prepareAck(ctx, id, "")
		if err != nil {
			unlock()
			errs = append(errs, err)
			continue
		}
		dir, ok := a.route.acks.(folder.FSSyncer)
		if ok && batches[dir] == nil {
			// Opened before the writes: syncfs reports the write-back errors that come after.
			fss, err := dir.StartFSSync(ctx)
			if err == nil {
				batches[dir] = fss
			}
			ok = err == nil
		}
		if !ok {
			unlock() // written on its own, which takes it again
			alone = append(alone, id)
			continue
		}
		unlocks = append(unlocks, unlock)
		var mine []written
		for _, format := range a.route.cfg.Ack.Format {
			name := ack.FileName(a.name, format)
			var tmp string
			err = streamed(g.renderAck(ctx, a, format), func(r io.Reader) error {
				var err error
				tmp, err = dir.WriteTempUnsynced(ctx, name, r)
				return err
			})
			if err != nil {
				break
			}
			mine = append(mine, written{id, a.route.acks, dir, tmp, name})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("write ack of %s: %w", a.file.Name, err))
			for _, w := range mine {
				a.route.acks.Remove(ctx, w.tmp)
			}
			continue
		}
		temps = append(temps, mine...)
		lags[id] = a.lag
	}
	// The data first, then the names: an ack renamed into place is whole.
	synced := func() error {
		var errs []error
		for _, fss := range batches {
			errs = append(errs, fss.Sync())
		}
		return errors.Join(errs...)
	}
	if err := synced(); err != nil {
		for _, w := range temps {
			w.acks.Remove(ctx, w.tmp)
		}
		return errors.Join(append(errs, err, g.writeAcksEach(ctx, alone))...)
	}
	for _, w := range temps {
		if err := w.dir.CommitTemp(ctx, w.tmp, w.name); err != nil {
			errs = append(errs, err)
			delete(lags, w.id) // stale: written again later
		}
	}
	if err := synced(); err != nil {
		return errors.Join(append(errs, err, g.writeAcksEach(ctx, alone))...)
	}
	errs = append(errs, g.journal.AcksWritten(ctx, lags), g.writeAcksEach(ctx, alone))
	return errors.Join(errs...)
}

// writeAcksEach writes the ack of each file on its own.
func (g *Gateway) writeAcksEach(ctx context.Context, ids []int64) error {
	var errs []error
	for _, id := range ids {
		errs = append(errs, g.writeAck(ctx, id))
	}
	return errors.Join(errs...)
}
