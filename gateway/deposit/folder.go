package deposit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"sync/atomic"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// FolderDestination deposits fluxes into a folder (an outbox), each written atomically so
// that whoever picks them up never sees a partial file.
type FolderDestination struct {
	name   string
	dir    folder.Folder
	now    func() time.Time
	log    *slog.Logger
	copies atomic.Bool // spool files cannot be linked into dir: fluxes are written (see link)
}

// NewFolder returns a destination named name that writes into dir. It owns dir and closes it.
func NewFolder(name string, dir folder.Folder) *FolderDestination {
	return &FolderDestination{name: name, dir: dir, now: time.Now, log: slog.New(slog.DiscardHandler)}
}

// SetLogger makes the destination log to log (named after it). Call it before the
// destination is used.
func (d *FolderDestination) SetLogger(log *slog.Logger) {
	if log != nil {
		d.log = log
	}
}

// Name is the configured destination name.
func (d *FolderDestination) Name() string { return d.name }

// Clean removes the temporary files of deposits a killed run interrupted. Call it on start.
func (d *FolderDestination) Clean(ctx context.Context) error {
	return folder.RemoveStaleTemps(ctx, d.dir, ".")
}

// Close closes the folder.
func (d *FolderDestination) Close() error { return d.dir.Close() }

// OnReconnect registers fn to be called each time the connection of a folder on a server
// comes back (folder.Reconnector); for a local folder it does nothing.
func (d *FolderDestination) OnReconnect(fn func()) (cancel func()) {
	if rc, ok := d.dir.(folder.Reconnector); ok {
		return rc.OnReconnect(fn)
	}
	return func() {}
}

// Deposit writes flux under its final name. When a file of that name exists already, it is
// the same flux deposited before a crash (same content: success) or somebody else's file
// (refused, permanently: overwriting it could lose an invoice).
//
// A local folder is checked against its configured path before and after (see
// folder.Revalidator): a moved, re-created or newly mounted outbox is re-opened at the path,
// and a write that went into a directory no longer at the path is not a deposit: it fails
// (transiently), and the next attempt writes into the directory now at the path.
func (d *FolderDestination) Deposit(ctx context.Context, flux Flux) (Receipt, error) {
	if flux.Name == "" || path.Base(flux.Name) != flux.Name {
		return Receipt{}, Permanent(fmt.Errorf("deposit %s: invalid flux name %q", d.name, flux.Name))
	}
	rv, _ := d.dir.(folder.Revalidator)
	var before uint64
	if rv != nil {
		var err error
		if before, err = rv.Revalidate(ctx); err != nil {
			return Receipt{}, fmt.Errorf("deposit %s: %w", d.name, err)
		}
	}
	r, err := d.depositWith(ctx, flux, d.dir.WriteAtomic)
	if err != nil || rv == nil {
		return r, err
	}
	after, err := rv.Revalidate(ctx)
	switch {
	case err != nil:
		return Receipt{}, fmt.Errorf("deposit %s: %s was written, but the folder is no longer at its configured path: %w", d.name, flux.Name, err)
	case after != before:
		return Receipt{}, fmt.Errorf("deposit %s: %s went into a directory that was moved away from %s meanwhile; it is written again into the one now there", d.name, flux.Name, d.dir)
	}
	return r, nil
}

// holds reports whether the folder holds flux already, byte for byte.
func (d *FolderDestination) holds(ctx context.Context, flux Flux) (bool, error) {
	rc, err := d.dir.Open(ctx, flux.Name)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == flux.SHA256, nil
}

// found says what the file already named as flux in the folder is: this very flux, byte for
// byte (AlreadyThere: deposited before a crash), or somebody else's (refused, permanently:
// overwriting it could lose an invoice). An error matching folder.ErrNotExist says there is
// none.
func (d *FolderDestination) found(ctx context.Context, flux Flux) (Receipt, error) {
	same, err := d.holds(ctx, flux)
	switch {
	case err == nil && same:
		return d.receipt(flux, true), nil
	case err == nil:
		return Receipt{}, Permanent(fmt.Errorf("deposit %s: a different file named %s is already in %s", d.name, flux.Name, d.dir))
	}
	return Receipt{}, fmt.Errorf("deposit %s: check %s: %w", d.name, flux.Name, err)
}

func (d *FolderDestination) receipt(flux Flux, alreadyThere bool) Receipt {
	return Receipt{ID: flux.Name, Location: d.dir.String() + "/" + flux.Name, At: d.now(), AlreadyThere: alreadyThere}
}

// content returns flux's bytes: Data, or else its spool file, read.
func (d *FolderDestination) content(ctx context.Context, flux Flux) ([]byte, error) {
	if flux.Data != nil || flux.Spooled == nil {
		return flux.Data, nil
	}
	data, err := folder.ReadAll(ctx, flux.Spooled.Folder, flux.Spooled.Name)
	if err != nil {
		return nil, d.spoolFailed(flux, err)
	}
	return data, nil
}

// spoolFailed is the failure of a flux whose spool file cannot be read or linked: permanent
// when it is missing.
func (d *FolderDestination) spoolFailed(flux Flux, err error) error {
	if errors.Is(err, folder.ErrNotExist) {
		return Permanent(fmt.Errorf("deposit %s: the spooled flux %s is missing; process the source file again", d.name, flux.Spooled.Name))
	}
	return fmt.Errorf("deposit %s: spooled flux %s: %w", d.name, flux.Spooled.Name, err)
}
