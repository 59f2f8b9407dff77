package gateway

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// Files taken by several workers at once are each claimed once, and duplicates among them
// are still found: 30 exports and 10 byte-for-byte copies under other names, and 10 files
// repeating the invoices of another beside six of their own, all dropped together for 4
// workers. Every export is ACCEPTED once, every copy DUPLICATE, every repeated invoice
// deposited once, and the flux files written for the repeated ones leave the spool.
func TestWorkersClaimOnceAndFindDuplicates(t *testing.T) {
	e := newEnv(t)
	e.extra = "    workers: 4\n"
	sample, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	header, rows, _ := bytes.Cut(sample, []byte("\n"))
	export := func(i int) []byte {
		body := bytes.ReplaceAll(rows, []byte("FA2026-"), fmt.Appendf(nil, "F%03d-", i))
		body = bytes.ReplaceAll(body, []byte("AV2026-"), fmt.Appendf(nil, "A%03d-", i))
		return append(append(append([]byte{}, header...), '\n'), body...)
	}
	const files = 30
	for i := range files {
		e.write(t, fmt.Sprintf("lot-%03d.csv", i), export(i))
	}
	for i := range 10 {
		e.write(t, fmt.Sprintf("copie-%03d.csv", i), export(i)) // the same bytes as lot-i
	}
	for i := range 10 {
		// lot-i's invoices, then six of its own: the first six are duplicates.
		_, own, _ := bytes.Cut(export(100+i), []byte("\n"))
		e.write(t, fmt.Sprintf("melange-%03d.csv", i), append(export(i), own...))
	}
	g := e.open(t)
	s, err := g.RunOnce(context.Background())
	if err != nil || len(s.Errors) != 0 {
		t.Fatalf("summary %+v, %v", s, err)
	}
	if s.Files != files+20 || s.Accepted != files+10 || s.Duplicate != 10 {
		t.Errorf("summary %+v: want %d accepted, 10 duplicate", s, files+10)
	}
	entries, err := os.ReadDir(e.outbox)
	if err != nil {
		t.Fatal(err)
	}
	if want := (files + 10) * 6 * 2; len(entries) != want {
		t.Errorf("%d fluxes deposited, want %d (6 invoices per export, UBL and CII, once each)", len(entries), want)
	}
	archived, _ := os.ReadDir(filepath.Join(e.inbox, ".fluxgate", "archive"))
	if len(archived) != files+20 {
		t.Errorf("%d files archived, want %d", len(archived), files+20)
	}
	if left := e.spoolFiles(t); len(left) != 0 {
		t.Errorf("spool files left after every flux was deposited: %v", left)
	}
}

// A flood of files costs no goroutine per file: run waits for a free slot before it starts
// one, so the caller (the route's loop, fed by the watcher) is held back while n files are
// in hand.
func TestWorkersRunWaitsForASlot(t *testing.T) {
	const n = 2
	w := newWorkers(n)
	release := make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	started := make(chan int, 3*n)
	go func() {
		for i := range 3 * n {
			w.run(func() {
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				<-release
				mu.Lock()
				running--
				mu.Unlock()
			})
			started <- i
		}
	}()
	for range n {
		<-started
	}
	select {
	case i := <-started:
		t.Fatalf("run returned for file %d while %d files were in hand", i, n)
	case <-time.After(50 * time.Millisecond): // only a failure can end sooner
	}
	close(release)
	for range 2 * n {
		<-started
	}
	w.idle()
	if most > n {
		t.Errorf("%d files in hand at once, want at most %d", most, n)
	}
}
