// Package testutil finds the shared specifications and outside tools that tests use. A test
// that needs one skips when it is missing, and fails instead when FLUXGATE_REQUIRE_TOOLS=1
// (as CI sets), so that a CI machine without a tool cannot pass by skipping.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Required reports whether missing tools must fail tests rather than skip them.
func Required() bool { return os.Getenv("FLUXGATE_REQUIRE_TOOLS") == "1" }

// Missing skips the test, or fails it when tools are required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("FLUXGATE_REQUIRE_TOOLS=1 but "+format, args...)
	}
	t.Skipf(format, args...)
}

// RepoRoot is the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate testutil source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Shared returns the path of ../shared beside the repository (or FLUXGATE_SHARED), joined
// with elem.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	dir := os.Getenv("FLUXGATE_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "specs")); err != nil {
		Missing(t, "shared specifications not found at %s", dir)
	}
	return filepath.Join(append([]string{dir}, elem...)...)
}

// Tool returns the path of an outside program, or skips/fails when it is not installed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed", name)
	}
	return p
}

// CheckInvoice runs ../shared/tools/check-invoice (the official XSDs through xmllint) on
// files and fails the test with its report when any is invalid.
func CheckInvoice(t testing.TB, files ...string) {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("CheckInvoice: no files")
	}
	Tool(t, "xmllint")
	script := Shared(t, "tools", "check-invoice")
	out, err := exec.Command(script, files...).CombinedOutput()
	if err != nil {
		t.Fatalf("check-invoice failed (%v):\n%s", err, strings.TrimSpace(string(out)))
	}
}

// ValidateXSD validates file against the schema xsd with xmllint.
func ValidateXSD(t testing.TB, xsd string, files ...string) {
	t.Helper()
	Tool(t, "xmllint")
	args := append([]string{"--nonet", "--noout", "--schema", xsd}, files...)
	out, err := exec.Command("xmllint", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint --schema %s failed (%v):\n%s", xsd, err, strings.TrimSpace(string(out)))
	}
}
