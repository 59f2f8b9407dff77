package folder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// linkPair opens two local folders on one file system: a spool and an outbox.
func linkPair(t *testing.T) (spool, out *Local) {
	t.Helper()
	spool, _ = openTemp(t)
	out, _ = openTemp(t)
	return spool, out
}

func device(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Dev
}

// otherFileSystem returns a new directory on another file system than dir (tmpfs in
// /dev/shm, or FLUXGATE_TEST_OTHER_FS), or skips the test.
func otherFileSystem(t *testing.T, dir string) string {
	t.Helper()
	for _, base := range []string{os.Getenv("FLUXGATE_TEST_OTHER_FS"), "/dev/shm"} {
		if base == "" {
			continue
		}
		other, err := os.MkdirTemp(base, "fluxgate-link-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(other) })
		if device(t, other) != device(t, dir) {
			return other
		}
	}
	t.Skip("no second file system to write into (set FLUXGATE_TEST_OTHER_FS)")
	return ""
}

// A link gives the spool file a second name in the outbox: the same file, content and all.
func TestLinkSharesTheFile(t *testing.T) {
	spool, out := linkPair(t)
	writeFile(t, filepath.Join(spool.Path(), "1-1-ubl.xml"), "<Invoice/>")
	if err := out.Link(context.Background(), spool, "1-1-ubl.xml", "F1_ubl.xml"); err != nil {
		t.Fatal(err)
	}
	src, _ := os.Stat(filepath.Join(spool.Path(), "1-1-ubl.xml"))
	dst, err := os.Lstat(filepath.Join(out.Path(), "F1_ubl.xml"))
	if err != nil || !os.SameFile(src, dst) {
		t.Fatalf("outbox name %v (%v) is not the spool file %v", dst, err, src)
	}
}

// A name that exists is never replaced nor followed: ErrExist, whatever it is.
func TestLinkNeverReplaces(t *testing.T) {
	spool, out := linkPair(t)
	ctx := context.Background()
	writeFile(t, filepath.Join(spool.Path(), "s.xml"), "ours")
	writeFile(t, filepath.Join(out.Path(), "taken.xml"), "theirs")
	target := filepath.Join(t.TempDir(), "elsewhere.xml")
	symlinkOrSkip(t, target, filepath.Join(out.Path(), "planted.xml"))
	for _, name := range []string{"taken.xml", "planted.xml"} {
		if err := out.Link(ctx, spool, "s.xml", name); !errors.Is(err, ErrExist) {
			t.Errorf("link over %s: %v, want ErrExist", name, err)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(out.Path(), "taken.xml")); string(data) != "theirs" {
		t.Errorf("taken.xml replaced: %q", data)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("the planted link was followed: %v", err)
	}
}

// Only a regular file of the source folder, by base name, is linked: a missing one is
// ErrNotExist, a symbolic link planted in the spool is not linked (it would land in the
// outbox as a link to anywhere), and names that leave a folder are refused.
func TestLinkRefusals(t *testing.T) {
	spool, out := linkPair(t)
	ctx := context.Background()
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "not an invoice")
	symlinkOrSkip(t, secret, filepath.Join(spool.Path(), "planted.xml"))
	os.Mkdir(filepath.Join(spool.Path(), "sub"), 0o755)
	writeFile(t, filepath.Join(spool.Path(), "sub", "s.xml"), "x")
	writeFile(t, filepath.Join(spool.Path(), "s.xml"), "x")
	for _, c := range []struct {
		from, name string
		want       error
	}{
		{"missing.xml", "F.xml", ErrNotExist},
		{"planted.xml", "F.xml", ErrNotRegular},
		{"sub", "F.xml", ErrNotRegular},
		{"sub/s.xml", "F.xml", ErrOutside},
		{"../s.xml", "F.xml", ErrOutside},
		{"s.xml", "../F.xml", ErrOutside},
		{"s.xml", "sub/F.xml", ErrOutside},
	} {
		if err := out.Link(ctx, spool, c.from, c.name); !errors.Is(err, c.want) {
			t.Errorf("link %s -> %s: %v, want %v", c.from, c.name, err, c.want)
		}
	}
	if got := entries(t, out.Path()); len(got) != 0 {
		t.Errorf("the outbox holds %v after refusals", got)
	}
}

// Folders that cannot share a file say so (ErrCannotLink), for the caller to copy: another
// file system, or a folder that is not local.
func TestLinkAcrossFileSystemsCannotLink(t *testing.T) {
	out, _ := openTemp(t)
	spool, err := OpenLocal(otherFileSystem(t, out.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	writeFile(t, filepath.Join(spool.Path(), "s.xml"), "x")
	if err := out.Link(context.Background(), spool, "s.xml", "F.xml"); !errors.Is(err, ErrCannotLink) || !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("link across file systems: %v, want ErrCannotLink (EXDEV)", err)
	}
}

// A link must not give the outbox's readers another file than the copy they would get: a
// set-group-ID outbox gives its files its own group (often the readers'), a default ACL
// gives them its readers; the spooled file has neither.
func TestLinkRefusedWhereACopyWouldBeReadByOthers(t *testing.T) {
	ctx := context.Background()
	t.Run("group", func(t *testing.T) {
		spool, out := linkPair(t)
		writeFile(t, filepath.Join(spool.Path(), "s.xml"), "x")
		gid := otherGroup(t)
		if err := os.Chown(out.Path(), -1, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(out.Path(), 0o755|os.ModeSetgid); err != nil {
			t.Fatal(err)
		}
		if err := out.Link(ctx, spool, "s.xml", "F.xml"); !errors.Is(err, ErrCannotLink) {
			t.Fatalf("link into a set-group-ID folder of group %d: %v, want ErrCannotLink", gid, err)
		}
	})
	t.Run("acl", func(t *testing.T) {
		spool, out := linkPair(t)
		writeFile(t, filepath.Join(spool.Path(), "s.xml"), "x")
		// A default ACL of user::rwx, group::r-x, other::r-x (version 2, entries of tag,
		// permissions and an undefined id).
		acl := []byte{2, 0, 0, 0, 1, 0, 7, 0, 255, 255, 255, 255, 4, 0, 5, 0, 255, 255, 255, 255, 32, 0, 5, 0, 255, 255, 255, 255}
		if err := unix.Setxattr(out.Path(), "system.posix_acl_default", acl, 0); err != nil {
			t.Skipf("no ACLs here: %v", err)
		}
		if err := out.Link(ctx, spool, "s.xml", "F.xml"); !errors.Is(err, ErrCannotLink) {
			t.Fatalf("link into a folder with a default ACL: %v, want ErrCannotLink", err)
		}
	})
}

// otherGroup returns a group the test may give a directory, other than its own.
func otherGroup(t *testing.T) int {
	t.Helper()
	if os.Geteuid() == 0 {
		return os.Getegid() + 1
	}
	groups, _ := os.Getgroups()
	for _, g := range groups {
		if g != os.Getegid() {
			return g
		}
	}
	t.Skip("the test's user belongs to no second group")
	return 0
}

func TestLinkFromAnotherKindOfFolderCannotLink(t *testing.T) {
	spool, out := linkPair(t)
	writeFile(t, filepath.Join(spool.Path(), "s.xml"), "x")
	other := struct{ Folder }{spool}
	if err := out.Link(context.Background(), other, "s.xml", "F.xml"); !errors.Is(err, ErrCannotLink) {
		t.Fatalf("link from a wrapped folder: %v, want ErrCannotLink", err)
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
