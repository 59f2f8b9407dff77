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
	// or its error. A flux with no error is durable at the destination. A flux may come
	// with its content in its spool file (Flux.Spooled) rather than in Data.
	DepositGroup(ctx context.Context, fluxes []Flux) ([]Receipt, []error)
}

// groupWriters is how many files of a group a folder destination writes at once: their
// fsyncs, issued together, are committed together by the file system.
const groupWriters = 8

// GroupSize implements Grouper. A group's fixed cost is a sync of the folder (or its file
// system) and the journal's transactions before and after: about 7 ms on a small server,
// against 50 µs per flux linked, so a group of 256 spends most of its time on its fluxes.
// Its memory stays small: a flux's content is read only when it is copied, groupWriters at
// a time.
func (d *FolderDestination) GroupSize() int { return 256 }

// DepositGroup implements Grouper. Each flux is linked from its spool file when the folder
// is on the spool's file system (depositLinked), else written as Deposit writes it, synced
// before its rename; either way a name that survives a crash holds the whole flux, and a
// file of the same name and content is already deposited, another is refused. The directory
// is then synced once for the whole group, and only then are the deposits reported done. A
// crash before leaves each flux either absent or whole under its final name: its deposit,
// started in the journal, is tried again, and finds what is there already.
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
	links := d.openLinks(ctx, fluxes)
	d.eachFlux(fluxes, errs, func(i int, flux Flux) {
		write := d.dir.WriteAtomic
		if deferred {
			write = ds.WriteAtomicNoDirSync
		}
		receipts[i], errs[i] = d.depositLinked(ctx, links, flux, write)
	})
	links.close()
	// Crash safety: the linked names, and the files renamed into place (each synced before
	// its rename), are durable once their directory is; a crash before leaves them
	// depositing, absent or whole. Even a flux found there already is synced: a crashed run
	// may have linked or renamed it into place without its directory's sync.
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

// depositSyncFS is DepositGroup with one or two syncs of the file system for the whole group
// instead of one fsync per flux (Linux syncfs, folder.FSSyncer):
//
//  1. each flux not there already is linked from its spool file under its final name,
//     unsynced; or, when it cannot be, written into a temporary file, unsynced;
//  2. if any was written: syncfs: the data of every temporary file is durable;
//  3. each temporary file is renamed to its final name, unsynced;
//  4. syncfs: the names are durable; only then are the deposits reported done.
//
// Crash safety: a name appears only after its data is durable, so a name that survives a
// crash, power loss included, holds the whole flux, and whoever picks files up from the
// outbox never sees a partial one: a linked name is the spool file, durable since the
// spool's sync, before the journal queued the flux (and never written since: see link); a
// written one is renamed into place after step 2. A crash before step 4 returned leaves the
// fluxes depositing in the journal, each either absent or whole under its final name, plus
// temporary files that Clean removes on start, and the spool files, removed only once the
// journal records the deposits: the next round links or writes the absent ones and finds
// the others already there byte for byte (link fails with ErrExist, then AlreadyThere),
// never twice. A flux found there already is covered by step 4 too: a crashed run may have
// linked or renamed it into place without the sync of its name.
func (d *FolderDestination) depositSyncFS(ctx context.Context, fs folder.FSSyncer, fss *folder.FSSync, fluxes []Flux, receipts []Receipt, errs []error) {
	tmps := make([]string, len(fluxes))
	links := d.openLinks(ctx, fluxes)
	d.eachFlux(fluxes, errs, func(i int, flux Flux) {
		write := func(ctx context.Context, name string, r io.Reader) error {
			tmp, err := fs.WriteTempUnsynced(ctx, name, r)
			tmps[i] = tmp
			return err
		}
		receipts[i], errs[i] = d.depositLinked(ctx, links, flux, write)
	})
	links.close()
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

// depositLinked deposits one flux of a group: its spool file linked into place when the
// folder can (link), else written with write as depositWith writes it. Either way a file of
// that name in the folder already is checked byte for byte (found).
func (d *FolderDestination) depositLinked(ctx context.Context, links *groupLinks, flux Flux, write writeFunc) (Receipt, error) {
	switch err := d.link(ctx, links, flux); {
	case err == nil:
		return d.receipt(flux, false), nil
	case errors.Is(err, folder.ErrExist):
		return d.found(ctx, flux)
	case errors.Is(err, errCopy):
		return d.depositWith(ctx, flux, write)
	case errors.Is(err, folder.ErrNotExist): // Link's promise: only the spool file's
		return Receipt{}, d.spoolFailed(flux, err)
	default:
		return Receipt{}, fmt.Errorf("deposit %s: link %s: %w", d.name, flux.Name, err)
	}
}

// errCopy says that a flux is to be written into the folder, not linked.
var errCopy = errors.New("written, not linked")

// groupLinks are the links of a group's fluxes from their spool into the folder, prepared
// once for the group (folder.Linker.OpenLinks): the spool's and the folder's directories
// opened, and compared, once instead of once per flux.
type groupLinks struct {
	ln    folder.Linker
	from  folder.Folder // the spool of the group's fluxes
	links folder.Links
	err   error // why they could not be prepared: each flux fails, or is copied, with it
}

// openLinks prepares the links of fluxes, from the spool of the first one spooled; nil
// when they are to be copied (a folder that cannot link, or one that refused before).
func (d *FolderDestination) openLinks(ctx context.Context, fluxes []Flux) *groupLinks {
	ln, ok := d.dir.(folder.Linker)
	if !ok || d.copies.Load() {
		return nil
	}
	for _, flux := range fluxes {
		if flux.Spooled != nil {
			gl := &groupLinks{ln: ln, from: flux.Spooled.Folder}
			gl.links, gl.err = ln.OpenLinks(ctx, gl.from)
			return gl
		}
	}
	return nil
}

func (gl *groupLinks) close() {
	if gl != nil && gl.links != nil {
		gl.links.Close()
	}
}

// link gives flux's spool file its final name in the folder (a hard link, through links):
// the flux's bytes are not read, written nor synced again, and no file is made. The name
// and the spool name share one file, which is safe because nothing ever writes into an
// existing file of a folder (WriteAtomic makes a new file and renames it into place, the
// spool makes a new file under its name, never opening one there already): the spool file
// is never written after it was hashed and synced, and a deposited file is never written
// by Fluxgate. It returns errCopy when the flux is to be written instead: no spool file, a
// folder that cannot link (SFTP), or one whose link was refused (another file system, no
// hard links there, not Linux); that is remembered, and logged once.
func (d *FolderDestination) link(ctx context.Context, links *groupLinks, flux Flux) error {
	if links == nil || flux.Spooled == nil || d.copies.Load() {
		return errCopy
	}
	var err error
	switch {
	case flux.Spooled.Folder != links.from: // not the group's spool: linked on its own
		var one folder.Links
		if one, err = links.ln.OpenLinks(ctx, flux.Spooled.Folder); err == nil {
			err = one.Link(ctx, flux.Spooled.Name, flux.Name)
			one.Close()
		}
	case links.err != nil:
		err = links.err
	default:
		err = links.links.Link(ctx, flux.Spooled.Name, flux.Name)
	}
	if !errors.Is(err, folder.ErrCannotLink) {
		return err
	}
	if d.copies.CompareAndSwap(false, true) {
		d.log.Info("fluxes are copied from the spool into the folder: they cannot be linked", "folder", d.dir.String(), "why", err)
	}
	return errCopy
}

type writeFunc = func(context.Context, string, io.Reader) error

// depositWith deposits flux by writing it with write (with or without the sync of its
// directory), unless a file of that name is there already (found).
func (d *FolderDestination) depositWith(ctx context.Context, flux Flux, write writeFunc) (Receipt, error) {
	if r, err := d.found(ctx, flux); !errors.Is(err, folder.ErrNotExist) {
		return r, err
	}
	data, err := d.content(ctx, flux)
	if err != nil {
		return Receipt{}, err
	}
	if err := write(ctx, flux.Name, bytes.NewReader(data)); err != nil {
		return Receipt{}, fmt.Errorf("deposit %s: write %s: %w", d.name, flux.Name, err)
	}
	return d.receipt(flux, false), nil
}

// eachFlux runs deposit for each flux of a group with a valid name, groupWriters at once,
// and returns once all are done; an invalid name fails its flux, permanently.
func (d *FolderDestination) eachFlux(fluxes []Flux, errs []error, deposit func(i int, flux Flux)) {
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
			deposit(i, flux)
		}()
	}
	wg.Wait()
}
