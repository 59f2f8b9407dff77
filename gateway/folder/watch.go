package folder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultQuiet is the quiet period used when Readiness has neither Quiet nor Marker.
const DefaultQuiet = 2 * time.Second

// DefaultRescan is the rescan period used when WatchOptions.Rescan is zero.
const DefaultRescan = 10 * time.Second

// A change notification brings a scan soon: a file's quiet period starts when a scan
// first sees its last version, so every millisecond the scan waits is added to the time
// from the drop to the ack. But a burst of events (a file being written, a thousand files
// dropped at once) must not cost a scan each: the scans that notifications bring start
// notifyGapFactor times the duration of the previous scan apart, so that listing takes a
// tenth of the time at most however big the folder; never less than minNotifyGap apart (a
// small folder where a file is written continuously is listed 200 times a second at most),
// never more than maxNotifyGap (a huge folder still sees its changes within a second).
// Further events do not delay a scan already due: a file written continuously is observed
// regularly.
const (
	notifySettle    = time.Millisecond // the events of one write (create, write, close) cost one scan
	notifyGapFactor = 10
	minNotifyGap    = 5 * time.Millisecond
	maxNotifyGap    = time.Second
)

// notifyWait is how long after a notification at now the scan comes, the previous scan
// having started at lastScan and lasted took.
func notifyWait(now, lastScan time.Time, took time.Duration) time.Duration {
	gap := min(max(notifyGapFactor*took, minNotifyGap), maxNotifyGap)
	return max(notifySettle, lastScan.Add(gap).Sub(now))
}

// Readiness says when a file is complete.
type Readiness struct {
	// Quiet: a file is ready when its size and modification time have not changed across
	// observations spanning at least Quiet. A file already present at the watcher's first
	// scan whose modification time is at least Quiet in the past is ready at once.
	// Zero (without Marker) means DefaultQuiet.
	Quiet time.Duration
	// Marker, when set, replaces the quiet period: a file is ready when its marker file
	// exists at the root. "{name}" is replaced by the file name and "{base}" by the name
	// without its extension: "{name}.ok" → "ventes.csv.ok", "{base}.ok" → "ventes.ok".
	// Marker files are never emitted. A marker without a placeholder ("READY") is one
	// marker for every file. Markers are matched without regard to case.
	Marker string
}

// WatchOptions configure a Watcher.
type WatchOptions struct {
	// Pattern is a path.Match glob on the name, matched without regard to case ("*.csv"
	// matches "VENTES.CSV"); "" matches every name.
	Pattern string
	Ready   Readiness
	// Rescan is the period of the full rescan that Run does even when notified; zero means
	// DefaultRescan.
	Rescan time.Duration
	// Poll, when set, replaces the Rescan period with a schedule: it returns the time of the
	// scan that follows a given time (a cron schedule's Next).
	Poll func(time.Time) time.Time
	// Now is the clock (for tests); nil means time.Now.
	Now func() time.Time
	// Prepare, when set, is called before the first listing of the folder and again after
	// the folder was re-opened at its configured path (see Revalidator): the caller
	// (re)creates what it keeps in the folder. Scans fail while it fails.
	Prepare func(ctx context.Context) error
	// Logger receives, once each, the entries that are not regular files, and problems with
	// change notifications. Nil discards them.
	Logger *slog.Logger
	// OnScan, when set, is told the outcome of every listing of the root: the files not
	// ready and why, or the error (the folder is unreachable). It must return at once.
	OnScan func(waiting []Waiting, err error)
}

// Waiting is a file seen at the root that is not ready, with the reason, for status pages.
type Waiting struct {
	File   FileInfo
	Reason string
	// Settling is true while the file's quiet period runs: waiting a little may make it
	// ready, which a one-shot run uses to decide whether to scan again.
	Settling bool
}

// Watcher finds the complete files at the root of a Folder (not recursively). Its methods
// may be called concurrently.
type Watcher struct {
	f       Folder
	opts    WatchOptions
	pattern string         // lower case
	marker  *regexp.Regexp // matches marker names, nil in quiet mode
	err     error          // invalid options
	remote  bool           // modification times come from another clock (SFTP)

	log *slog.Logger

	scanMu   sync.Mutex      // one scan at a time, so that observations follow listing order
	prepared bool            // Prepare succeeded for the folder as (re)opened (under scanMu)
	reopens  uint64          // the folder's Revalidate count when last seen (under scanMu)
	odd      map[string]Kind // entries that are not regular files, logged once (under scanMu)

	mu      sync.Mutex
	started bool                   // a scan has listed the root successfully
	seen    map[string]observation // by name
	sent    map[string]version     // emitted by Run, by name
	failing error                  // the error of the last scan, while scans fail

	scans    atomic.Int64  // successful scans, for tests
	reopened atomic.Uint64 // times the folder was found re-opened, for Run's notifications
}

type version struct {
	size    int64
	modTime time.Time
}

func (v version) same(o version) bool { return v.size == o.size && v.modTime.Equal(o.modTime) }

type observation struct {
	version
	since time.Time // when this version was first observed
}

// NewWatcher returns a watcher of f's root. Invalid options (a bad pattern or marker) are
// reported by Scan and Run.
func NewWatcher(f Folder, opts WatchOptions) *Watcher {
	w := &Watcher{
		f:    f,
		opts: opts,
		log:  opts.Logger,
		seen: make(map[string]observation),
		sent: make(map[string]version),
		odd:  make(map[string]Kind),
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.opts.Now == nil {
		w.opts.Now = time.Now
	}
	if w.opts.Rescan <= 0 {
		w.opts.Rescan = DefaultRescan
	}
	if w.opts.Ready.Marker == "" && w.opts.Ready.Quiet <= 0 {
		w.opts.Ready.Quiet = DefaultQuiet
	}
	_, w.remote = f.(interface{ remoteClock() })
	w.pattern = strings.ToLower(opts.Pattern)
	if _, err := path.Match(w.pattern, ""); err != nil || strings.Contains(w.pattern, "/") {
		w.err = fmt.Errorf("watch %s: invalid pattern %q", f, opts.Pattern)
	}
	if m := opts.Ready.Marker; m != "" {
		literal := strings.NewReplacer("{name}", "", "{base}", "").Replace(m)
		if literal == "" || strings.Contains(m, "/") || strings.ContainsRune(m, 0) {
			w.err = errors.Join(w.err, fmt.Errorf("watch %s: invalid marker %q", f, m))
		}
		expr := regexp.QuoteMeta(m)
		for _, ph := range []string{"{name}", "{base}"} {
			expr = strings.ReplaceAll(expr, regexp.QuoteMeta(ph), ".+")
		}
		w.marker = regexp.MustCompile("^(?is:" + expr + ")$")
	}
	return w
}

func (w *Watcher) markerFor(name string) string {
	base := strings.TrimSuffix(name, path.Ext(name))
	r := strings.NewReplacer("{name}", name, "{base}", base)
	return r.Replace(w.opts.Ready.Marker)
}

// Scan lists the root once and returns the files that are ready now (in name order), and
// the entries seen that are not ready, with the reason. The .fluxgate directory is left
// out. Only regular files are ever ready; other entries (named pipes, sockets, devices,
// symbolic links) wait with the reason "not a regular file" and are logged once. Before
// listing, a folder that can be re-opened (Revalidator) is checked against its configured
// path. Scan records observations: the quiet period is measured across calls.
func (w *Watcher) Scan(ctx context.Context) (ready []FileInfo, waiting []Waiting, err error) {
	ready, waiting, _, err = w.scan(ctx)
	return ready, waiting, err
}

// scan is Scan that also returns when the earliest waiting file may become ready (zero if
// none will without a change).
func (w *Watcher) scan(ctx context.Context) (ready []FileInfo, waiting []Waiting, next time.Time, err error) {
	if w.err != nil {
		return nil, nil, time.Time{}, w.err
	}
	if w.opts.OnScan != nil {
		defer func() { w.opts.OnScan(waiting, err) }() // after the locks below are released
	}
	w.scanMu.Lock()
	defer w.scanMu.Unlock()
	list, err := w.list(ctx)
	if err != nil {
		w.failed(ctx, err)
		return nil, nil, time.Time{}, err
	}
	w.recovered()
	now := w.opts.Now()

	w.mu.Lock()
	defer w.mu.Unlock()
	first := !w.started
	w.started = true
	w.scans.Add(1)
	w.keepListed(list)
	var markers map[string]bool // lower-case names of regular files, in marker mode
	if w.marker != nil {
		markers = lowerRegularNames(list)
	}
	odd := make(map[string]Kind) // this listing's entries that are not regular files
	for _, fi := range list {
		wait := func(format string, args ...any) {
			waiting = append(waiting, Waiting{File: fi, Reason: fmt.Sprintf(format, args...)})
		}
		if fi.IsDir && fi.Name == ".fluxgate" {
			continue
		}
		if !fi.IsDir && !fi.Regular() {
			odd[fi.Name] = w.reportOdd(fi)
		}
		if reason, excluded := w.excluded(fi); excluded {
			wait("%s", reason)
			continue
		}
		if w.marker != nil {
			if m := w.markerFor(fi.Name); markers[strings.ToLower(m)] {
				ready = append(ready, fi)
			} else {
				wait("waiting for marker %q", m)
			}
			continue
		}
		obs, changed := w.observe(fi, now, first)
		at := obs.since.Add(w.opts.Ready.Quiet)
		if !now.Before(at) {
			ready = append(ready, fi)
			continue
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
		if changed {
			wait("still changing (changed since the previous scan); ready after %s without change", w.opts.Ready.Quiet)
		} else {
			wait("still changing since %s; ready after %s without change", obs.since.Format(time.RFC3339), w.opts.Ready.Quiet)
		}
		waiting[len(waiting)-1].Settling = true
	}
	w.odd = odd // one gone is reported again if it comes back
	return ready, waiting, next, nil
}

// keepListed drops what the watcher knows of the files that are no longer listed (claimed,
// moved or removed): its state is the files present, never the files seen since the start.
// The maps are made anew rather than pruned in place, since a Go map keeps the room it
// once needed: ten thousand files dropped at once would hold it for ever. Under mu.
func (w *Watcher) keepListed(list []FileInfo) {
	seen := make(map[string]observation)
	sent := make(map[string]version)
	for _, fi := range list {
		if !fi.Regular() {
			continue
		}
		if obs, ok := w.seen[fi.Name]; ok {
			seen[fi.Name] = obs
		}
		if v, ok := w.sent[fi.Name]; ok {
			sent[fi.Name] = v
		}
	}
	w.seen, w.sent = seen, sent
}

// lowerRegularNames returns the names of the regular files of list, in lower case.
func lowerRegularNames(list []FileInfo) map[string]bool {
	names := make(map[string]bool)
	for _, fi := range list {
		if fi.Regular() {
			names[strings.ToLower(fi.Name)] = true
		}
	}
	return names
}

// reportOdd logs, once while it stays, an entry that is not a regular file, and returns
// its kind. Under scanMu.
func (w *Watcher) reportOdd(fi FileInfo) Kind {
	k := oddKind(fi)
	if w.odd[fi.Name] != k {
		w.log.Warn("not a regular file in the folder: it is never opened; remove it, or drop the data as a regular file",
			"folder", w.f.String(), "file", fi.Name, "kind", k.String())
	}
	return k
}

// oddKind is the kind of an entry that is not a regular file.
func oddKind(fi FileInfo) Kind {
	if fi.Kind == KindFile || fi.Kind == KindDir {
		return KindSymlink // a caller's FileInfo without a kind: Size -1 meant a link
	}
	return fi.Kind
}

// excluded reports whether an entry is never taken, and why: a directory, what is not a
// regular file, an ignored name, a readiness marker, a name outside the pattern.
func (w *Watcher) excluded(fi FileInfo) (reason string, excluded bool) {
	switch {
	case fi.IsDir:
		return "directory (only files at the top level are processed)", true
	case !fi.Regular():
		// Never opened: a named pipe would block the reader, a device could be endless.
		if k := oddKind(fi); k != KindSymlink {
			return fmt.Sprintf("%s: not a regular file (never opened)", k), true
		}
		return "symbolic link: not a regular file (refused, never followed)", true
	}
	if reason, ignored := isIgnoredName(fi.Name); ignored {
		return reason, true
	}
	if w.marker != nil && w.marker.MatchString(fi.Name) {
		return "readiness marker (never processed)", true
	}
	if ok, _ := path.Match(w.pattern, strings.ToLower(fi.Name)); w.pattern != "" && !ok {
		return fmt.Sprintf("excluded by pattern %q", w.opts.Pattern), true
	}
	return "", false
}

// observe records the version of fi listed at now and returns its observation: since when
// it is unchanged, and whether it changed since the previous scan. The quiet period runs
// from the first listing of a version, not from its modification time (a copy that keeps
// times says nothing of when the writing ended), except for a file that was there before
// the watcher started. Under mu.
func (w *Watcher) observe(fi FileInfo, now time.Time, first bool) (obs observation, changed bool) {
	v := version{fi.Size, fi.ModTime}
	obs, known := w.seen[fi.Name]
	if !known || !obs.same(v) {
		obs = observation{version: v, since: now}
	}
	if first && !known && !w.remote && now.Sub(fi.ModTime) >= w.opts.Ready.Quiet {
		// It sat there before the watcher started: ready now, and until it changes. (Not
		// for a server's times: its clock may be behind ours.)
		obs.since = now.Add(-w.opts.Ready.Quiet)
	}
	w.seen[fi.Name] = obs
	return obs, known && obs.since.Equal(now)
}

// list lists the root, first checking that the folder is still the directory at its
// configured path (re-opened otherwise) and prepared. Under scanMu.
func (w *Watcher) list(ctx context.Context) ([]FileInfo, error) {
	if rv, ok := w.f.(Revalidator); ok {
		n, err := rv.Revalidate(ctx)
		if err != nil {
			return nil, err
		}
		if n != w.reopens {
			w.reopens, w.prepared = n, false
			w.reopened.Add(1)
		}
	}
	if !w.prepared && w.opts.Prepare != nil {
		if err := w.opts.Prepare(ctx); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", w.f, err)
		}
	}
	w.prepared = true
	return w.f.List(ctx, ".")
}

// failed records a failed scan. (A folder on a server logs its connection's life itself;
// the caller's OnScan hears of every failure.)
func (w *Watcher) failed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return // a stop, not a failure
	}
	w.mu.Lock()
	w.failing = err
	w.mu.Unlock()
}

// recovered records a successful scan.
func (w *Watcher) recovered() {
	w.mu.Lock()
	w.failing = nil
	w.mu.Unlock()
}

// Failing returns the error of the last scan while scans fail, nil otherwise.
func (w *Watcher) Failing() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failing
}

// Forget lets Run emit name again (the caller has claimed, moved or given up on it).
func (w *Watcher) Forget(name string) {
	w.mu.Lock()
	delete(w.sent, name)
	w.mu.Unlock()
}

// Run scans at once, after change notifications (when the folder is a Notifier, coalesced),
// every Rescan, when a waiting file's quiet period ends, and, after failed scans, as soon as
// a folder on a server is connected again (Reconnector). It sends each ready file on
// out once per (name, size, modification time) until Forget(name): a file that changes
// after it was sent is sent again once ready. Files that disappear are forgotten. A file
// sent may have been moved or removed by the time it is received; callers must expect
// ErrNotExist. Scan errors go to OnScan and are retried at the next scan. Run does not close
// out; it returns nil when ctx is done, or an error at once for invalid options.
func (w *Watcher) Run(ctx context.Context, out chan<- FileInfo) error {
	if w.err != nil {
		return w.err
	}
	log := w.log

	var notify <-chan struct{}
	notifier, _ := w.f.(Notifier)
	var notifyFor uint64 // w.reopened when notify was subscribed
	subscribe := func() {
		notifyFor = w.reopened.Load()
		ch, err := notifier.Notify(ctx)
		if err != nil {
			log.Warn("folder watch: change notifications unavailable, rescanning only",
				"folder", w.f.String(), "err", err)
			return
		}
		notify = ch
	}
	if notifier != nil {
		subscribe()
	}
	// A folder on a server tells when its connection is back: a scan that failed is done
	// again at once rather than at the next rescan or poll.
	var reconnected chan struct{}
	if rc, ok := w.f.(Reconnector); ok {
		reconnected = make(chan struct{}, 1)
		cancel := rc.OnReconnect(func() {
			select {
			case reconnected <- struct{}{}:
			default:
			}
		})
		defer cancel()
	}

	rescan := time.NewTicker(w.opts.Rescan)
	defer rescan.Stop()
	var poll *time.Timer
	var pollC <-chan time.Time
	if w.opts.Poll != nil {
		rescan.Stop()
		now := w.opts.Now()
		poll = time.NewTimer(max(w.opts.Poll(now).Sub(now), 0))
		defer poll.Stop()
		pollC = poll.C
	}
	wake := time.NewTimer(0) // the first scan, then readiness deadlines and notifications
	defer wake.Stop()
	wakeAt := w.opts.Now()
	var lastScan time.Time         // when the latest scan started
	var lastScanTook time.Duration // and how long it lasted
	setWake := func(at time.Time) {
		if !wakeAt.IsZero() && !at.Before(wakeAt) {
			return // an earlier wake-up is pending
		}
		wakeAt = at
		wake.Reset(max(at.Sub(w.opts.Now()), 0))
	}

	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-notify:
			if !ok {
				notify = nil // the folder was closed or re-opened: see after the next scan
				continue
			}
			now := w.opts.Now()
			setWake(now.Add(notifyWait(now, lastScan, lastScanTook)))
			continue
		case <-reconnected:
			if w.Failing() != nil {
				setWake(w.opts.Now())
			}
			continue
		case <-rescan.C:
		case <-pollC:
			now := w.opts.Now()
			poll.Reset(max(w.opts.Poll(now).Sub(now), 0))
		case <-wake.C:
			wakeAt = time.Time{}
		}

		lastScan = w.opts.Now()
		ready, _, next, err := w.scan(ctx)
		lastScanTook = w.opts.Now().Sub(lastScan)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			continue // OnScan hears of it; tried again at the next scan
		}
		if notifier != nil && notify == nil && w.reopened.Load() != notifyFor {
			subscribe() // the old subscription watched the directory that moved away
		}
		if !next.IsZero() {
			// The scan then reads the clock after its listing: past the deadline, it sees the
			// quiet period elapsed.
			setWake(next)
		}
		for _, fi := range ready {
			if !w.claimSend(ctx, fi) {
				continue
			}
			select {
			case out <- fi:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// claimSend reports whether fi is to be sent, and records it as sent. It checks the file
// again first, since the caller may have moved and forgotten it after the listing.
func (w *Watcher) claimSend(ctx context.Context, fi FileInfo) bool {
	v := version{fi.Size, fi.ModTime}
	w.mu.Lock()
	sent, ok := w.sent[fi.Name]
	w.mu.Unlock()
	if ok && sent.same(v) {
		return false
	}
	cur, err := w.f.Stat(ctx, fi.Name)
	if err != nil || cur.Size != fi.Size || !cur.ModTime.Equal(fi.ModTime) {
		return false // gone or changed: the next scan decides
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if sent, ok := w.sent[fi.Name]; ok && sent.same(v) {
		return false
	}
	w.sent[fi.Name] = v
	return true
}
