package folder_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/internal/sshdtest"
)

// syncLog collects log lines for assertions; safe for concurrent use.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncLog) count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), substr)
}

func (b *syncLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// quickOptions are SFTP options that notice a dead or stalled server within a fraction of
// a second, and log to the returned buffer.
func quickOptions(s *sshdtest.Server, dir string) (folder.SFTPOptions, *syncLog) {
	o := sftpOptions(s, dir)
	o.ConnectTimeout, o.IOTimeout, o.Keepalive, o.MaxBackoff = 300*time.Millisecond, 300*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond
	logs := &syncLog{}
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	return o, logs
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a safety net only
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSFTPOutageLoggedOnceAndReconnectionAnnounced: an idle connection whose server stops
// answering is found dead by the keepalive and logged lost once; the failed attempts while
// it stays down are logged unreachable once; when it answers again the folder reconnects by
// itself, logs it once and tells its listeners.
func TestSFTPOutageLoggedOnceAndReconnectionAnnounced(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	o, logs := quickOptions(&srv.Server, "in")
	f := openSFTP(t, o)
	var back atomic.Int32
	cancel := f.OnReconnect(func() { back.Add(1) })
	defer cancel()

	srv.Stall()
	eventually(t, "the loss is noticed", func() bool { return f.ConnError() != nil })
	accepted := srv.Accepted()
	eventually(t, "several attempts fail", func() bool { return srv.Accepted() >= accepted+3 })
	if _, err := f.List(context.Background(), "."); err == nil {
		t.Fatal("listing a stalled server succeeded")
	}
	srv.Resume()
	eventually(t, "the listeners hear the connection is back", func() bool { return back.Load() == 1 })
	if err := f.ConnError(); err != nil {
		t.Fatalf("ConnError after the reconnection: %v", err)
	}
	if _, err := f.List(context.Background(), "."); err != nil {
		t.Fatal(err)
	}
	for msg, want := range map[string]int{"SFTP connection lost": 1, "SFTP server unreachable": 1, "SFTP connection restored": 1} {
		if n := logs.count(msg); n != want {
			t.Errorf("%q logged %d times, want %d:\n%s", msg, n, want, logs)
		}
	}
}

// TestSFTPCutConnectionComesBackAtOnce: a connection the server closes is replaced at once
// by the folder itself, without waiting for an operation.
func TestSFTPCutConnectionComesBackAtOnce(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	o, logs := quickOptions(&srv.Server, "")
	o.Keepalive = time.Hour // the loss is seen from the connection's end, not a keepalive
	f := openSFTP(t, o)
	back := make(chan struct{}, 1)
	defer f.OnReconnect(func() { back <- struct{}{} })()
	srv.Cut()
	select {
	case <-back:
	case <-time.After(time.Minute): // a safety net only
		t.Fatalf("no reconnection:\n%s", logs)
	}
	if n := f.Connections(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	if logs.count("SFTP connection lost") != 1 || logs.count("SFTP connection restored") != 1 || logs.count("unreachable") != 0 {
		t.Fatalf("log:\n%s", logs)
	}
}

// TestSFTPKeepTryingOpensAnUnreachableServer: with KeepTrying, a server down at start does
// not fail OpenSFTP; the error is there to see, and the folder works once the server does.
func TestSFTPKeepTryingOpensAnUnreachableServer(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	o, logs := quickOptions(&srv.Server, "in")
	o.KeepTrying = true
	srv.Stall()
	f := openSFTP(t, o)
	if f.ConnError() == nil {
		t.Fatal("no connection error while the server does not answer")
	}
	if _, err := f.List(context.Background(), "."); err == nil {
		t.Fatal("listing succeeded")
	}
	back := make(chan struct{}, 1)
	defer f.OnReconnect(func() { back <- struct{}{} })()
	srv.Resume()
	select {
	case <-back:
	case <-time.After(time.Minute): // a safety net only
		t.Fatalf("no reconnection:\n%s", logs)
	}
	if _, err := f.List(context.Background(), "."); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(srv.Root + "/in"); err != nil {
		t.Fatalf("the folder was not made on the first connection: %v", err)
	}
	if logs.count("SFTP server unreachable") != 1 || logs.count("SFTP connection restored") != 1 {
		t.Fatalf("log:\n%s", logs)
	}
	// Without KeepTrying the same outage fails OpenSFTP, and logs nothing.
	srv.Stall()
	defer srv.Resume()
	o2, logs2 := quickOptions(&srv.Server, "in")
	if g, err := folder.OpenSFTP(context.Background(), o2); err == nil {
		g.Close()
		t.Fatal("OpenSFTP succeeded on a stalled server")
	}
	if logs2.String() != "" {
		t.Fatalf("a failed open logged:\n%s", logs2)
	}
}

// TestSFTPHostKeyChangedWhileRunning: when the server's key stops matching known_hosts
// (here known_hosts changes; against OpenSSH the server's key does), the reconnection is
// refused, the refusal logged once in full, ConnError says so; once known_hosts trusts the
// key again the folder resumes by itself, without a restart.
func TestSFTPHostKeyChangedWhileRunning(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	o, logs := quickOptions(&srv.Server, "")
	f := openSFTP(t, o)
	back := make(chan struct{}, 1)
	defer f.OnReconnect(func() {
		select {
		case back <- struct{}{}:
		default:
		}
	})()
	good, err := os.ReadFile(srv.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := os.ReadFile(srv.WrongKnownHosts(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(srv.KnownHosts, wrong, 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Cut()
	var hk *folder.HostKeyError
	eventually(t, "the host key is refused", func() bool { return errors.As(f.ConnError(), &hk) })
	accepted := srv.Accepted()
	eventually(t, "more attempts are refused", func() bool { return srv.Accepted() >= accepted+3 })
	if _, err := f.List(context.Background(), "."); !errors.As(err, &hk) || !hk.Changed {
		t.Fatalf("list = %v, want the host key error", err)
	}
	if n := logs.count("host key of " + srv.Addr() + " has CHANGED"); n != 1 {
		t.Fatalf("the host key error logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), hk.Fingerprint) || !strings.Contains(logs.String(), "replace the old line in") {
		t.Fatalf("the log does not give the error in full:\n%s", logs)
	}
	if err := os.WriteFile(srv.KnownHosts, good, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-back:
	case <-time.After(time.Minute): // a safety net only
		t.Fatalf("no reconnection once the key is trusted again:\n%s", logs)
	}
	if _, err := f.List(context.Background(), "."); err != nil {
		t.Fatal(err)
	}
}
