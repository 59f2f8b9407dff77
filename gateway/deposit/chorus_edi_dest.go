package deposit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// Subfolders of the EDI returns folder.
const (
	EDIDoneDir  = "done"  // reports read into the journal
	EDIErrorDir = "error" // files of the returns folder that are not reports Fluxgate can read
)

// maxEDIReport bounds the size of a report file read into memory.
const maxEDIReport = 64 << 20

// ChorusEDIConfig configures a Chorus Pro EDI destination.
type ChorusEDIConfig struct {
	Name    string
	Partner string // the partner code (AAA999)
	// Lifecycle: the connection receives lifecycle flows (FEN1200A/FEN1201A), so an
	// integrated flux is still followed. Without it, a report with a final flux state is
	// the last word on that flux and its invoices.
	Lifecycle bool
}

// ChorusEDI deposits flux files into the folder a Chorus Pro EDI connection (SFTP) picks
// them up from, and reads back the reports Chorus Pro writes into a returns folder.
//
// Names: the gateway names each flux with ChorusEDIName before it journals it, so that the
// name is stable across crashes; Deposit only checks that the name has the EDI form for
// its syntax and this partner, then writes it like FolderDestination (atomic, idempotent).
//
// Reports: Track parses every file of the returns folder with ParseChorusEDIReport. The
// updates of a report go to the deposits it names: by the receipt it gives when that is a
// deposited file name, else by the deposited file names found in its text (the report's
// numeroFluxDepot is Chorus Pro's number, which Fluxgate never learns by EDI). A report that
// names no deposit still has its invoice-level updates returned, for the caller to match by
// invoice number. Each report is moved into done/ by the Track call after the one that read
// it: by then the caller has recorded its updates, so a crash in between only makes the
// report read again (updates are idempotent). A file that fails to parse twice with the
// same size and time is moved into error/ (once only: it may have been caught half
// written). Nothing is ever deleted.
type ChorusEDI struct {
	*FolderDestination
	cfg     ChorusEDIConfig
	returns folder.Folder
	log     *slog.Logger

	mu      sync.Mutex
	pending map[string]bool                    // reports read, to move into done/
	known   map[string]map[string]StatusUpdate // receipt → invoice ("" for the flux) → latest update
	failed  map[string]folder.FileInfo         // files that did not parse, as they were then
}

// NewChorusEDI returns an EDI destination writing into out and reading reports from returns.
// It owns both folders and closes them.
func NewChorusEDI(cfg ChorusEDIConfig, out, returns folder.Folder, log *slog.Logger) *ChorusEDI {
	cfg.Partner = strings.ToUpper(strings.TrimSpace(cfg.Partner))
	d := &ChorusEDI{
		FolderDestination: NewFolder(cfg.Name, out), cfg: cfg, returns: returns, log: log,
		pending: map[string]bool{}, known: map[string]map[string]StatusUpdate{}, failed: map[string]folder.FileInfo{},
	}
	d.SetLogger(log)
	return d
}

// Close closes the deposit folder and the returns folder.
func (d *ChorusEDI) Close() error {
	return errors.Join(d.FolderDestination.Close(), d.returns.Close())
}

// Deposit writes flux under its name, which must be an EDI name for its syntax and this
// partner (the gateway computes it).
func (d *ChorusEDI) Deposit(ctx context.Context, flux Flux) (Receipt, error) {
	if err := d.checkName(flux); err != nil {
		return Receipt{}, err
	}
	return d.FolderDestination.Deposit(ctx, flux)
}

// DepositGroup implements Grouper as the folder does, for the fluxes whose name passes the
// check of Deposit; the others are refused as Deposit refuses them. (Without it, the group
// deposit inherited from the folder would write any name.)
func (d *ChorusEDI) DepositGroup(ctx context.Context, fluxes []Flux) ([]Receipt, []error) {
	receipts, errs := make([]Receipt, len(fluxes)), make([]error, len(fluxes))
	var named []Flux
	var at []int // index in fluxes of each flux of named
	for i, flux := range fluxes {
		if errs[i] = d.checkName(flux); errs[i] == nil {
			named, at = append(named, flux), append(at, i)
		}
	}
	if len(named) == 0 {
		return receipts, errs
	}
	rs, es := d.FolderDestination.DepositGroup(ctx, named)
	for j, i := range at {
		receipts[i], errs[i] = rs[j], es[j]
	}
	return receipts, errs
}

// checkName refuses, permanently, a flux not named as Chorus Pro EDI expects for its
// syntax and this partner.
func (d *ChorusEDI) checkName(flux Flux) error {
	code := ChorusEDIInterface(flux.Syntax)
	if code == "" {
		return Permanent(fmt.Errorf("deposit %s: Chorus Pro EDI takes no %q flux (ubl or cii)", d.Name(), flux.Syntax))
	}
	if prefix := code + "_" + d.cfg.Partner + "_"; !strings.HasPrefix(flux.Name, prefix) {
		return Permanent(fmt.Errorf("deposit %s: flux %s is not named %s… as Chorus Pro EDI expects (queued before chorus_edi was configured?): process its source file again",
			d.Name(), flux.Name, prefix))
	}
	return nil
}

// Track reads the reports of the returns folder and returns what they say of receiptIDs
// (the deposited file names), plus the invoice-level updates of reports that name none of
// them. See ChorusEDI for when reports are moved.
func (d *ChorusEDI) Track(ctx context.Context, receiptIDs []string) ([]StatusUpdate, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	// The updates of the reports read last time are in the journal by now: file them.
	for _, name := range sortedKeys(d.pending) {
		if err := d.moveInto(ctx, name, EDIDoneDir); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(d.pending, name)
	}
	asked := map[string]bool{}
	for _, id := range receiptIDs {
		asked[id] = true
	}
	var stray []StatusUpdate
	files, err := d.returns.List(ctx, ".")
	if err != nil {
		errs = append(errs, fmt.Errorf("list %s: %w", d.returns, err))
	}
	for _, fi := range files {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if fi.IsDir || fi.Size < 0 || !reportCandidate(fi.Name) {
			continue
		}
		data, err := d.read(ctx, fi.Name)
		if err != nil && !errors.Is(err, errReportTooLarge) {
			errs = append(errs, fmt.Errorf("read report %s: %w", fi.Name, err))
			continue
		}
		var ups []StatusUpdate
		if err == nil {
			ups, err = ParseChorusEDIReport(fi.Name, data)
		}
		if err != nil {
			if prev, seen := d.failed[fi.Name]; seen && prev.Size == fi.Size && prev.ModTime.Equal(fi.ModTime) {
				delete(d.failed, fi.Name)
				if merr := d.moveInto(ctx, fi.Name, EDIErrorDir); merr != nil {
					errs = append(errs, merr)
				}
				errs = append(errs, fmt.Errorf("report %s cannot be read, moved into %s/: %w", fi.Name, EDIErrorDir, err))
			} else {
				d.failed[fi.Name] = fi // perhaps still being written: try again next time
			}
			continue
		}
		delete(d.failed, fi.Name)
		stray = append(stray, d.learn(ups, data, receiptIDs, asked)...)
		d.pending[fi.Name] = true
		d.log.Debug("EDI report read", "destination", d.Name(), "report", fi.Name, "updates", len(ups))
	}
	// Forget the deposits nobody asks about any more (final ones).
	for r := range d.known {
		if !asked[r] {
			delete(d.known, r)
		}
	}
	var out []StatusUpdate
	for _, id := range receiptIDs {
		byInvoice := d.known[id]
		for _, inv := range sortedKeys(byInvoice) { // "" (the flux) first
			out = append(out, byInvoice[inv])
		}
	}
	return append(out, stray...), errors.Join(errs...)
}

// learn records the updates of one report under the receipts it concerns, and returns the
// invoice-level updates of a report that names no receipt asked for.
func (d *ChorusEDI) learn(ups []StatusUpdate, data []byte, receiptIDs []string, asked map[string]bool) []StatusUpdate {
	finalFlux := false
	for _, u := range ups {
		finalFlux = finalFlux || u.Invoice == "" && u.Final
	}
	var stray []StatusUpdate
	for _, u := range ups {
		switch {
		case d.cfg.Lifecycle && u.Invoice == "" && !u.Rejected:
			u.Final = false // integrated: the lifecycle flows follow the invoices
		case !d.cfg.Lifecycle && finalFlux:
			u.Final = true // nothing will come after the integration report
		}
		receipts := []string{u.Receipt}
		if !asked[u.Receipt] {
			receipts = mentioned(data, receiptIDs)
		}
		if len(receipts) == 0 {
			if u.Invoice != "" {
				stray = append(stray, u)
			}
			continue
		}
		for _, r := range receipts {
			u.Receipt = r
			byInvoice := d.known[r]
			if byInvoice == nil {
				byInvoice = map[string]StatusUpdate{}
				d.known[r] = byInvoice
			}
			if old, ok := byInvoice[u.Invoice]; ok && !old.At.IsZero() && u.At.Before(old.At) {
				continue // an older report read late
			}
			byInvoice[u.Invoice] = u
		}
	}
	return stray
}

// mentioned returns the receipts (deposited file names, with or without .xml) that data
// names.
func mentioned(data []byte, receiptIDs []string) []string {
	var out []string
	for _, id := range receiptIDs {
		if base := strings.TrimSuffix(id, path.Ext(id)); base != "" && bytes.Contains(data, []byte(base)) {
			out = append(out, id)
		}
	}
	return out
}

var errReportTooLarge = errors.New("larger than 64 MB: not a report")

func (d *ChorusEDI) read(ctx context.Context, name string) ([]byte, error) {
	rc, err := d.returns.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxEDIReport+1))
	if err == nil && len(data) > maxEDIReport {
		err = errReportTooLarge
	}
	return data, err
}

// moveInto moves a file of the returns folder into its subfolder dir, under a new name when
// dir holds one of that name already (a report sent twice): nothing is overwritten.
func (d *ChorusEDI) moveInto(ctx context.Context, name, dir string) error {
	if err := d.returns.MkdirAll(ctx, dir); err != nil {
		return fmt.Errorf("create %s in %s: %w", dir, d.returns, err)
	}
	to := path.Join(dir, name)
	for i := 1; ; i++ {
		err := d.returns.Rename(ctx, name, to)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, folder.ErrNotExist):
			return nil // moved already (by someone else, or before a crash)
		case !errors.Is(err, folder.ErrExist) || i > 1000:
			return fmt.Errorf("move report %s into %s/: %w", name, dir, err)
		}
		to = path.Join(dir, fmt.Sprintf("%s.%d", name, i))
	}
}

// reportCandidate says whether a file of the returns folder may be a report: hidden and
// temporary files (an upload in progress) are not.
func reportCandidate(name string) bool {
	return !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".tmp") && !strings.HasSuffix(name, ".part")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
