package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// run serves the status pages and the API beside the pipeline, and stops them with the
// daemon.
func TestRunServesHTTP(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, "ventes-2026-11.csv")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("http: {listen: \"" + addr + "\"}\n")
	f.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errs bytes.Buffer
	go func() { done <- run(ctx, []string{"run", "-c", path}, &out, &errs) }()
	get := func(p string) (int, string) {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := get("/api/v1/files")
		if code == 200 && strings.Contains(body, `"status": "ACCEPTED"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon never showed its file: %d %s\n%s", code, body, errs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "Tableau de bord") {
		t.Fatalf("dashboard: %d", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, `fluxgate_files_total{source="ventes",status="ACCEPTED"} 1`) {
		t.Fatalf("metrics: %d\n%s", code, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	if code, _ := get("/healthz"); code != 0 {
		t.Fatalf("the server still answers after the stop: %d", code)
	}
	if !strings.Contains(errs.String(), "status pages and API stopped") {
		t.Fatalf("the log says the server stopped:\n%s", errs.String())
	}
}
