package folder

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestUniqueName(t *testing.T) {
	ctx := context.Background()
	l, root := openTemp(t)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct{ dir, name, want string }{
		{"archive", "ventes.csv", "archive/20250102-030405_ventes.csv"},
		{"", "ventes.csv", "20250102-030405_ventes.csv"},
		{".", "README", "20250102-030405_README"},
		{"error", ".profile", "error/20250102-030405_.profile"},
	} {
		got, err := UniqueName(ctx, l, tc.dir, tc.name, now, nil)
		if err != nil || got != tc.want {
			t.Errorf("UniqueName(%q, %q) = %q, %v; want %q", tc.dir, tc.name, got, err, tc.want)
		}
	}

	writeFile(t, filepath.Join(root, "archive", "20250102-030405_ventes.csv"), "1")
	got, err := UniqueName(ctx, l, "archive", "ventes.csv", now, nil)
	if err != nil || got != "archive/20250102-030405_ventes_2.csv" {
		t.Fatalf("taken once: %q, %v", got, err)
	}
	writeFile(t, filepath.Join(root, "archive", "20250102-030405_ventes_2.csv"), "2")
	got, err = UniqueName(ctx, l, "archive", "ventes.csv", now, nil)
	if err != nil || got != "archive/20250102-030405_ventes_3.csv" {
		t.Fatalf("taken twice: %q, %v", got, err)
	}
	reserved := func(name string) bool { return name == "archive/20250102-030405_ventes_3.csv" }
	got, err = UniqueName(ctx, l, "archive", "ventes.csv", now, reserved)
	if err != nil || got != "archive/20250102-030405_ventes_4.csv" {
		t.Fatalf("reserved: %q, %v", got, err)
	}
	writeFile(t, filepath.Join(root, "20250102-030405_README"), "1")
	if got, _ := UniqueName(ctx, l, "", "README", now, nil); got != "20250102-030405_README_2" {
		t.Fatalf("no extension: %q", got)
	}

	for _, bad := range []string{"", "a/b", "..", "."} {
		if _, err := UniqueName(ctx, l, "archive", bad, now, nil); err == nil {
			t.Errorf("UniqueName accepted name %q", bad)
		}
	}
	if _, err := UniqueName(ctx, l, "../x", "a.csv", now, nil); err == nil {
		t.Error("UniqueName accepted dir ../x")
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"FA2026-0012": "FA2026-0012", "F 12/2026": "F-12-2026", "../etc": "invoice..-etc",
		"-rf": "invoice-rf", "": "invoice", "Fac.é": "Fac.-",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}
