//go:build unix

package gateway

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
)

// TestSpecialFilesInDropFolder: a named pipe and a socket named like exports never hang the
// source or `status`: they are never opened, wait with the reason "not a regular file",
// are logged once, and the export dropped beside them is processed.
func TestSpecialFilesInDropFolder(t *testing.T) {
	e := newEnv(t)
	e.drop(t, "ventes-2026-11.csv", "ok.csv")
	if err := syscall.Mkfifo(filepath.Join(e.inbox, "pipe.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(e.inbox, "sock.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	g, logs := openLogged(t, e.config(t))

	// Everything below would hang on opening the pipe: a safety net turns that into a failure.
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := runOnce(t, g)
		if s.Files != 1 || s.Accepted != 1 {
			t.Errorf("summary = %+v, want ok.csv accepted", s)
		}
		reasons := map[string]string{}
		for _, w := range s.Waiting {
			reasons[w.File.Name] = w.Reason
		}
		for _, name := range []string{"pipe.csv", "sock.csv"} {
			if !strings.Contains(reasons[name], "not a regular file") {
				t.Errorf("run --once: %s: reason %q", name, reasons[name])
			}
		}
		rep, err := g.Status(context.Background(), time.Time{})
		if err != nil {
			t.Error(err)
			return
		}
		if len(rep.Files) != 1 || rep.Files[0].Name != "ok.csv" {
			t.Errorf("status files = %+v", rep.Files)
		}
		reasons = map[string]string{}
		for _, w := range rep.Waiting {
			reasons[w.Name] = w.Reason
		}
		if !strings.Contains(reasons["pipe.csv"], "named pipe (FIFO): not a regular file") || !strings.Contains(reasons["sock.csv"], "socket: not a regular file") {
			t.Errorf("status reasons = %v", reasons)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a safety net only
		t.Fatal("run --once or status hangs on the named pipe")
	}
	for _, name := range []string{"pipe.csv", "sock.csv"} {
		if n := logs.count("file=" + name); n != 1 {
			t.Errorf("%s logged %d times, want once:\n%s", name, n, logs)
		}
	}
	if fi, err := os.Lstat(filepath.Join(e.inbox, "pipe.csv")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was moved or replaced: %v", err)
	}

	// The daemon too goes on beside them.
	runDaemon(t, g)
	name := e.dropVariant(t, 1)
	waitFor(t, func() bool {
		_, err := os.Stat(filepath.Join(e.acks, ack.Name(name)))
		return err == nil
	})
	if doc := e.ack(t, name); doc.File.Status != "ACCEPTED" {
		t.Fatalf("ack = %+v", doc.File)
	}
}
