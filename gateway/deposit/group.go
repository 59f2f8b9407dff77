package deposit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// Grouper is implemented by destinations that deposit several fluxes together, each its
// own deposit, but made durable together (a folder: the files synced as they are written,
// their directory once for all). Unlike a Batcher's, the deposits of a group succeed or fail
// each on its own.
type Grouper interface {
	// GroupSize is the largest number of fluxes DepositGroup takes.
	GroupSize() int
	// DepositGroup deposits each flux as Deposit does and returns, in order, its receipt
	// or its error. A flux with no error is durable at the destination.
	DepositGroup(ctx context.Context, fluxes []Flux) ([]Receipt, []error)
}

// groupWriters is how many files of a group a folder destination writes at once: their
// fsyncs, issued together, are committed together by the file system.
const groupWriters = 8

// GroupSize implements Grouper.
func (d *FolderDestination) GroupSize() int { return 64 }

// DepositGroup implements Grouper. Each flux is written as Deposit writes it (a file of the
// same name and content is already deposited; another is refused), synced before its
// rename, so that a name that survives a crash holds the whole flux; the directory is then
// synced once for the whole group, and only then are the deposits reported done. A crash
// before leaves each flux either absent or whole under its final name: its deposit, started
// in the journal, is tried again, and Deposit finds what is there already.
func (d *FolderDestination) DepositGroup(ctx context.Context, fluxes []Flux) ([]Receipt, []error) {
	receipts, errs := make([]Receipt, len(fluxes)), make([]error, len(fluxes))
	all := func(err error) ([]Receipt, []error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return receipts, errs
	}
	rv, _ := d.dir.(folder.Revalidator)
	var before uint64
	if rv != nil {
		var err error
		if before, err = rv.Revalidate(ctx); err != nil {
			return all(fmt.Errorf("deposit %s: %w", d.name, err))
		}
	}
	if fs, ok := d.dir.(folder.FSSyncer); ok {
		// Opened before the writes, so that syncfs reports their write-back errors.
		if fss, err := fs.StartFSSync(ctx); err == nil {
			defer fss.Close()
			d.depositSyncFS(ctx, fs, fss, fluxes, receipts, errs)
			return d.revalidated(ctx, rv, before, receipts, errs, all)
		}
	}
	ds, deferred := d.dir.(folder.DirSyncer)
	var wg sync.WaitGroup
	sem := make(chan struct{}, groupWriters)
	for i, flux := range fluxes {
		if flux.Name == "" || path.Base(flux.Name) != flux.Name {
			errs[i] = Permanent(fmt.Errorf("deposit %s: invalid flux name %q", d.name, flux.Name))
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			write := d.dir.WriteAtomic
			if deferred {
				write = ds.WriteAtomicNoDirSync
			}
			receipts[i], errs[i] = d.depositWith(ctx, flux, write)
		}()
	}
	wg.Wait()
	// Even a flux found there already is synced: a crashed run may have renamed it into
	// place without its directory's sync.
	done := false
	for i := range fluxes {
		done = done || errs[i] == nil
	}
	if deferred && done {
		if err := ds.SyncDir(ctx, "."); err != nil {
			return all(fmt.Errorf("deposit %s: sync the folder: %w", d.name, err))
		}
	}
	return d.revalidated(ctx, rv, before, receipts, errs, all)
}

// revalidated checks, after a group was written, that the folder is still the one at its
// configured path (see Deposit); if not, every deposit of the group fails, transiently.
func (d *FolderDestination) revalidated(ctx context.Context, rv folder.Revalidator, before uint64, receipts []Receipt, errs []error, all func(error) ([]Receipt, []error)) ([]Receipt, []error) {
	if rv != nil {
		after, err := rv.Revalidate(ctx)
		switch {
		case err != nil:
			return all(fmt.Errorf("deposit %s: fluxes were written, but the folder is no longer at its configured path: %w", d.name, err))
		case after != before:
			return all(fmt.Errorf("deposit %s: fluxes went into a directory that was moved away from %s meanwhile; they are written again into the one now there", d.name, d.dir))
		}
	}
	return receipts, errs
}

// depositSyncFS is DepositGroup with two syncs of the file system for the whole group
// instead of one fsync per flux (Linux syncfs, folder.FSSyncer):
//
//  1. each flux not there already is written into a temporary file, unsynced;
//  2. syncfs: the data of every temporary file is durable;
//  3. each temporary file is renamed to its final name, unsynced;
//  4. syncfs: the names are durable; only then are the deposits reported done.
//
// Crash safety: a name appears only after its data is durable (step 2 before 3), so a
// name that survives a crash, power loss included, holds the whole flux, and whoever picks
// files up from the outbox never sees a partial one. A crash before step 4 returned leaves
// the fluxes depositing in the journal, each either absent or whole under its final name,
// plus temporary files that Clean removes on start: the next round writes the absent ones
// and finds the others already there byte for byte (AlreadyThere), never twice. A flux
// found there already is covered by step 4 too: a crashed run may have renamed it into
// place without the sync of its name.
func (d *FolderDestination) depositSyncFS(ctx context.Context, fs folder.FSSyncer, fss *folder.FSSync, fluxes []Flux, receipts []Receipt, errs []error) {
	tmps := make([]string, len(fluxes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, groupWriters)
	for i, flux := range fluxes {
		if flux.Name == "" || path.Base(flux.Name) != flux.Name {
			errs[i] = Permanent(fmt.Errorf("deposit %s: invalid flux name %q", d.name, flux.Name))
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			write := func(ctx context.Context, name string, r io.Reader) error {
				tmp, err := fs.WriteTempUnsynced(ctx, name, r)
				tmps[i] = tmp
				return err
			}
			receipts[i], errs[i] = d.depositWith(ctx, flux, write)
		}()
	}
	wg.Wait()
	failAll := func(err error) {
		for i := range fluxes {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	pending := false
	done := false
	for i := range fluxes {
		pending = pending || tmps[i] != ""
		done = done || errs[i] == nil
	}
	if pending {
		if err := fss.Sync(); err != nil {
			err = fmt.Errorf("deposit %s: %w", d.name, err)
			for i, tmp := range tmps {
				if tmp != "" {
					_ = d.dir.Remove(ctx, tmp)
					errs[i] = err
				}
			}
			failAll(err) // the names found there already are not synced either
			return
		}
		for i, tmp := range tmps {
			if tmp == "" || errs[i] != nil {
				continue
			}
			if err := fs.CommitTemp(ctx, tmp, fluxes[i].Name); err != nil {
				receipts[i], errs[i] = Receipt{}, fmt.Errorf("deposit %s: write %s: %w", d.name, fluxes[i].Name, err)
			}
		}
	}
	if done {
		if err := fss.Sync(); err != nil {
			failAll(fmt.Errorf("deposit %s: %w", d.name, err))
		}
	}
}

// depositWith is deposit with the write given: one that syncs the directory or not.
func (d *FolderDestination) depositWith(ctx context.Context, flux Flux, write func(context.Context, string, io.Reader) error) (Receipt, error) {
	same, err := d.holds(ctx, flux)
	switch {
	case err == nil && same:
		return Receipt{ID: flux.Name, Location: d.dir.String() + "/" + flux.Name, At: d.now(), AlreadyThere: true}, nil
	case err == nil:
		return Receipt{}, Permanent(fmt.Errorf("deposit %s: a different file named %s is already in %s", d.name, flux.Name, d.dir))
	case !errors.Is(err, folder.ErrNotExist):
		return Receipt{}, fmt.Errorf("deposit %s: check %s: %w", d.name, flux.Name, err)
	}
	if err := write(ctx, flux.Name, bytes.NewReader(flux.Data)); err != nil {
		return Receipt{}, fmt.Errorf("deposit %s: write %s: %w", d.name, flux.Name, err)
	}
	return Receipt{ID: flux.Name, Location: d.dir.String() + "/" + flux.Name, At: d.now()}, nil
}
