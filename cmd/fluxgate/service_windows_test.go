//go:build windows

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows/svc"
)

// TestExecute drives the service handler as the Service Control Manager would: start
// pending, running once the gateway serves, an Interrogate answered, stop pending on Stop,
// and a clean end. No SCM is needed.
func TestExecute(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "ventes-2026-11.csv")
	h := &windowsService{opts: serviceOptions{name: "fluxgate-test", config: cfg}, events: &recordedEvents{}}
	requests := make(chan svc.ChangeRequest)
	changes := make(chan svc.Status, 10)
	type result struct {
		specific bool
		code     uint32
	}
	done := make(chan result, 1)
	go func() {
		s, c := h.Execute(nil, requests, changes)
		done <- result{s, c}
	}()
	for _, want := range []svc.State{svc.StartPending, svc.Running} {
		if got := <-changes; got.State != want {
			t.Fatalf("state %d, want %d", got.State, want)
		}
	}
	requests <- svc.ChangeRequest{Cmd: svc.Interrogate, CurrentStatus: svc.Status{State: svc.Running}}
	if got := <-changes; got.State != svc.Running {
		t.Fatalf("Interrogate answered %d", got.State)
	}
	requests <- svc.ChangeRequest{Cmd: svc.Stop}
	if got := <-changes; got.State != svc.StopPending {
		t.Fatalf("state %d after Stop, want stop pending", got.State)
	}
	if r := <-done; r.specific || r.code != 0 {
		t.Fatalf("Execute returned %v, %d after a clean stop", r.specific, r.code)
	}
	if _, err := os.Stat(filepath.Join(dir, "ack", "ventes-2026-11.csv.ack.xml")); err != nil {
		t.Fatalf("the file was not processed under the service: %v", err)
	}
}

// TestExecuteFailsWithServiceSpecificCode: a configuration error ends the service with a
// service-specific exit code, which the SCM's recovery actions count as a failure.
func TestExecuteFailsWithServiceSpecificCode(t *testing.T) {
	dir := t.TempDir()
	h := &windowsService{opts: serviceOptions{name: "fluxgate-test", config: filepath.Join(dir, "gone.yaml")}, events: &recordedEvents{}}
	changes := make(chan svc.Status, 10)
	specific, code := h.Execute(nil, make(chan svc.ChangeRequest), changes)
	if !specific || code != 2 {
		t.Fatalf("Execute returned %v, %d; want a service-specific 2", specific, code)
	}
}

func TestServicePassword(t *testing.T) {
	t.Setenv("FLUXGATE_SERVICE_PASSWORD", "")
	t.Setenv("FLUXGATE_SERVICE_PASSWORD_FILE", "")
	for _, user := range []string{"", `NT SERVICE\fluxgate`, `NT AUTHORITY\NetworkService`, `CORP\gmsa-fluxgate$`} {
		if pw, err := servicePassword(user); err != nil || pw != "" {
			t.Errorf("%q needs no password: %q, %v", user, pw, err)
		}
	}
	if _, err := servicePassword(`CORP\svc-fluxgate`); err == nil || !strings.Contains(err.Error(), "FLUXGATE_SERVICE_PASSWORD") {
		t.Errorf("a domain account's password comes from FLUXGATE_SERVICE_PASSWORD: %v", err)
	}
}

// TestServiceInstallTwice installs a real service, so it runs only from an elevated prompt
// with FLUXGATE_WINDOWS_SERVICE_TEST=1: a second install is refused in one sentence, then
// the service starts, serves, stops and is removed.
func TestServiceInstallTwice(t *testing.T) {
	if os.Getenv("FLUXGATE_WINDOWS_SERVICE_TEST") != "1" {
		t.Skip("installs a Windows service: set FLUXGATE_WINDOWS_SERVICE_TEST=1 in an elevated prompt")
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	name := fmt.Sprintf("fluxgate-test-%d", time.Now().UnixNano())
	do := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(context.Background(), append(args, "--name", name), &out, &out)
		return code, out.String()
	}
	if code, out := do("service", "install", "-c", cfg); code != 0 {
		t.Fatalf("install: %d %s", code, out)
	}
	defer do("service", "uninstall")
	if code, out := do("service", "install", "-c", cfg); code != 2 || !strings.Contains(out, "already installed") {
		t.Fatalf("second install: %d %s", code, out)
	}
	if code, out := do("service", "start"); code != 0 {
		t.Fatalf("start: %d %s", code, out)
	}
	if code, out := do("service", "status"); code != 0 || !strings.Contains(out, "running") {
		t.Fatalf("status: %d %s", code, out)
	}
	if code, out := do("service", "stop"); code != 0 {
		t.Fatalf("stop: %d %s", code, out)
	}
	if code, out := do("service", "uninstall"); code != 0 {
		t.Fatalf("uninstall: %d %s", code, out)
	}
	if code, out := do("service", "status"); code != 2 || !strings.Contains(out, "not installed") {
		t.Fatalf("status after uninstall: %d %s", code, out)
	}
}
