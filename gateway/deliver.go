package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// deliver deposits every flux waiting for d, oldest first. It stops at the first transient
// failure (the destination is likely down: the next round tries again) and returns it; a
// permanent failure is recorded against its flux and the round goes on.
func (g *Gateway) deliver(ctx context.Context, d *destination) error {
	fluxes, err := g.journal.Deliverable(ctx, d.Name())
	if err != nil {
		return err
	}
	for _, fx := range fluxes {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err := g.depositOne(ctx, d, fx)
		if fileID, ferr := g.journal.FileOfFlux(ctx, fx.ID); ferr == nil {
			if aerr := g.writeAck(ctx, fileID); aerr != nil {
				g.log.Error("ack not rewritten", "flux", fx.FinalName, "err", aerr)
			}
		}
		if err != nil && !deposit.IsPermanent(err) {
			return err
		}
	}
	return nil
}

// depositOne deposits one flux: recorded as depositing first, so that after a crash the
// destination's idempotent Deposit finds it instead of sending it twice.
func (g *Gateway) depositOne(ctx context.Context, d *destination, fx journal.Flux) error {
	data, err := g.readSpool(ctx, fx.SpoolName)
	if errors.Is(err, folder.ErrNotExist) {
		err = deposit.Permanent(fmt.Errorf("the spooled flux %s is missing; process the source file again", fx.SpoolName))
		return g.depositFailed(ctx, fx, err)
	}
	if err != nil {
		return g.depositFailed(ctx, fx, err)
	}
	if err := g.journal.StartDeposit(ctx, fx.ID); err != nil {
		return err
	}
	receipt, err := d.Deposit(ctx, deposit.Flux{Name: fx.FinalName, Syntax: fx.Syntax, Data: data, SHA256: fx.SHA256})
	if err != nil {
		return g.depositFailed(ctx, fx, err)
	}
	if err := g.journal.Deposited(ctx, fx.ID, receipt.ID); err != nil {
		return err
	}
	g.log.Info("flux deposited", "destination", d.Name(), "flux", fx.FinalName, "already_there", receipt.AlreadyThere)
	if err := g.spool.Remove(ctx, fx.SpoolName); err != nil && !errors.Is(err, folder.ErrNotExist) {
		g.log.Warn("spool file not removed", "file", fx.SpoolName, "err", err)
	}
	return nil
}

func (g *Gateway) depositFailed(ctx context.Context, fx journal.Flux, err error) error {
	permanent := deposit.IsPermanent(err)
	g.log.Warn("deposit failed", "destination", fx.Destination, "flux", fx.FinalName, "permanent", permanent, "err", err)
	reason := "dépôt en échec, nouvel essai prévu : " + err.Error()
	if permanent {
		reason = "dépôt refusé : " + err.Error()
	}
	if jerr := g.journal.DepositFailed(ctx, fx.ID, reason, permanent); jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}

func (g *Gateway) readSpool(ctx context.Context, name string) ([]byte, error) {
	rc, err := g.spool.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// runDestination deposits on d's schedule until ctx is done: at each cron tick, or at once
// when a file was processed for a "now" destination. A round cut short by a failure is tried
// again after retryDelay.
func (g *Gateway) runDestination(ctx context.Context, d *destination) {
	const retryDelay = time.Minute
	var retry <-chan time.Time
	for {
		var tick <-chan time.Time
		if !d.schedule.Now {
			now := g.now()
			tick = time.After(d.schedule.Cron.Next(now).Sub(now))
		}
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-tick:
		case <-retry:
		}
		retry = nil
		// The round in hand is finished even when a stop is asked: a deposit is never cut.
		if err := g.deliver(context.WithoutCancel(ctx), d); err != nil {
			g.log.Warn("deposit round stopped; will try again", "destination", d.Name(), "in", retryDelay, "err", err)
			retry = time.After(retryDelay)
		}
	}
}
