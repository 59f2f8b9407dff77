package gateway

import "sync"

// workers runs up to n takes of one source at once. The durable writes of several files
// (claim, archive, ack, spool) then overlap, where one file at a time waits for each of
// them in turn, and so do their mappings, checks and writes. What must stay one at a time
// is: the end of process, under Gateway.decide (duplicates and final names are decided
// against every file recorded before, filerun.go); and a source's resume
// of claimed files (resumePending), which waits for the files in hand first (idle), so that
// it never resumes a file a worker holds.
type workers struct {
	slots chan struct{}
	wg    sync.WaitGroup
}

func newWorkers(n int) *workers {
	return &workers{slots: make(chan struct{}, max(n, 1))}
}

// run runs fn once a slot is free, waiting for one.
func (w *workers) run(fn func()) {
	w.slots <- struct{}{}
	w.wg.Add(1)
	go func() {
		defer func() {
			<-w.slots
			w.wg.Done()
		}()
		fn()
	}()
}

// idle waits until every fn started has returned.
func (w *workers) idle() { w.wg.Wait() }
