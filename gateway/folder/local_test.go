package folder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Local, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Path()
}

func writeFile(t *testing.T, name string, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLocalErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := OpenLocal(missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, ErrNotExist) {
		t.Fatalf("missing root: got %v, want ErrNotExist naming %s", err, missing)
	}
	file := filepath.Join(t.TempDir(), "file")
	writeFile(t, file, "x")
	if _, err := OpenLocal(file); err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("file as root: got %v", err)
	}
	if _, err := OpenLocal(""); err == nil {
		t.Fatal("empty root accepted")
	}
}

func TestOpenLocalRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("in", 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLocal("in")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !filepath.IsAbs(l.String()) {
		t.Fatalf("String() = %q, want absolute", l.String())
	}
}

func TestEscapesRefused(t *testing.T) {
	ctx := context.Background()
	l, root := openTemp(t)
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret"), "secret")
	writeFile(t, filepath.Join(root, "a", "ok"), "ok")

	names := []string{
		"../x", "/etc/passwd", "a/../../x", "a/../ok", "..", "x\x00y",
		"../" + filepath.Base(outside) + "/secret",
	}
	if runtime.GOOS == "windows" {
		names = append(names, `a\..\..\x`, `C:\Windows`, `C:x`, `\\server\share\x`)
	}
	for _, name := range names {
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, ErrOutside) {
				t.Errorf("%s(%q): got %v, want ErrOutside", op, name, err)
			}
		}
		_, err := l.Stat(ctx, name)
		check("Stat", err)
		_, err = l.Open(ctx, name)
		check("Open", err)
		_, err = l.List(ctx, name)
		check("List", err)
		check("WriteAtomic", l.WriteAtomic(ctx, name, strings.NewReader("x")))
		check("Rename from", l.Rename(ctx, name, "b"))
		check("Rename to", l.Rename(ctx, "a/ok", name))
		check("Remove", l.Remove(ctx, name))
		check("MkdirAll", l.MkdirAll(ctx, name))
	}
	if _, err := os.Stat(filepath.Join(root, "a", "ok")); err != nil {
		t.Fatalf("a/ok was moved or removed: %v", err)
	}
}

func TestSymlinksRefused(t *testing.T) {
	ctx := context.Background()
	l, root := openTemp(t)
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret"), "secret")
	writeFile(t, filepath.Join(root, "inside", "f"), "inside")
	symlinkOrSkip(t, outside, filepath.Join(root, "out"))                           // dir outside
	symlinkOrSkip(t, filepath.Join(outside, "secret"), filepath.Join(root, "sec"))  // file outside
	symlinkOrSkip(t, filepath.Join(root, "inside"), filepath.Join(root, "in"))      // dir inside
	symlinkOrSkip(t, filepath.Join(root, "inside", "f"), filepath.Join(root, "fl")) // file inside

	for _, name := range []string{"out/secret", "out", "sec", "in/f", "in", "fl", "out/new"} {
		_, err := l.Open(ctx, name)
		if !errors.Is(err, ErrOutside) {
			t.Errorf("Open(%q): got %v, want ErrOutside", name, err)
		}
		if _, err := l.Stat(ctx, name); !errors.Is(err, ErrOutside) {
			t.Errorf("Stat(%q): got %v, want ErrOutside", name, err)
		}
		if err := l.WriteAtomic(ctx, name, strings.NewReader("pwned")); !errors.Is(err, ErrOutside) {
			t.Errorf("WriteAtomic(%q): got %v, want ErrOutside", name, err)
		}
		if err := l.Remove(ctx, name); !errors.Is(err, ErrOutside) {
			t.Errorf("Remove(%q): got %v, want ErrOutside", name, err)
		}
		if err := l.Rename(ctx, "inside/f", name); !errors.Is(err, ErrOutside) {
			t.Errorf("Rename to %q: got %v, want ErrOutside", name, err)
		}
	}
	if err := l.MkdirAll(ctx, "out/sub"); !errors.Is(err, ErrOutside) {
		t.Errorf("MkdirAll through link: got %v", err)
	}
	if _, err := l.List(ctx, "out"); !errors.Is(err, ErrOutside) {
		t.Errorf("List through link: got %v", err)
	}
	got, err := os.ReadFile(filepath.Join(outside, "secret"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("outside file changed: %q %v", got, err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Fatalf("files created outside: %v", ents)
	}

	// List reports links with Size -1 and IsDir false.
	list, err := l.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range list {
		isLink := fi.Name != "inside"
		if isLink && (fi.Size != -1 || fi.IsDir) {
			t.Errorf("link %q listed as %+v", fi.Name, fi)
		}
	}
}

func TestListStatOpen(t *testing.T) {
	ctx := context.Background()
	l, root := openTemp(t)
	writeFile(t, filepath.Join(root, "b.csv"), "bbb")
	writeFile(t, filepath.Join(root, "a.csv"), "a")
	writeFile(t, filepath.Join(root, "sub", "c.csv"), "cc")

	list, err := l.List(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range list {
		names = append(names, fi.Name)
	}
	if got := strings.Join(names, ","); got != "a.csv,b.csv,sub" {
		t.Fatalf("List = %s", got)
	}
	if !list[2].IsDir || list[1].Size != 3 || list[1].ModTime.IsZero() {
		t.Fatalf("List infos wrong: %+v", list)
	}
	sub, err := l.List(ctx, "sub/")
	if err != nil || len(sub) != 1 || sub[0].Name != "sub/c.csv" || sub[0].Size != 2 {
		t.Fatalf("List(sub) = %+v, %v", sub, err)
	}
	fi, err := l.Stat(ctx, "sub/c.csv")
	if err != nil || fi.Name != "sub/c.csv" || fi.Size != 2 {
		t.Fatalf("Stat = %+v, %v", fi, err)
	}
	rc, err := l.Open(ctx, "./sub//c.csv")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "cc" {
		t.Fatalf("Open read %q", data)
	}

	for _, name := range []string{"nope", "sub/nope", "nope/x", "a.csv/x"} {
		_, err := l.Stat(ctx, name)
		if !errors.Is(err, ErrNotExist) {
			t.Errorf("Stat(%q): got %v, want ErrNotExist", name, err)
		}
		if !strings.Contains(err.Error(), root) || !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name folder and file", err)
		}
		if _, err := l.Open(ctx, name); !errors.Is(err, ErrNotExist) {
			t.Errorf("Open(%q): got %v, want ErrNotExist", name, err)
		}
	}
	if _, err := l.Stat(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat error does not match fs.ErrNotExist: %v", err)
	}
	if _, err := l.List(ctx, "nope"); !errors.Is(err, ErrNotExist) {
		t.Errorf("List(nope): %v", err)
	}
	if _, err := l.Open(ctx, "sub"); err == nil {
		t.Error("Open of a directory succeeded")
	}
	if _, err := l.Open(ctx, ""); err == nil {
		t.Error("Open of the root succeeded")
	}
}

func TestWriteAtomic(t *testing.T) {
	ctx := context.Background()
	l, root := openTemp(t)
	if err := l.MkdirAll(ctx, "out/x"); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"first", "second, longer", ""} {
		if err := l.WriteAtomic(ctx, "out/x/f.xml", strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, "out", "x", "f.xml"))
		if err != nil || string(got) != content {
			t.Fatalf("content %q, %v; want %q", got, err, content)
		}
	}
	assertOnly(t, filepath.Join(root, "out", "x"), "f.xml")

	// A failing reader leaves no temporary file and the old content.
	err := l.WriteAtomic(ctx, "out/x/f.xml", io.MultiReader(strings.NewReader("partial"), errReader{}))
	if err == nil {
		t.Fatal("WriteAtomic with failing reader succeeded")
	}
	assertOnly(t, filepath.Join(root, "out", "x"), "f.xml")

	// A cancelled context too.
	cctx, cancel := context.WithCancel(ctx)
	r := &cancelReader{cancel: cancel}
	if err := l.WriteAtomic(cctx, "out/x/g.xml", r); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	assertOnly(t, filepath.Join(root, "out", "x"), "f.xml")

	if err := l.WriteAtomic(ctx, "missing/f.xml", strings.NewReader("x")); !errors.Is(err, ErrNotExist) {
		t.Fatalf("write into missing dir: %v", err)
	}
	if err := l.WriteAtomic(ctx, "out", strings.NewReader("x")); err == nil {
		t.Fatal("write over a directory succeeded")
	}
	if err := l.WriteAtomic(ctx, "", strings.NewReader("x")); err == nil {
		t.Fatal("write with empty name succeeded")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

type cancelReader struct {
	cancel context.CancelFunc
	n      int
}

func (c *cancelReader) Read(p []byte) (int, error) {
	c.n++
	if c.n > 1 {
		c.cancel()
	}
	return copy(p, "data"), nil
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

// slowReader yields its data in small chunks, pausing so that a concurrent reader polls
// the target many times during the write.
type slowReader struct {
	data []byte
	step int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(time.Millisecond)
	n := copy(p[:min(len(p), s.step)], s.data)
	s.data = s.data[n:]
	return n, nil
}

func TestWriteAtomicNeverPartial(t *testing.T) {
	ctx := context.Background()
	l, root := openTemp(t)
	target := filepath.Join(root, "big.xml")
	var contents [][]byte
	for i := range 3 {
		contents = append(contents, bytes.Repeat([]byte{byte('a' + i)}, 64<<10+i))
	}

	var done atomic.Bool
	var wg sync.WaitGroup
	var reads, seen atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !done.Load() {
			data, err := os.ReadFile(target)
			reads.Add(1)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Errorf("read: %v", err)
				return
			}
			if !containsBytes(contents, data) {
				t.Errorf("reader saw a partial file of %d bytes", len(data))
				return
			}
			seen.Add(1)
		}
	}()
	for _, c := range contents {
		if err := l.WriteAtomic(ctx, "big.xml", &slowReader{data: c, step: 4096}); err != nil {
			t.Fatal(err)
		}
	}
	done.Store(true)
	wg.Wait()
	if seen.Load() == 0 {
		t.Fatalf("reader never saw the file (%d reads)", reads.Load())
	}
	assertOnly(t, root, "big.xml")
}

func containsBytes(list [][]byte, b []byte) bool {
	return slices.ContainsFunc(list, func(c []byte) bool { return bytes.Equal(c, b) })
}

func TestRenameRemove(t *testing.T) {
	ctx := context.Background()
	l, root := openTemp(t)
	writeFile(t, filepath.Join(root, "a.csv"), "a")
	writeFile(t, filepath.Join(root, "b.csv"), "b")
	if err := l.MkdirAll(ctx, ".fluxgate/processing"); err != nil {
		t.Fatal(err)
	}

	err := l.Rename(ctx, "a.csv", "b.csv")
	if !errors.Is(err, ErrExist) {
		t.Fatalf("Rename onto existing: got %v, want ErrExist", err)
	}
	if !strings.Contains(err.Error(), "b.csv") {
		t.Errorf("error %q does not name the target", err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "b.csv")); string(got) != "b" {
		t.Fatalf("target overwritten: %q", got)
	}
	if err := l.Rename(ctx, "a.csv", ".fluxgate"); !errors.Is(err, ErrExist) {
		t.Fatalf("Rename onto directory: got %v, want ErrExist", err)
	}
	if err := l.Rename(ctx, "a.csv", ".fluxgate/processing/a.csv"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, ".fluxgate", "processing", "a.csv")); string(got) != "a" {
		t.Fatalf("renamed content %q", got)
	}
	if err := l.Rename(ctx, "a.csv", "c.csv"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Rename of missing: got %v, want ErrNotExist", err)
	}
	if err := l.Rename(ctx, "b.csv", "nodir/b.csv"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Rename into missing dir: got %v, want ErrNotExist", err)
	}

	if err := l.Remove(ctx, "b.csv"); err != nil {
		t.Fatal(err)
	}
	if err := l.Remove(ctx, "b.csv"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Remove of missing: got %v, want ErrNotExist", err)
	}
	if err := l.Remove(ctx, ".fluxgate"); err == nil {
		t.Fatal("Remove of a non-empty directory succeeded")
	}
}

func TestClosedAndCancelled(t *testing.T) {
	l, root := openTemp(t)
	writeFile(t, filepath.Join(root, "a"), "a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.List(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("List with cancelled context: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := l.Stat(context.Background(), "a"); err == nil {
		t.Fatal("Stat after Close succeeded")
	}
}

func TestNotify(t *testing.T) {
	l, root := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := l.Notify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "new.csv"), "x")
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification for a new file")
	}
	cancel()
	for range ch { // drained and closed after cancel
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// What a write killed mid-way leaves behind, and look-alikes that are somebody else's.
	stale := filepath.Join(dir, ".a.xml.0123456789ab.tmp")
	keep := []string{filepath.Join(dir, ".a.xml.notours.tmp"), filepath.Join(dir, "a.xml.0123456789ab.tmp"), filepath.Join(dir, "b.xml")}
	for _, p := range append(keep, stale) {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !IsTempName(TempName("x.xml")) {
		t.Fatal("IsTempName does not recognise TempName")
	}
	if err := RemoveStaleTemps(context.Background(), l, "."); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("the stale temporary file is still there")
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s was removed", filepath.Base(p))
		}
	}
}
