package gateway

import (
	"context"
	"fmt"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	invsyntax "github.com/fluxgate/fluxgate/invoice/syntax"
)

// fluxNames gives the final names of the fluxes of one chunk of a file (of the whole file,
// for most): what the journal says of the names taken is asked once for the chunk.
type fluxNames struct {
	g    *Gateway
	file journal.File
	// except is the file whose names do not count: those an earlier, interrupted try of
	// this file recorded are dropped when its first chunk (or the whole file) is recorded.
	// Past the first chunk it is 0 (no file has id 0): the earlier chunks' names count.
	except int64
	used   map[string]bool    // names given in this chunk
	taken  map[string]bool    // names looked up in the journal: taken or not
	named  map[fluxKey]string // the template's names lookUp made, for name
}

// fluxKey is a flux of the chunk: its destination, its invoice's position and its syntax.
type fluxKey struct {
	dest   string
	seq    int
	syntax string
}

// lookUp asks the journal, at once, which of the names the destination's template gives
// these fluxes are taken.
func (n *fluxNames) lookUp(ctx context.Context, invoices []*journal.NewInvoice) error {
	byDest := map[string][]string{}
	n.named = map[fluxKey]string{}
	for _, inv := range invoices {
		for _, fx := range inv.Fluxes {
			if name, ok := n.templateName(fx.Destination, inv.Seq, inv.Number, fx.Syntax); ok {
				byDest[fx.Destination] = append(byDest[fx.Destination], name)
				n.named[fluxKey{fx.Destination, inv.Seq, fx.Syntax}] = name
			}
		}
	}
	for dest, names := range byDest {
		taken, err := n.g.journal.NamesTaken(ctx, dest, names, n.except)
		if err != nil {
			return err
		}
		for _, name := range names {
			n.taken[dest+"\x00"+name] = taken[name]
		}
	}
	return nil
}

// templateName is the name the destination's filename template (default
// "{invoice}_{syntax}.xml", see config/filename.go) gives the flux, made safe for any file
// system; false for a Chorus Pro EDI destination, which names its fluxes itself.
func (n *fluxNames) templateName(dest string, seq int, number, syntax string) (string, bool) {
	vars := config.FilenameVars{Invoice: folder.SafeName(number), Syntax: syntax, Seq: seq, FileID: n.file.ID, Date: n.g.now(),
		Source: n.file.Source, Input: n.file.Name}
	var tmpl string
	for _, d := range n.g.cfg.Destinations {
		if d.Name == dest {
			if d.ChorusEDI != nil {
				return "", false
			}
			tmpl = d.Filename
		}
	}
	return invsyntax.WithExtension(config.ExpandFilename(tmpl, vars), syntax), true // a Factur-X is a .pdf
}

// name is the flux's final name: its template's, made unique when another file's invoice
// (or one of an earlier chunk of this file) took it already. A Chorus Pro EDI destination
// names its fluxes itself (ediName).
func (n *fluxNames) name(ctx context.Context, dest string, seq int, number, syntax string) (string, error) {
	name, ok := n.named[fluxKey{dest, seq, syntax}]
	if !ok {
		name, ok = n.templateName(dest, seq, number, syntax)
	}
	if !ok {
		for _, d := range n.g.cfg.Destinations {
			if d.Name == dest {
				return n.g.ediName(ctx, dest, d.ChorusEDI.Partner, n.file.ID, n.except, seq, syntax, n.used)
			}
		}
	}
	taken, looked := n.taken[dest+"\x00"+name]
	if !looked {
		var err error
		if taken, err = n.g.journal.NameTaken(ctx, dest, name, n.except); err != nil {
			return "", err
		}
	}
	if taken || n.used[name] {
		name = config.UniqueFilename(name, n.file.ID, seq)
	}
	n.used[name] = true
	return name, nil
}

// ediName is the name of a flux for Chorus Pro EDI, deposit.ChorusEDIName: the interface
// code of its syntax, the partner code, the time and a 6-digit number. The number is drawn
// from the file's journal id and the invoice's position, so that the files of one second
// do not collide; a name taken all the same moves the number on. Like every final name, it
// is journaled before the deposit, so a deposit tried again after a crash keeps its name.
func (g *Gateway) ediName(ctx context.Context, dest, partner string, fileID, except int64, seq int, syntax string, used map[string]bool) (string, error) {
	code := deposit.ChorusEDIInterface(syntax)
	if code == "" {
		return "", fmt.Errorf("Chorus Pro EDI has no interface code for %s fluxes", syntax)
	}
	now := g.now()
	n := int(fileID%1000)*1000 + seq%1000
	for range 1000 {
		name := deposit.ChorusEDIName(code, partner, n, now)
		taken, err := g.journal.NameTaken(ctx, dest, name, except)
		if err != nil {
			return "", err
		}
		if !taken && !used[name] {
			used[name] = true
			return name, nil
		}
		n++
	}
	return "", fmt.Errorf("no free Chorus Pro EDI name for file %d, invoice %d", fileID, seq)
}
