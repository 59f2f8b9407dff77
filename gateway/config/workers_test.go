package config

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A source processes as many files at once as the machine has cores unless told; a
// negative number is refused, saying what is allowed.
func TestSourceWorkers(t *testing.T) {
	doc := func(workers string) []byte {
		return []byte(`
sources:
  - name: ventes
    folder: {path: inbox}
    mapping: m.xml
    destination: out
` + workers + `
destinations:
  - name: out
    folder: {path: outbox}
`)
	}
	path := filepath.Join(t.TempDir(), "fluxgate.yaml")
	cfg, err := Parse(path, doc(""))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sources[0].Workers != runtime.NumCPU() {
		t.Errorf("default workers %d, want the number of cores (%d)", cfg.Sources[0].Workers, runtime.NumCPU())
	}
	if cfg, err = Parse(path, doc("    workers: 3")); err != nil || cfg.Sources[0].Workers != 3 {
		t.Errorf("workers: 3 gives %v, %v", cfg, err)
	}
	if _, err := Parse(path, doc("    workers: -1")); err == nil || !strings.Contains(err.Error(), "workers -1") {
		t.Errorf("workers: -1 gives %v", err)
	}
}
