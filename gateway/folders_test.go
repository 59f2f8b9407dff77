package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/sshdtest"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"golang.org/x/crypto/ssh"
)

// These tests are about folders that change under a running gateway: special files in a
// drop folder, a moved outbox or drop folder, an SFTP server that goes away and comes back.

// moveAway renames dir to dir.old and makes a new, empty dir at its path.
func moveAway(t *testing.T, dir string) string {
	t.Helper()
	old := dir + ".old"
	if err := os.Rename(dir, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	return old
}

// TestMovedOutboxGetsTheNextDeposits: an outbox moved away and made again at its path (a
// share mounted there, a directory re-created) gets the next fluxes; the old directory gets
// nothing new, and the acks only say DEPOSITED of fluxes in the directory at the path.
func TestMovedOutboxGetsTheNextDeposits(t *testing.T) {
	e := newEnv(t)
	g, logs := openLogged(t, e.config(t))
	first := e.dropVariant(t, 1)
	runOnce(t, g)
	old := moveAway(t, e.outbox)
	before := list(t, old)
	second := e.dropVariant(t, 2)
	runOnce(t, g)
	if got := list(t, old); !slices.Equal(got, before) {
		t.Fatalf("the old outbox got new files: %v", got)
	}
	doc := e.ack(t, second)
	if doc.Summary.Deposited != len(sampleInvoices) {
		t.Fatalf("second file: %+v", doc.Summary)
	}
	now := list(t, e.outbox)
	for _, inv := range doc.Invoices {
		for _, f := range inv.Fluxes {
			if !slices.Contains(now, f.Name) {
				t.Errorf("%s acknowledged DEPOSITED but not in the outbox at its path", f.Name)
			}
		}
	}
	if len(now) != 2*len(sampleInvoices) {
		t.Fatalf("the outbox at the path holds %v", now)
	}
	if e.ack(t, first).Summary.Deposited != len(sampleInvoices) {
		t.Fatal("the first file's ack changed")
	}
	if logs.count("folder re-opened") != 1 {
		t.Fatalf("the re-opening is not logged once:\n%s", logs)
	}
}

// TestOutboxGoneIsNeverReportedDeposited: while nothing is at the outbox's path (moved away,
// unmounted), deposits fail and wait; nothing goes into the directory moved away; once a
// directory is there again, they go into it.
func TestOutboxGoneIsNeverReportedDeposited(t *testing.T) {
	e := newEnv(t)
	g, _ := openLogged(t, e.config(t))
	if err := os.Rename(e.outbox, e.outbox+".old"); err != nil {
		t.Fatal(err)
	}
	name := e.dropVariant(t, 1)
	s, err := g.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) == 0 {
		t.Fatal("deposits into a missing outbox did not fail")
	}
	if doc := e.ack(t, name); doc.Summary.Deposited != 0 || doc.Summary.Queued != len(sampleInvoices) {
		t.Fatalf("ack while the outbox is gone: %+v", doc.Summary)
	}
	if got := list(t, e.outbox+".old"); len(got) != 0 {
		t.Fatalf("deposited into the directory moved away: %v", got)
	}
	if _, err := os.Stat(e.outbox); !os.IsNotExist(err) {
		t.Fatal("the outbox was made again at its path by a deposit")
	}
	if err := os.Mkdir(e.outbox, 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Retry(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if doc := e.ack(t, name); doc.Summary.Deposited != len(sampleInvoices) {
		t.Fatalf("ack once the outbox is back: %+v", doc.Summary)
	}
	if got := list(t, e.outbox); len(got) != 2*len(sampleInvoices) {
		t.Fatalf("outbox holds %v", got)
	}
}

// TestMovedDropFolderIsFollowed: a drop folder moved away and made again is re-opened at its
// path with its work folders, and files dropped there are processed; what was left in the
// old one is not touched.
func TestMovedDropFolderIsFollowed(t *testing.T) {
	e := newEnv(t)
	g, _ := openLogged(t, e.config(t))
	runOnce(t, g)
	old := moveAway(t, e.inbox)
	if err := os.WriteFile(filepath.Join(old, "left.csv"), sampleBytes(t, "ventes-2026-11.csv"), 0o640); err != nil {
		t.Fatal(err)
	}
	name := e.dropVariant(t, 1)
	s := runOnce(t, g)
	if s.Files != 1 || s.Accepted != 1 {
		t.Fatalf("summary = %+v", s)
	}
	if doc := e.ack(t, name); !strings.HasPrefix(doc.File.StoredAs, archiveDir+"/") {
		t.Fatalf("ack = %+v", doc.File)
	}
	if got := list(t, filepath.Join(e.inbox, archiveDir)); len(got) != 1 {
		t.Fatalf("archive in the new drop folder holds %v", got)
	}
	if got := list(t, old); !slices.Contains(got, "left.csv") {
		t.Fatalf("the old drop folder was touched: %v", got)
	}
}

// sftpEnv is a gateway whose outbox, and drop folder if asked, are on an SFTP server, with
// time-outs short enough to notice an outage within a fraction of a second. The in-process
// server can be stalled (a server down) and resumed.
type sftpEnv struct {
	srv     *sshdtest.Server
	inproc  *sshdtest.InProcess // nil for OpenSSH
	dir     string
	timeout string // connect and I/O time-outs
}

func newSFTPEnv(t *testing.T) *sftpEnv {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	return &sftpEnv{srv: &srv.Server, inproc: srv, dir: t.TempDir(), timeout: "300ms"}
}

// config: source on the server (inbox/, acks in ack/) when sftpSource, else local; the
// destination on the server (outbox/), deposits at once.
func (s *sftpEnv) config(t *testing.T, sftpSource bool) *config.Config {
	t.Helper()
	conn := fmt.Sprintf("host: %s, port: %d, user: %s, key_file: %s, known_hosts: %s, connect_timeout: %s, io_timeout: %s, keepalive: 100ms, max_backoff: 100ms",
		s.srv.Host, s.srv.Port, s.srv.User, s.srv.UserKey.File, s.srv.KnownHosts, s.timeout, s.timeout)
	source := "folder: {path: inbox}\n    ack: {path: ack}"
	if sftpSource {
		source = fmt.Sprintf("folder: {sftp: {%s, path: inbox}}\n    ack: {path: ack}", conn)
	}
	yaml := fmt.Sprintf(`
journal: {path: journal.db}
spool: spool
sources:
  - name: ventes
    %s
    pattern: "*.csv"
    ready: {quiet: 200ms}
    rescan: 100ms
    mapping: %s
    outputs: [ubl]
    destination: platform
destinations:
  - name: platform
    folder: {sftp: {%s, path: outbox}}
`, source, filepath.Join(testutil.RepoRoot(t), "examples", "mappings", "ventes-csv.xml"), conn)
	cfg, err := config.Parse(filepath.Join(s.dir, "fluxgate.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (s *sftpEnv) upload(t *testing.T, name string, data []byte) {
	t.Helper()
	p := filepath.Join(s.srv.Root, "inbox", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
}

// TestStatusWithSourceServerUnreachable: `status` opens the gateway and shows the journal
// while the source's server does not answer, with the connection error beside the source.
func TestStatusWithSourceServerUnreachable(t *testing.T) {
	s := newSFTPEnv(t)
	cfg := s.config(t, true)
	g, _ := openLogged(t, cfg)
	s.upload(t, "v.csv", sampleBytes(t, "ventes-2026-11.csv"))
	if sum := runOnce(t, g); sum.Accepted != 1 {
		t.Fatalf("summary = %+v", sum)
	}
	g.Close()

	s.inproc.Stall()
	defer s.inproc.Resume()
	other, logs := openLogged(t, cfg) // as `fluxgate status` does
	rep, err := other.Status(context.Background(), time.Time{})
	if err != nil {
		t.Fatalf("status with the server down: %v", err)
	}
	if len(rep.Files) != 1 || rep.Files[0].Name != "v.csv" || len(rep.Files[0].Invoices) != len(sampleInvoices) {
		t.Fatalf("files = %+v", rep.Files)
	}
	if len(rep.Sources) != 1 || rep.Sources[0].Name != "ventes" || rep.Sources[0].Error == "" || rep.Sources[0].Paused {
		t.Fatalf("sources = %+v, want the connection error beside the source", rep.Sources)
	}
	if !strings.Contains(rep.Sources[0].Folder, "sftp://") {
		t.Fatalf("source folder = %q", rep.Sources[0].Folder)
	}
	if logs.count("SFTP server unreachable") == 0 {
		t.Fatalf("the unreachable server is not logged:\n%s", logs)
	}
}

// TestClaimedFileResumesWhenSourceServerIsBack: a file claimed but not finished because the
// source's server went away is finished as soon as the server is back (announced by the
// folder), not at the next periodic retry (a minute, past waitFor's patience). The server
// comes back at the worst moment, deterministically: right after the recovery failed to
// finish the file, reconnected by the recovery itself, before the source's loop runs.
func TestClaimedFileResumesWhenSourceServerIsBack(t *testing.T) {
	s := newSFTPEnv(t)
	g, logs := openLogged(t, s.config(t, true))
	ctx := context.Background()
	data := sampleBytes(t, "ventes-2026-11.csv")
	// The state a read cut by the server leaves: claimed in the journal, moved into
	// processing/, not processed.
	s.upload(t, "v.csv", data)
	sum := sha256.Sum256(data)
	id, err := g.journal.ClaimFile(ctx, "ventes", "v.csv", hex.EncodeToString(sum[:]), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(s.srv.Root, "inbox", "v.csv"), filepath.Join(s.srv.Root, "inbox", filepath.FromSlash(processingName(id, "v.csv")))); err != nil {
		t.Fatal(err)
	}
	pendingWhileDown := make(chan int, 1)
	var once sync.Once
	logs.onMessage = func(msg string) {
		if msg != "file not finished; it will be tried again" {
			return
		}
		once.Do(func() {
			pending, _ := g.journal.Pending(ctx, "ventes")
			pendingWhileDown <- len(pending)
			s.inproc.Resume()
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
				if _, err := g.routes[0].in.Stat(ctx, "."); err == nil {
					return // reconnected, and announced to whoever listens by now
				}
			}
		})
	}
	s.inproc.Stall()
	runDaemon(t, g)
	if n := <-pendingWhileDown; n != 1 {
		t.Fatalf("%d files pending while the server is down, want 1", n)
	}
	waitFor(t, func() bool {
		pending, _ := g.journal.Pending(ctx, "ventes")
		return len(pending) == 0
	})
	waitFor(t, func() bool {
		data, err := os.ReadFile(filepath.Join(s.srv.Root, "ack", ack.Name("v.csv")))
		return err == nil && bytes.Contains(data, []byte(`status="ACCEPTED"`))
	})
	if n := logs.count("SFTP connection restored"); n == 0 {
		t.Fatalf("the reconnection is not logged:\n%s", logs)
	}
}

// TestFailedDepositsGoOutWhenServerIsBack: fluxes that failed because the destination's
// server was down are deposited as soon as it is back, not when their back-off ends. The
// gateway's clock is frozen, so no back-off or pause ever ends by itself here.
func TestFailedDepositsGoOutWhenServerIsBack(t *testing.T) {
	s := newSFTPEnv(t)
	cfg := s.config(t, false)
	g, logs := openLogged(t, cfg)
	frozen := time.Now()
	g.now = func() time.Time { return frozen }
	s.inproc.Stall()
	runDaemon(t, g)
	inbox := filepath.Join(s.dir, "inbox")
	p := filepath.Join(inbox, "v.csv")
	if err := os.WriteFile(p, sampleBytes(t, "ventes-2026-11.csv"), 0o640); err != nil {
		t.Fatal(err)
	}
	ackFile := filepath.Join(s.dir, "ack", ack.Name("v.csv"))
	waitFor(t, func() bool {
		at, waiting, err := g.journal.NextAttempt(context.Background(), "platform")
		return err == nil && waiting && at.After(frozen)
	})
	if got := list(t, filepath.Join(s.srv.Root, "outbox")); len(got) != 0 {
		t.Fatalf("deposited while the server is stalled: %v", got)
	}
	s.inproc.Resume()
	waitFor(t, func() bool {
		data, err := os.ReadFile(ackFile)
		return err == nil && bytes.Contains(data, fmt.Appendf(nil, `deposited="%d"`, len(sampleInvoices)))
	})
	if got := list(t, filepath.Join(s.srv.Root, "outbox")); len(got) != len(sampleInvoices) {
		t.Fatalf("outbox on the server holds %v", got)
	}
	if logs.count("server back: depositing now") == 0 {
		t.Fatalf("log:\n%s", logs)
	}
}

// TestOpenSSHHostKeyChangedWhileRunning: the SFTP server of a running gateway comes back
// with another host key. The refusal is logged once, in full (fingerprint and how to fix
// it); the source takes nothing; `status` says it is paused and why.
func TestOpenSSHHostKeyChangedWhileRunning(t *testing.T) {
	srv := sshdtest.StartOpenSSH(t)
	s := &sftpEnv{srv: &srv.Server, dir: t.TempDir(), timeout: "5s"}
	g, logs := openLogged(t, s.config(t, true))
	runDaemon(t, g)
	up := srv.Client(t)
	w, err := up.Create("inbox/v.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sampleBytes(t, "ventes-2026-11.csv"))
	w.Close()
	waitFor(t, func() bool {
		_, err := os.Stat(filepath.Join(srv.Root, "ack", ack.Name("v.csv")))
		return err == nil
	})

	srv.Kill()
	newKey := sshdtest.NewKey(t, filepath.Dir(srv.HostKey.File), filepath.Base(srv.HostKey.File), "ed25519", "")
	srv.Start()
	inbox := "folder=sftp://" + srv.User + "@" + srv.Addr() + "/inbox "
	refused := func() []string {
		var lines []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "SFTP server refused") && strings.Contains(l, "has CHANGED") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	waitFor(t, func() bool {
		return slices.ContainsFunc(refused(), func(l string) bool { return strings.Contains(l, inbox) })
	})
	// Let the source try again a few times: still logged once per folder.
	attempts := strings.Count(srv.Log(), "Connection from")
	waitFor(t, func() bool { return strings.Count(srv.Log(), "Connection from") >= attempts+3 })
	perFolder := map[string]int{}
	for _, l := range refused() {
		folder, _, _ := strings.Cut(l[strings.Index(l, "folder="):], " ")
		perFolder[folder]++
	}
	for f, n := range perFolder {
		if n != 1 {
			t.Errorf("the host key error of %s logged %d times, want once:\n%s", f, n, logs)
		}
	}
	line := refused()[0]
	fp := ssh.FingerprintSHA256(newKey.Public)
	if !strings.Contains(line, fp) || !strings.Contains(line, "replace the old line in") || !strings.Contains(line, "level=ERROR") {
		t.Fatalf("the log does not give the error in full (fingerprint %s, the fix):\n%s", fp, line)
	}
	rep, err := g.Status(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources) != 1 || !rep.Sources[0].Paused || !strings.Contains(rep.Sources[0].Error, "CHANGED") {
		t.Fatalf("sources = %+v, want the source paused on the host key", rep.Sources)
	}
	if len(rep.Files) != 1 {
		t.Fatalf("files = %+v", rep.Files)
	}
	var hk *folder.HostKeyError
	if !errors.As(g.routes[0].watcher.Failing(), &hk) {
		t.Fatalf("the watcher's failure is %v", g.routes[0].watcher.Failing())
	}
}

// Two files of the same name finished in the same second are given two names in archive/:
// the first is reserved from its record to its move, before which nothing is there to see.
func TestStoredTargetsOfTheSameNameDiffer(t *testing.T) {
	ctx := context.Background()
	in, err := folder.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	g := &Gateway{now: func() time.Time { return now }}
	r := &route{in: in, stored: &storedNames{}}
	f := journal.File{Name: "ventes.csv"}
	first, err := g.storedTarget(ctx, r, f, journal.StatusAccepted)
	if err != nil {
		t.Fatal(err)
	}
	second, err := g.storedTarget(ctx, r, f, journal.StatusAccepted)
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatalf("both files given %s: the second move would replace the first file", first)
	}
	if rejected, _ := g.storedTarget(ctx, r, f, journal.StatusRejected); path.Dir(rejected) != errorDir {
		t.Fatalf("rejected file given %s, not a name in %s", rejected, errorDir)
	}
	r.stored.release(first)
	if again, _ := g.storedTarget(ctx, r, f, journal.StatusAccepted); again != first {
		t.Fatalf("after release: %s, want %s again", again, first)
	}
}
