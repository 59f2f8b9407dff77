package folder_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/internal/sshdtest"
	"golang.org/x/crypto/ssh"
)

func sftpOptions(s *sshdtest.Server, dir string) folder.SFTPOptions {
	return folder.SFTPOptions{
		Host: s.Host, Port: s.Port, User: s.User, Path: dir,
		KeyFile: s.UserKey.File, KnownHosts: s.KnownHosts, Create: true,
		ConnectTimeout: 10 * time.Second, IOTimeout: 10 * time.Second, MaxBackoff: 50 * time.Millisecond,
	}
}

func openSFTP(t *testing.T, opts folder.SFTPOptions) *folder.SFTP {
	t.Helper()
	f, err := folder.OpenSFTP(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readAll(t *testing.T, f folder.Folder, name string) string {
	t.Helper()
	rc, err := f.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func names(fis []folder.FileInfo) []string {
	var out []string
	for _, fi := range fis {
		out = append(out, fi.Name)
	}
	return out
}

// exerciseFolder runs the Folder contract over f, whose root is root on the local disk.
func exerciseFolder(t *testing.T, f folder.Folder, root string) {
	ctx := context.Background()
	if err := f.MkdirAll(ctx, ".fluxgate/processing"); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteAtomic(ctx, "a.csv", strings.NewReader("first")); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteAtomic(ctx, "a.csv", strings.NewReader("second, longer")); err != nil {
		t.Fatalf("WriteAtomic over an existing file: %v", err)
	}
	if got := readAll(t, f, "a.csv"); got != "second, longer" {
		t.Fatalf("read %q", got)
	}
	if err := f.WriteAtomic(ctx, "b.csv", strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	list, err := f.List(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(list); !slices.Equal(got, []string{".fluxgate", "a.csv", "b.csv"}) {
		t.Fatalf("list = %v (no temporary file may remain)", got)
	}
	fi, err := f.Stat(ctx, "a.csv")
	if err != nil || fi.Size != int64(len("second, longer")) || fi.IsDir {
		t.Fatalf("stat = %+v, %v", fi, err)
	}
	if err := f.Rename(ctx, "a.csv", "b.csv"); !errors.Is(err, folder.ErrExist) {
		t.Fatalf("rename onto an existing file: %v, want ErrExist", err)
	}
	if err := f.Rename(ctx, "a.csv", ".fluxgate/processing/1_a.csv"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stat(ctx, "a.csv"); !errors.Is(err, folder.ErrNotExist) {
		t.Fatalf("stat of a renamed file: %v", err)
	}
	sub, err := f.List(ctx, ".fluxgate/processing")
	if err != nil || !slices.Equal(names(sub), []string{".fluxgate/processing/1_a.csv"}) {
		t.Fatalf("list processing = %v, %v", names(sub), err)
	}
	if err := f.Remove(ctx, "b.csv"); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(ctx, "b.csv"); !errors.Is(err, folder.ErrNotExist) {
		t.Fatalf("remove twice: %v", err)
	}
	if _, err := f.Open(ctx, "missing.csv"); !errors.Is(err, folder.ErrNotExist) {
		t.Fatalf("open missing: %v", err)
	}
	for _, bad := range []string{"../x", "/etc/passwd", "a/../../x"} {
		if _, err := f.Stat(ctx, bad); !errors.Is(err, folder.ErrOutside) {
			t.Errorf("stat %q: %v, want ErrOutside", bad, err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Open(ctx, "link.csv"); !errors.Is(err, folder.ErrOutside) {
		t.Fatalf("open through a symbolic link: %v, want ErrOutside", err)
	}
	list, _ = f.List(ctx, ".")
	for _, fi := range list {
		if fi.Name == "link.csv" && fi.Size != -1 {
			t.Fatalf("a symbolic link is listed as %+v", fi)
		}
	}
}

func TestSFTPFolderContract(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	f := openSFTP(t, sftpOptions(&srv.Server, "drop/inbox"))
	if want := filepath.Join(srv.Root, "drop", "inbox"); f.Root() != filepath.ToSlash(want) {
		t.Fatalf("root = %q, want %q (relative to the login directory, created)", f.Root(), want)
	}
	exerciseFolder(t, f, filepath.Join(srv.Root, "drop", "inbox"))
	if !strings.HasPrefix(f.HostKey(), "ssh-ed25519 SHA256:") {
		t.Fatalf("host key = %q", f.HostKey())
	}
}

func TestSFTPAuthentication(t *testing.T) {
	cases := []struct {
		name string
		opts sshdtest.InProcessOptions
		set  func(o *folder.SFTPOptions)
		err  string
	}{
		{name: "ecdsa key", opts: sshdtest.InProcessOptions{UserKey: "ecdsa"}},
		{name: "rsa key", opts: sshdtest.InProcessOptions{UserKey: "rsa"}},
		{name: "encrypted key", opts: sshdtest.InProcessOptions{Passphrase: "s3cret pass"},
			set: func(o *folder.SFTPOptions) { o.KeyPassphrase = "s3cret pass" }},
		{name: "encrypted key without passphrase", opts: sshdtest.InProcessOptions{Passphrase: "s3cret pass"},
			err: "key_passphrase_env"},
		{name: "encrypted key, wrong passphrase", opts: sshdtest.InProcessOptions{Passphrase: "s3cret pass"},
			set: func(o *folder.SFTPOptions) { o.KeyPassphrase = "nope" }, err: "passphrase"},
		{name: "password", opts: sshdtest.InProcessOptions{Password: "hunter2-secret"},
			set: func(o *folder.SFTPOptions) { o.KeyFile, o.Password = "", "hunter2-secret" }},
		{name: "wrong password", opts: sshdtest.InProcessOptions{Password: "hunter2-secret"},
			set: func(o *folder.SFTPOptions) { o.KeyFile, o.Password = "", "wrong-secret" }, err: "unable to authenticate"},
		{name: "no credentials", set: func(o *folder.SFTPOptions) { o.KeyFile = "" }, err: "password_env"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := sshdtest.StartInProcess(t, c.opts)
			o := sftpOptions(&srv.Server, "")
			if c.set != nil {
				c.set(&o)
			}
			f, err := folder.OpenSFTP(context.Background(), o)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want it to mention %q", err, c.err)
				}
				for _, secret := range []string{"s3cret", "hunter2", "wrong-secret", "nope"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("the error shows a secret: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.WriteAtomic(context.Background(), "x", strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
			if s := f.String(); strings.Contains(s, "secret") || strings.Contains(s, "pass") {
				t.Fatalf("String() = %q shows a secret", s)
			}
		})
	}
}

func TestSFTPHostKeyVerification(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	offered := ssh.FingerprintSHA256(srv.HostKey.Public)
	open := func(set func(o *folder.SFTPOptions)) error {
		o := sftpOptions(&srv.Server, "")
		set(&o)
		f, err := folder.OpenSFTP(context.Background(), o)
		if err == nil {
			f.Close()
		}
		return err
	}
	t.Run("changed key", func(t *testing.T) {
		err := open(func(o *folder.SFTPOptions) { o.KnownHosts = srv.WrongKnownHosts(t) })
		var hk *folder.HostKeyError
		if !errors.As(err, &hk) || !hk.Changed || hk.Fingerprint != offered || !strings.Contains(err.Error(), "CHANGED") {
			t.Fatalf("err = %v, want a changed host key with the offered fingerprint", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(empty, nil, 0o600)
		err := open(func(o *folder.SFTPOptions) { o.KnownHosts = empty })
		var hk *folder.HostKeyError
		if !errors.As(err, &hk) || hk.Changed || !strings.Contains(err.Error(), offered) || !strings.Contains(hk.Fix, srv.HostKey.AuthorizedLine()[len("ssh-ed25519 "):]) {
			t.Fatalf("err = %v, want an unknown host key with its fingerprint and the line to add", err)
		}
	})
	t.Run("missing known_hosts file", func(t *testing.T) {
		err := open(func(o *folder.SFTPOptions) { o.KnownHosts = filepath.Join(t.TempDir(), "nope") })
		if err == nil || !strings.Contains(err.Error(), "ssh-keyscan") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no verification configured", func(t *testing.T) {
		err := open(func(o *folder.SFTPOptions) { o.KnownHosts = "" })
		if err == nil || !strings.Contains(err.Error(), "always verified") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("pinned key", func(t *testing.T) {
		if err := open(func(o *folder.SFTPOptions) { o.KnownHosts, o.HostKey = "", srv.HostKey.AuthorizedLine() }); err != nil {
			t.Fatal(err)
		}
		if err := open(func(o *folder.SFTPOptions) { o.KnownHosts, o.HostKey = "", offered }); err != nil {
			t.Fatalf("pinned fingerprint: %v", err)
		}
		other := sshdtest.NewKey(t, t.TempDir(), "k", "ed25519", "")
		err := open(func(o *folder.SFTPOptions) { o.KnownHosts, o.HostKey = "", other.AuthorizedLine() })
		var hk *folder.HostKeyError
		if !errors.As(err, &hk) || !hk.Changed || !strings.Contains(hk.Fix, "host_key") {
			t.Fatalf("err = %v, want the pinned key refused", err)
		}
	})
}

// TestSFTPReconnectsAfterCut: a dropped connection makes at most the operation in flight
// fail; the next one reconnects.
func TestSFTPReconnectsAfterCut(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	f := openSFTP(t, sftpOptions(&srv.Server, ""))
	ctx := context.Background()
	if _, err := f.List(ctx, "."); err != nil {
		t.Fatal(err)
	}
	srv.Cut()
	var err error
	for range 3 {
		if _, err = f.List(ctx, "."); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no reconnection: %v", err)
	}
	if n := f.Connections(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// TestSFTPHungServerDoesNotHang: a server that keeps the connection open but stops
// answering makes operations fail after the I/O timeout, not hang.
func TestSFTPHungServerDoesNotHang(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	o := sftpOptions(&srv.Server, "")
	o.IOTimeout = 200 * time.Millisecond
	f := openSFTP(t, o)
	ctx := context.Background()
	srv.Stall()
	done := make(chan error, 1)
	go func() {
		_, err := f.List(ctx, ".")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no answer") {
			t.Fatalf("err = %v, want a timeout", err)
		}
	case <-time.After(time.Minute): // a safety net only
		t.Fatal("the operation hangs")
	}
	srv.Resume()
	var err error
	for range 3 {
		if _, err = f.List(ctx, "."); err == nil {
			break
		}
		time.Sleep(60 * time.Millisecond) // past the back-off
	}
	if err != nil {
		t.Fatalf("no recovery after the server answers again: %v", err)
	}
}

// blockingReader yields head, then signals and waits for release before failing or yielding
// the tail.
type blockingReader struct {
	head, tail []byte
	reached    chan struct{}
	release    chan struct{}
	state      int
}

func newBlockingReader(head, tail []byte) *blockingReader {
	return &blockingReader{head: head, tail: tail, reached: make(chan struct{}), release: make(chan struct{})}
}

func (r *blockingReader) Read(p []byte) (int, error) {
	switch r.state {
	case 0:
		n := copy(p, r.head)
		r.head = r.head[n:]
		if len(r.head) == 0 {
			r.state = 1
		}
		return n, nil
	case 1:
		close(r.reached)
		<-r.release
		r.state = 2
	}
	n := copy(p, r.tail)
	r.tail = r.tail[n:]
	if len(r.tail) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// TestSFTPUploadCutLeavesNoPartialFile: an upload cut in the middle never shows under its
// final name, and its temporary file is removed once reconnected.
func TestSFTPUploadCutLeavesNoPartialFile(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	f := openSFTP(t, sftpOptions(&srv.Server, "outbox"))
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	r := newBlockingReader(data[:100<<10], data[100<<10:])
	done := make(chan error, 1)
	go func() { done <- f.WriteAtomic(ctx, "FA-1_ubl.xml", r) }()
	<-r.reached
	srv.Cut()
	close(r.release)
	if err := <-done; err == nil {
		t.Fatal("an upload cut in the middle succeeded")
	}
	if _, err := os.Stat(filepath.Join(srv.Root, "outbox", "FA-1_ubl.xml")); !os.IsNotExist(err) {
		t.Fatalf("the final name exists after a cut upload: %v", err)
	}
	var err error
	for range 3 {
		if err = f.WriteAtomic(ctx, "FA-1_ubl.xml", bytes.NewReader(data)); err == nil {
			break
		}
		time.Sleep(60 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(srv.Root, "outbox", "FA-1_ubl.xml"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("deposited %d bytes, want %d (%v)", len(got), len(data), err)
	}
	entries, _ := os.ReadDir(filepath.Join(srv.Root, "outbox"))
	if len(entries) != 1 {
		var n []string
		for _, e := range entries {
			n = append(n, e.Name())
		}
		t.Fatalf("outbox holds %v, want only the final file", n)
	}
}

// TestSFTPBackoff: while the server is down, operations fail at once with the last error
// instead of dialling every time.
func TestSFTPBackoff(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	o := sftpOptions(&srv.Server, "")
	o.MaxBackoff = time.Hour
	f := openSFTP(t, o)
	srv.Close()
	ctx := context.Background()
	var errs []error
	for range 3 {
		_, err := f.List(ctx, ".")
		errs = append(errs, err)
	}
	if errs[len(errs)-1] == nil || !strings.Contains(errs[len(errs)-1].Error(), "next attempt in") {
		t.Fatalf("errors = %v, want the last one to wait for the back-off", errs)
	}
}

// TestSFTPWatcherUsesServerTimesCarefully: a file already on the server when the watcher
// starts is not taken on the server's word that it is old (its clock may lag): it waits one
// quiet period.
func TestSFTPWatcherWaitsOneQuietPeriod(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	f := openSFTP(t, sftpOptions(&srv.Server, "in"))
	p := filepath.Join(srv.Root, "in", "v.csv")
	os.WriteFile(p, []byte("x"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	now := time.Now()
	w := folder.NewWatcher(f, folder.WatchOptions{Ready: folder.Readiness{Quiet: time.Minute}, Now: func() time.Time { return now }})
	ready, _, err := w.Scan(context.Background())
	if err != nil || len(ready) != 0 {
		t.Fatalf("first scan: ready %v, %v", ready, err)
	}
	now = now.Add(time.Minute)
	ready, _, err = w.Scan(context.Background())
	if err != nil || len(ready) != 1 {
		t.Fatalf("after the quiet period: ready %v, %v", ready, err)
	}
}

// TestSFTPWatcherPollSchedule: with a poll schedule (cron's Next), a folder without change
// notifications is scanned on the schedule, not on the rescan period.
func TestSFTPWatcherPollSchedule(t *testing.T) {
	srv := sshdtest.StartInProcess(t, sshdtest.InProcessOptions{})
	f := openSFTP(t, sftpOptions(&srv.Server, "in"))
	w := folder.NewWatcher(f, folder.WatchOptions{
		Ready:  folder.Readiness{Marker: "{name}.ok"},
		Rescan: time.Hour,
		Poll:   func(at time.Time) time.Time { return at.Add(20 * time.Millisecond) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan folder.FileInfo)
	go w.Run(ctx, out)
	// Once the first scan is over, drop a file and its marker: only a poll can find them.
	if _, _, err := w.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(srv.Root, "in", "v.csv"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(srv.Root, "in", "v.csv.ok"), nil, 0o644)
	select {
	case fi := <-out:
		if fi.Name != "v.csv" {
			t.Fatalf("emitted %+v", fi)
		}
	case <-time.After(time.Minute): // a safety net only
		t.Fatal("the poll schedule never scanned")
	}
}
