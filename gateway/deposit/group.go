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
