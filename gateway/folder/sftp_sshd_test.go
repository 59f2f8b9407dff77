package folder_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/internal/sshdtest"
)

// These tests run against OpenSSH's sshd (started by the test, on 127.0.0.1).

func TestOpenSSHFolderContract(t *testing.T) {
	srv := sshdtest.StartOpenSSH(t)
	f := openSFTP(t, sftpOptions(&srv.Server, "inbox"))
	exerciseFolder(t, f, filepath.Join(srv.Root, "inbox"))
	exts, err := f.Extensions(context.Background())
	if err != nil || !slices.Contains(exts, "posix-rename@openssh.com") {
		t.Fatalf("extensions = %v, %v", exts, err)
	}
	if free, err := f.FreeSpace(context.Background()); err != nil || free == 0 {
		t.Fatalf("free space = %d, %v", free, err)
	}
}

func TestOpenSSHHostKeyMismatchRefused(t *testing.T) {
	srv := sshdtest.StartOpenSSH(t)
	o := sftpOptions(&srv.Server, "")
	o.KnownHosts = srv.WrongKnownHosts(t)
	_, err := folder.OpenSFTP(context.Background(), o)
	var hk *folder.HostKeyError
	if !errors.As(err, &hk) || !hk.Changed || !strings.Contains(err.Error(), "SHA256:") {
		t.Fatalf("err = %v, want the changed host key refused with its fingerprint", err)
	}
}

// TestOpenSSHSlowUploadTakenOnceComplete: a file uploaded slowly by another SFTP client is
// not ready while it grows; once complete it is, whole.
func TestOpenSSHSlowUploadTakenOnceComplete(t *testing.T) {
	srv := sshdtest.StartOpenSSH(t)
	f := openSFTP(t, sftpOptions(&srv.Server, "inbox"))
	uploader := srv.Client(t)
	data := bytes.Repeat([]byte("NumFacture;Montant\n"), 200)
	remote, err := uploader.Create("inbox/slow.csv")
	if err != nil {
		t.Fatal(err)
	}
	quiet := 500 * time.Millisecond
	w := folder.NewWatcher(f, folder.WatchOptions{Ready: folder.Readiness{Quiet: quiet}})
	ctx := context.Background()
	// Write a few bytes at a time, far more often than the quiet period, scanning between.
	for off := 0; off < len(data); off += 200 {
		if _, err := remote.Write(data[off:min(off+200, len(data))]); err != nil {
			t.Fatal(err)
		}
		ready, _, err := w.Scan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ready) != 0 {
			t.Fatalf("taken while still uploading at %d of %d bytes: %+v", off, len(data), ready)
		}
		time.Sleep(quiet / 10)
	}
	if err := remote.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // a safety net only
	for {
		ready, _, err := w.Scan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ready) == 1 {
			if ready[0].Size != int64(len(data)) {
				t.Fatalf("ready with %d bytes of %d", ready[0].Size, len(data))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the complete file never became ready")
		}
		time.Sleep(quiet / 5)
	}
}

// TestOpenSSHKilledMidUpload: the server killed in the middle of a deposit and restarted
// leads to exactly one delivery, and nothing incomplete ever under the final name.
func TestOpenSSHKilledMidUpload(t *testing.T) {
	srv := sshdtest.StartOpenSSH(t)
	f := openSFTP(t, sftpOptions(&srv.Server, "outbox"))
	ctx := context.Background()
	data := bytes.Repeat([]byte("<Invoice>0123456789</Invoice>\n"), 1<<14) // ~480 KiB
	final := filepath.Join(srv.Root, "outbox", "FA-1_ubl.xml")

	// First attempt: the upload stops half-way while the server is killed.
	r := newBlockingReader(data[:200<<10], data[200<<10:])
	done := make(chan error, 1)
	go func() { done <- f.WriteAtomic(ctx, "FA-1_ubl.xml", r) }()
	<-r.reached
	srv.Kill()
	close(r.release)
	if err := <-done; err == nil {
		t.Fatal("an upload to a killed server succeeded")
	}
	if _, err := os.Stat(final); !os.IsNotExist(err) {
		t.Fatalf("the final name exists after the kill: %v", err)
	}

	// While the server is down the destination fails, as a transient error.
	sum := sha256.Sum256(data)
	flux := deposit.Flux{Name: "FA-1_ubl.xml", Syntax: "ubl", Invoice: "FA-1", Data: data, SHA256: hex.EncodeToString(sum[:])}
	dest := deposit.NewFolder("platform", f)
	if _, err := dest.Deposit(ctx, flux); err == nil || deposit.IsPermanent(err) {
		t.Fatalf("deposit to a dead server: %v, want a transient error", err)
	}

	srv.Start()
	var receipt deposit.Receipt
	var err error
	deadline := time.Now().Add(30 * time.Second) // a safety net: the back-off is short here
	for {
		if receipt, err = dest.Deposit(ctx, flux); err == nil {
			break
		}
		if deposit.IsPermanent(err) || time.Now().After(deadline) {
			t.Fatalf("deposit after the restart: %v\n%s", err, srv.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if receipt.AlreadyThere {
		t.Fatal("the interrupted upload counted as a delivery")
	}
	// Tried again (as after a crash before the journal heard of it): recognised, not resent.
	if receipt, err = dest.Deposit(ctx, flux); err != nil || !receipt.AlreadyThere {
		t.Fatalf("second deposit: %+v, %v", receipt, err)
	}
	got, err := os.ReadFile(final)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("delivered %d bytes, want %d (%v)", len(got), len(data), err)
	}
	entries, _ := os.ReadDir(filepath.Join(srv.Root, "outbox"))
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{"FA-1_ubl.xml"}) {
		t.Fatalf("outbox holds %v, want exactly one delivery and no temporary file", left)
	}
}
