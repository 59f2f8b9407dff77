package folder

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Writes that leave the directory sync to the caller still write each file whole under
// its name, leave no temporary file, and SyncDir syncs the directory (or says why not).
func TestWriteAtomicNoDirSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var ds DirSyncer = l
	for _, name := range []string{"a.xml", "b.xml", "a.xml"} { // the second a.xml replaces the first
		if err := ds.WriteAtomicNoDirSync(ctx, name, strings.NewReader("content of "+name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.SyncDir(ctx, "."); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d entries, want a.xml and b.xml only: %v", len(entries), entries)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a.xml")); !bytes.Equal(data, []byte("content of a.xml")) {
		t.Errorf("a.xml holds %q", data)
	}
	if err := ds.WriteAtomicNoDirSync(ctx, "missing/c.xml", strings.NewReader("x")); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
	if err := ds.SyncDir(ctx, "missing"); err == nil {
		t.Error("a missing directory was synced")
	}
	if err := ds.SyncDir(ctx, "../.."); err == nil {
		t.Error("a directory outside the folder was synced")
	}
}
