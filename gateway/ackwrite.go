package gateway

import (
	"bytes"
	"context"
	"fmt"

	"github.com/fluxgate/fluxgate/gateway/ack"
)

// writeAck renders the journal's view of a file into its ack, atomically.
func (g *Gateway) writeAck(ctx context.Context, fileID int64) error {
	// Among several instances, one writer at a time: the last ack written is the latest.
	unlock, err := g.journal.LockAck(ctx, fileID)
	if err != nil {
		return err
	}
	defer unlock()
	// Read before the journal's view: a transition after it keeps the ack stale.
	lag, err := g.journal.AckLag(ctx, fileID)
	if err != nil {
		return err
	}
	f, err := g.journal.File(ctx, fileID)
	if err != nil {
		return err
	}
	r := g.routeOf(f.Source)
	if r == nil {
		return fmt.Errorf("ack for file %d: source %q is no longer configured", fileID, f.Source)
	}
	invoices, err := g.journal.Invoices(ctx, fileID)
	if err != nil {
		return err
	}
	doc := ack.Build(f, invoices, r.cfg.Ack.Language, g.now(), g.destinationStates(ctx))
	name := ack.Name(f.Name)
	if later, err := g.journal.Superseded(ctx, f.Source, f.Name, f.ID); err != nil {
		return err
	} else if later {
		name = ack.SupersededName(f.Name, f.Received, f.ID)
	}
	// One ack per format asked for (XML, CSV for legacy readers), each written atomically.
	files, err := ack.Render(doc, name, r.cfg.Ack.Format, r.cfg.Ack.Encoding)
	if err != nil {
		return err
	}
	for _, a := range files {
		if err := r.acks.WriteAtomic(ctx, a.Name, bytes.NewReader(a.Data)); err != nil {
			return fmt.Errorf("write ack of %s: %w", f.Name, err)
		}
	}
	return g.journal.AckWritten(ctx, fileID, lag)
}
