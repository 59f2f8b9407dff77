package gateway

import (
	"context"
	"fmt"
	"github.com/fluxgate/fluxgate/gateway/config"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	invsyntax "github.com/fluxgate/fluxgate/invoice/syntax"
)

// finalName is the flux's name at the destination: the destination's filename template
// (default "{invoice}_{syntax}.xml", see config/filename.go), made safe for any file system, and
// made unique when another file's invoice took it already (or, with ownChunks, an invoice
// of an earlier chunk of the same file). A Chorus Pro EDI destination names its fluxes
// itself (ediName).
func (g *Gateway) finalName(ctx context.Context, dest string, fileID int64, seq int, number, syntax string, used map[string]bool, ownChunks bool) (string, error) {
	// The names an earlier, interrupted try of this file recorded do not count: they are
	// dropped when its first chunk (or the whole file) is recorded. Those of the chunks of
	// this try do.
	except := fileID
	if ownChunks {
		except = 0 // no file has id 0
	}
	base := folder.SafeName(number)
	vars := config.FilenameVars{Invoice: base, Syntax: syntax, Seq: seq, FileID: fileID, Date: g.now()}
	var tmpl string
	for _, d := range g.cfg.Destinations {
		if d.Name == dest {
			tmpl = d.Filename
			if d.ChorusEDI != nil {
				return g.ediName(ctx, dest, d.ChorusEDI.Partner, fileID, except, seq, syntax, used)
			}
		}
	}
	if config.FilenameNeedsFile(tmpl) {
		f, err := g.journal.File(ctx, fileID)
		if err != nil {
			return "", err
		}
		vars.Source, vars.Input = f.Source, f.Name
	}
	name := invsyntax.WithExtension(config.ExpandFilename(tmpl, vars), syntax) // a Factur-X is a .pdf
	taken, err := g.journal.NameTaken(ctx, dest, name, except)
	if err != nil {
		return "", err
	}
	if taken || used[name] {
		name = config.UniqueFilename(name, fileID, seq)
	}
	used[name] = true
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
