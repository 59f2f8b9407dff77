package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/mapping"
)

func TestMappingDraft(t *testing.T) {
	root := testutil.RepoRoot(t)
	export := filepath.Join(root, "examples", "exports", "caisse-2026-11.csv")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"mapping", "draft", export}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `<mapping xmlns="urn:fluxgate:mapping:1" name="caisse-2026-11">`) {
		t.Fatalf("stdout:\n%s", stdout.String())
	}
	out := filepath.Join(t.TempDir(), "caisse.xml")
	stdout.Reset()
	if code := run(context.Background(), []string{"mapping", "draft", export, "-o", out}, &stdout, &stderr); code != 0 || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %q", code, stdout.String())
	}
	if !strings.Contains(stderr.String(), "fill in its TODO constants") {
		t.Errorf("stderr %q", stderr.String())
	}
	// The draft loads and maps at once: fluxgate map takes it as is.
	if _, err := mapping.Load(out); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"map", "-m", out, "-o", t.TempDir(), export}, &stdout, &stderr); code != 0 {
		t.Fatalf("map with the draft: exit %d\n%s", code, stderr.String())
	}
	if code := run(context.Background(), []string{"mapping", "draft", filepath.Join(root, "no-such-export.csv")}, &stdout, &stderr); code != 2 {
		t.Errorf("a missing export: exit %d, want 2", code)
	}
	empty := filepath.Join(t.TempDir(), "vide.csv")
	os.WriteFile(empty, nil, 0o644)
	if code := run(context.Background(), []string{"mapping", "draft", empty}, &stdout, &stderr); code != 2 {
		t.Errorf("an empty export: exit %d, want 2", code)
	}
}
