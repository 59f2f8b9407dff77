package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// waitForHolder waits until the gateway runs and the journal's lock file names pid.
func waitForHolder(t *testing.T, dir string, pid int, stderr fmt.Stringer) {
	t.Helper()
	lock := journal.LockPath(filepath.Join(dir, "j.db"))
	deadline := time.Now().Add(time.Minute)
	for {
		data, _ := os.ReadFile(lock)
		if strings.Contains(string(data), fmt.Sprintf("pid=%d\n", pid)) && strings.Contains(stderr.String(), "fluxgate running") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not take the journal's lock in a minute:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A second instance on the journal of a running daemon exits 2 naming it (pid, host,
// since), whatever it was asked (run --once, retry, reprocess); status runs beside it.
func TestSecondInstanceRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "ventes-2026-11.csv")
	ctx, stop := context.WithCancel(context.Background())
	var daemonOut, daemonErr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run", "-c", cfg}, &daemonOut, &daemonErr) }()
	defer func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("the daemon exited %d:\n%s", code, daemonErr.String())
		}
	}()
	waitForHolder(t, dir, os.Getpid(), &daemonErr)
	host, _ := os.Hostname()
	for _, args := range [][]string{{"run", "--once"}, {"run"}, {"retry", "--failed"}, {"reprocess", "1"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(args, "-c", cfg), &stdout, &stderr)
		msg := stderr.String()
		if code != 2 || !strings.Contains(msg, fmt.Sprintf("pid %d on host %s, since ", os.Getpid(), host)) || !strings.Contains(msg, "stop that one first") {
			t.Errorf("%v: exit %d, stderr %q", args, code, msg)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"status", "-c", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("status beside the daemon: exit %d: %s", code, stderr.String())
	}
}

// The same through the binary: two processes on one journal.
func TestSecondProcessRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	child := func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join(args, "\x1f"))
		cmd.Dir = dir
		return cmd
	}
	first := child("run", "-c", cfg)
	var firstErr syncBuffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		first.Process.Signal(syscall.SIGTERM)
		first.Wait()
	}()
	waitForHolder(t, dir, first.Process.Pid, &firstErr)

	second := child("run", "--once", "-c", cfg)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	err := second.Run()
	host, _ := os.Hostname()
	if second.ProcessState.ExitCode() != 2 || !strings.Contains(stderr.String(), fmt.Sprintf("pid %d on host %s, since ", first.Process.Pid, host)) {
		t.Fatalf("second process: %v, stderr %q", err, stderr.String())
	}
	if n := strings.Count(strings.TrimSpace(stderr.String()), "\n"); n != 0 {
		t.Errorf("the refusal takes %d lines, want one:\n%s", n+1, stderr.String())
	}
}

// A spool the gateway cannot write stops the start with exit 2 and one sentence.
func TestUnwritableSpoolExits2(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	os.WriteFile(filepath.Join(dir, "spool"), []byte("a file where the spool should be"), 0o600)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--once", "-c", cfg}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "spool") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
