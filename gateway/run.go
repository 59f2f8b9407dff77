package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/delivery"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// Recover finishes what a previous run left half-done: files claimed or processed but not
// yet in archive/ or error/, acks that lag behind the journal, and spool files no flux
// needs any more. Fluxes left depositing are picked up by the next deposit round.
// A file that cannot be finished (a source unreachable, say) does not stop the others: the
// error is returned with the rest, and the file is tried again later.
func (g *Gateway) Recover(ctx context.Context) error {
	var errs []error
	for _, r := range g.routes {
		errs = append(errs, g.resumePending(ctx, r))
	}
	if err := g.rewriteStaleAcks(ctx); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return errors.Join(append(errs, g.cleanUp(ctx))...)
}

// rewriteStaleAcks rewrites the acks that lag behind the journal.
func (g *Gateway) rewriteStaleAcks(ctx context.Context) error {
	stale, err := g.journal.StaleAcks(ctx)
	if err != nil {
		return err
	}
	// Together, a few hundred at a time (writeAcks): after a crash or a --once run, they
	// may be many.
	for part := range slices.Chunk(stale, 256) {
		if err := g.writeAcks(ctx, part); err != nil {
			g.log.Warn("acks not all rewritten", "files", len(part), "err", err)
		}
	}
	return nil
}

// resumePending finishes the files of r that a crash or a failure left claimed or processed.
func (g *Gateway) resumePending(ctx context.Context, r *route) error {
	pending, err := g.journal.Pending(ctx, r.cfg.Name)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range pending {
		// Among several instances: its own files, and those of an instance that stopped
		// heartbeating, never a live one's (cluster.go).
		if ok, err := g.takeOver(ctx, f.ID); err != nil || !ok {
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		g.log.Info("resuming a file left half-done", "source", r.cfg.Name, "file", f.Name, "id", f.ID, "state", f.State)
		if _, err := g.resume(ctx, r, f.ID); err != nil {
			g.log.Warn("file not finished; it will be tried again", "source", r.cfg.Name, "file", f.Name, "id", f.ID, "err", err)
			errs = append(errs, fmt.Errorf("resume %s/%s: %w", r.cfg.Name, f.Name, err))
		}
	}
	return errors.Join(errs...)
}

// cleanUp removes what a killed run left in the folders the gateway writes to: temporary
// files of interrupted writes, and spool files no queued flux needs any more.
func (g *Gateway) cleanUp(ctx context.Context) error {
	if g.cluster != nil {
		return g.cleanUpShared(ctx) // other instances write there now (cluster.go)
	}
	for _, r := range g.routes {
		for _, c := range []struct {
			f   folder.Folder
			dir string
		}{{r.acks, "."}, {r.in, processingDir}, {r.in, archiveDir}, {r.in, errorDir}} {
			if err := folder.RemoveStaleTemps(ctx, c.f, c.dir); err != nil {
				g.log.Warn("temporary files not cleaned", "folder", c.f, "dir", c.dir, "err", err)
			}
		}
	}
	for _, d := range g.dests {
		if c, ok := d.Destination.(interface{ Clean(context.Context) error }); ok {
			if err := c.Clean(ctx); err != nil {
				g.log.Warn("temporary files not cleaned", "destination", d.Name(), "err", err)
			}
		}
	}
	if err := folder.RemoveStaleTemps(ctx, g.spool, "."); err != nil {
		return fmt.Errorf("clean spool: %w", err)
	}
	return g.cleanSpool(ctx)
}

// cleanSpool removes spool files that no queued flux refers to: left by a crash after a
// deposit was recorded, or by a file processed again.
func (g *Gateway) cleanSpool(ctx context.Context) error {
	files, err := g.spool.List(ctx, ".")
	if err != nil {
		return fmt.Errorf("list spool: %w", err)
	}
	needed, err := g.spoolNeeded(ctx, files)
	if err != nil {
		return err
	}
	for i, f := range files {
		if f.IsDir || needed[i] || strings.HasPrefix(f.Name, ".") {
			continue
		}
		if err := g.spool.Remove(ctx, f.Name); err != nil {
			g.log.Warn("stale spool file not removed", "file", f.Name, "err", err)
		}
	}
	return nil
}

// spoolNeeded sorts files (a listing of the spool) by name and says, for each, whether a
// flux still to deposit refers to it. The journal's names stream past the listing: beyond
// it, the memory taken is a bool a file, however long the queue.
func (g *Gateway) spoolNeeded(ctx context.Context, files []folder.FileInfo) ([]bool, error) {
	byName := func(f folder.FileInfo, name string) int { return strings.Compare(f.Name, name) }
	slices.SortFunc(files, func(a, b folder.FileInfo) int { return byName(a, b.Name) })
	needed := make([]bool, len(files))
	err := g.journal.EachSpoolName(ctx, func(name string) {
		if i, ok := slices.BinarySearchFunc(files, name, byName); ok {
			needed[i] = true
		}
	})
	return needed, err
}

// Run watches every source and deposits on every schedule until ctx is done. On a stop, the
// file in hand and the deposit in hand are finished first: a deposit round stops between
// fluxes, and the flux in hand gets shutdown_timeout at most; what is cut then is left
// depositing in the journal, which the next start checks before sending anything again.
func (g *Gateway) Run(ctx context.Context) error {
	// Heartbeats (among several instances) go on through the recovery and until the work
	// in hand is done; then the stop is recorded.
	beat, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	beating := make(chan struct{})
	go func() { defer close(beating); g.runCluster(beat) }()
	defer func() { stopBeat(); <-beating }()
	// Listened to before the recovery: a connection back while it fails to finish a file
	// waits in backs for runRoute, which resumes the file then; heard only once runRoute
	// listens, it would be lost, and the file left for the periodic retry.
	backs := make([]<-chan struct{}, len(g.routes))
	for i, r := range g.routes {
		back, stop := reconnected(r)
		defer stop()
		backs[i] = back
	}
	if err := g.Recover(ctx); err != nil {
		g.log.Warn("some work left by a previous run could not be finished yet", "err", err)
	}
	work, cancel := graceful(ctx, g.ShutdownTimeout())
	defer cancel()
	var wg sync.WaitGroup
	for _, d := range g.dests {
		wg.Go(func() { g.deliver.Run(work, ctx.Done(), d) })
		d.Kick() // whatever waits from before goes out on the first round
	}
	for _, d := range g.dests {
		if rc, ok := d.Destination.(folder.Reconnector); ok {
			wg.Go(func() { g.depositWhenBack(ctx, d, rc) })
		}
	}
	errs := make(chan error, len(g.routes))
	for i, r := range g.routes {
		wg.Go(func() { errs <- g.runRoute(ctx, r, backs[i]) })
	}
	if g.ready != nil {
		g.ready() // recovered, watching and depositing: a service manager may say it runs
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// depositWhenBack deposits the fluxes of d that wait out a back-off as soon as the
// connection to d's server comes back, instead of when the back-off ends: they waited
// because the server was unreachable. The round ignores the back-offs and the pause, as
// `fluxgate retry` does.
func (g *Gateway) depositWhenBack(ctx context.Context, d *delivery.Destination, rc folder.Reconnector) {
	back := make(chan struct{}, 1)
	defer rc.OnReconnect(func() { signal(back) })()
	for {
		select {
		case <-ctx.Done():
			return
		case <-back:
		}
		if _, waiting, err := g.journal.NextAttempt(ctx, d.Name()); err != nil || !waiting {
			continue
		}
		g.log.Info("server back: depositing now the fluxes that waited for it", "destination", d.Name())
		if err := g.deliver.Round(context.WithoutCancel(ctx), ctx.Done(), d, true); err != nil {
			g.log.Warn("deposit round stopped; the fluxes wait out their back-off", "destination", d.Name(), "err", err)
		}
	}
}

// signal sends on a channel of capacity 1 without waiting: one pending signal is enough.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// reconnected returns a channel signalled each time a folder of r on a server (its source,
// its acks) is connected again, and the function that stops listening.
func reconnected(r *route) (<-chan struct{}, func()) {
	back := make(chan struct{}, 1)
	var stops []func()
	for _, f := range []folder.Folder{r.in, r.acks} {
		if rc, ok := f.(folder.Reconnector); ok {
			stops = append(stops, rc.OnReconnect(func() { signal(back) }))
		}
	}
	return back, func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// runRoute feeds the files the watcher finds complete to take, up to the source's workers
// at once (workers.go). When back (reconnected) says a folder on a server is connected
// again, the files a lost connection left half-done, and their acks, are finished.
func (g *Gateway) runRoute(ctx context.Context, r *route, back <-chan struct{}) error {
	work := newWorkers(r.cfg.Workers)
	defer work.idle() // the files in hand are finished
	ready := make(chan folder.FileInfo)
	watchErr := make(chan error, 1)
	go func() { watchErr <- r.watcher.Run(ctx, ready) }()
	// A file claimed but not finished (its source failed mid-read) is tried again.
	retry := time.NewTicker(time.Minute)
	defer retry.Stop()
	// Among several instances, the files of one that died are taken over soon (cluster.go).
	orphans, stopOrphans := g.orphanTicker()
	defer stopOrphans()
	for {
		select {
		case <-orphans:
			g.adoptOrphans(context.WithoutCancel(ctx), r)
		case <-retry.C:
			work.idle() // never resumes a file a worker has in hand
			g.resumePending(context.WithoutCancel(ctx), r)
		case <-back:
			work.idle()
			g.resumePending(context.WithoutCancel(ctx), r)
			if err := g.rewriteStaleAcks(context.WithoutCancel(ctx)); err != nil {
				g.log.Warn("acks not rewritten", "source", r.cfg.Name, "err", err)
			}
		case err := <-watchErr: // the watcher stops when ctx is done, or on a bad option
			if err != nil {
				return fmt.Errorf("watch %s: %w", r.cfg.Name, err)
			}
			return nil
		case fi := <-ready:
			// The file in hand is finished even if a stop is asked meanwhile.
			work.run(func() {
				if _, err := g.take(context.WithoutCancel(ctx), r, fi); err != nil {
					g.log.Error("file not processed; it will be tried again", "source", r.cfg.Name, "file", fi.Name, "err", err)
					r.watcher.Forget(fi.Name)
				}
			})
		}
	}
}

// ShutdownTimeout is how long a stop waits for the work in hand (shutdown_timeout).
func (g *Gateway) ShutdownTimeout() time.Duration {
	if d := time.Duration(g.cfg.ShutdownTimeout); d > 0 {
		return d
	}
	return config.DefaultShutdownTimeout
}

// graceful returns a context that ends grace after ctx does: the work in hand outlives a
// stop by that much at most.
func graceful(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, cancel)
		context.AfterFunc(work, func() { t.Stop() })
	})
	return work, func() { stop(); cancel() }
}

// Summary is what a --once run did.
type Summary struct {
	Files     int
	Accepted  int
	Partial   int
	Rejected  int
	Duplicate int
	Waiting   []folder.Waiting // files seen but not taken (still changing, waiting for a marker)
	Errors    []error          // system errors: a file or a deposit that could not be handled
}

// ExitCode is the --once exit status: 0 all accepted, 1 some invoice rejected, 2 a system
// error.
func (s Summary) ExitCode() int {
	switch {
	case len(s.Errors) > 0:
		return 2
	case s.Partial > 0 || s.Rejected > 0:
		return 1
	}
	return 0
}

// RunOnce processes every complete file of every source, then deposits everything pending
// on every destination whatever its schedule, and returns. A file still being written is
// waited for as long as its quiet period needs, once; after that it is left for the next run.
func (g *Gateway) RunOnce(ctx context.Context) (s Summary, err error) {
	if err := g.Recover(ctx); err != nil {
		s.Errors = append(s.Errors, err) // the rest goes on; the exit status says 2
	}
	work, cancel := graceful(ctx, g.ShutdownTimeout())
	defer cancel()
	// The acks of the files accepted are written once, at the end, saying what was
	// deposited (ackDone); also after a failure or a stop, within the grace period. One
	// not written (a kill) is stale in the journal: the next start writes it.
	g.acksAfterDeposit = true
	defer func() {
		g.acksAfterDeposit = false
		if aerr := g.rewriteStaleAcks(work); aerr != nil {
			s.Errors = append(s.Errors, fmt.Errorf("acks: %w", aerr))
		}
	}()
	for _, r := range g.routes {
		if err := g.onceRoute(ctx, r, &s); err != nil {
			return s, err
		}
	}
	for _, d := range g.dests {
		if err := g.deliver.Round(work, ctx.Done(), d, true); err != nil {
			s.Errors = append(s.Errors, fmt.Errorf("deposit to %s: %w", d.Name(), err))
		}
		// A batch run also brings back what platforms said since the last one.
		if err := g.deliver.Track(ctx, d); err != nil {
			s.Errors = append(s.Errors, err)
		}
	}
	return s, nil
}

func (g *Gateway) onceRoute(ctx context.Context, r *route, s *Summary) error {
	deadline := g.now().Add(2*time.Duration(r.cfg.Ready.Quiet) + time.Second)
	for {
		ready, waiting, err := r.watcher.Scan(ctx)
		if err != nil {
			return fmt.Errorf("scan %s: %w", r.cfg.Name, err)
		}
		// Up to the source's workers at once; all done before the next scan, which would
		// list again a file still being claimed.
		work := newWorkers(r.cfg.Workers)
		var mu sync.Mutex // s
		for _, fi := range ready {
			work.run(func() {
				status, err := g.take(ctx, r, fi)
				mu.Lock()
				defer mu.Unlock()
				g.fileDone()
				if err != nil {
					s.Errors = append(s.Errors, fmt.Errorf("%s/%s: %w", r.cfg.Name, fi.Name, err))
					return
				}
				s.Files++
				switch status {
				case journal.StatusAccepted:
					s.Accepted++
				case journal.StatusPartial:
					s.Partial++
				case journal.StatusDuplicate:
					s.Duplicate++
				default:
					s.Rejected++
				}
			})
		}
		work.idle()
		settling := settlingFiles(waiting)
		if len(settling) == 0 || !g.now().Before(deadline) {
			s.Waiting = append(s.Waiting, waiting...)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval(r)):
		}
	}
}

// settlingFiles are those a short wait may make ready: the ones whose quiet period runs.
func settlingFiles(ws []folder.Waiting) []folder.Waiting {
	var out []folder.Waiting
	for _, w := range ws {
		if w.Settling {
			out = append(out, w)
		}
	}
	return out
}

func pollInterval(r *route) time.Duration {
	d := time.Duration(r.cfg.Ready.Quiet) / 4
	if d < 50*time.Millisecond {
		d = 50 * time.Millisecond
	}
	return d
}
