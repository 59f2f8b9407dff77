package folder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
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

// On Linux ≥ 5.8 a local folder syncs its file system at once: a file written unsynced has
// no name until CommitTemp, which refuses anything but a temporary file beside the name;
// elsewhere, or with FLUXGATE_NO_SYNCFS=1, StartFSSync says it is unsupported.
func TestFSSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Run("off", func(t *testing.T) {
		t.Setenv("FLUXGATE_NO_SYNCFS", "1")
		if _, err := l.StartFSSync(ctx); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("StartFSSync with FLUXGATE_NO_SYNCFS=1: %v", err)
		}
	})
	fss, err := l.StartFSSync(ctx)
	if runtime.GOOS != "linux" || !syncfsWorks() {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("StartFSSync without a syncfs that reports errors: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer fss.Close()
	tmp, err := l.WriteTempUnsynced(ctx, "a.xml", strings.NewReader("content of a.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !IsTempName(tmp) {
		t.Errorf("temporary file %q has no temporary name", tmp)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.xml")); !os.IsNotExist(err) {
		t.Errorf("a.xml is there before CommitTemp: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "b.xml"), []byte("b"), 0o640)
	if err := l.CommitTemp(ctx, "b.xml", "c.xml"); err == nil {
		t.Error("CommitTemp renamed a file that is not temporary")
	}
	if err := fss.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitTemp(ctx, tmp, "a.xml"); err != nil {
		t.Fatal(err)
	}
	if err := fss.Sync(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "a.xml")); string(data) != "content of a.xml" {
		t.Errorf("a.xml holds %q", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d entries, want a.xml and b.xml: %v", len(entries), entries)
	}
	if _, err := l.WriteTempUnsynced(ctx, "missing/c.xml", strings.NewReader("x")); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
	// A failing reader leaves no temporary file.
	if _, err := l.WriteTempUnsynced(ctx, "d.xml", io.MultiReader(strings.NewReader("partial"), errReader{})); err == nil {
		t.Error("WriteTempUnsynced with a failing reader succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d entries after a failed write, want a.xml and b.xml: %v", len(entries), entries)
	}
}

// FSSync.Create makes a new file under its name, in the folder's own directory only: a
// name there already (a file, or a symbolic link to anywhere) is refused and left as it is,
// and so is a name with a directory.
func TestFSSyncCreate(t *testing.T) {
	ctx := context.Background()
	dir, elsewhere := t.TempDir(), t.TempDir()
	l, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fss, err := l.StartFSSync(ctx)
	if err != nil {
		t.Skipf("no syncfs here: %v", err)
	}
	defer fss.Close()
	if err := fss.Create("a.xml", []byte("content of a.xml")); err != nil {
		t.Fatal(err)
	}
	if err := fss.Create("empty.xml", nil); err != nil {
		t.Fatal(err)
	}
	if err := fss.Create("a.xml", []byte("other")); !errors.Is(err, ErrExist) {
		t.Errorf("Create over a file there: %v, want ErrExist", err)
	}
	target := filepath.Join(elsewhere, "target")
	os.WriteFile(target, []byte("outside"), 0o640)
	if err := os.Symlink(target, filepath.Join(dir, "link.xml")); err != nil {
		t.Fatal(err)
	}
	if err := fss.Create("link.xml", []byte("through the link")); !errors.Is(err, ErrExist) {
		t.Errorf("Create over a symbolic link: %v, want ErrExist", err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o750)
	for _, name := range []string{"sub/b.xml", "../b.xml", "", "."} {
		if err := fss.Create(name, []byte("x")); !errors.Is(err, ErrOutside) && !errors.Is(err, errEmptyName) {
			t.Errorf("Create(%q): %v, want it refused", name, err)
		}
	}
	if err := fss.Sync(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{filepath.Join(dir, "a.xml"): "content of a.xml", filepath.Join(dir, "empty.xml"): "", target: "outside"} {
		if data, err := os.ReadFile(name); err != nil || string(data) != want {
			t.Errorf("%s = %q, %v; want %q", name, data, err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("%d entries, want a.xml, empty.xml, link.xml and sub: %v", len(entries), entries)
	}
}
