package gateway

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// The bad-input gauntlet: each input gives a clear ack (or a log line where none can be
// written), never a crash, and the file is never lost: it ends in archive/ or error/, or
// stays where it was.

func sampleBytes(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// stored returns the names under the work folder dir (archive/ or error/).
func stored(t *testing.T, e *env, dir string) []string {
	return list(t, filepath.Join(e.inbox, filepath.FromSlash(dir)))
}

func TestGauntletContent(t *testing.T) {
	good := sampleBytes(t, "ventes-2026-11.csv")
	header, rows, _ := bytes.Cut(good, []byte("\n"))
	utf8, err := decodeCP1252(good)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(utf8)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		content []byte
		status  string // file status in the ack
		rule    string // a rule the ack must name (file or invoice level)
		text    string // what that problem's message must say
	}{
		{"empty.csv", nil, "REJECTED", "FG-", ""},
		{"garbage.csv", []byte{0, 1, 2, 0xff, 0xfe, 0x80, '\n', 0x81, 0x8d}, "REJECTED", "FG-", ""},
		{"utf8-declared-1252.csv", utf8, "REJECTED", "FG-FILE", ""},
		{"truncated-last-line.csv", good[:len(good)-40], "", "", ""}, // must not crash; status depends on where it was cut
		{"ragged.csv", append(append(append([]byte{}, header...), '\n'), []byte("FA9-1;F;01/12/2026\r\n")...), "REJECTED", "", ""},
		{"header-only.csv", append(header, '\n'), "REJECTED", "FG-", ""},
		{"long-line.csv", append(append(append([]byte{}, header...), '\n'), bytes.Repeat([]byte("x"), 100<<20)...), "REJECTED", "FG-", ""},
		{"no-header-columns.csv", []byte("a;b;c\r\n1;2;3\r\n"), "REJECTED", "FG-FILE", ""},
		{"rows-only.csv", rows, "REJECTED", "FG-", ""},
		// DOS software ends the file with Ctrl-Z: no phantom invoice, so nothing is rejected.
		{"dos-ctrl-z.csv", append(append([]byte{}, good...), 0x1a), "ACCEPTED", "", ""},
		{"nul-in-name.csv", bytes.Replace(good, []byte("Soci\xe9t\xe9"), []byte("So\x00ci\xe9t\xe9"), 1), "PARTIAL", "FG-CONTROL-CHAR", "U+0000 (NUL)"},
		{"utf16.csv", utf16, "REJECTED", "FG-FILE", "UTF-16"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "long-line.csv" && testing.Short() {
				t.Skip("100 MB line")
			}
			e := newEnv(t)
			e.write(t, c.name, c.content)
			g := e.open(t)
			s, err := g.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Errors) > 0 {
				t.Fatalf("system errors for bad content: %v", s.Errors)
			}
			doc := e.ack(t, c.name)
			if c.status != "" && doc.File.Status != c.status {
				t.Fatalf("status %s, want %s: %+v", doc.File.Status, c.status, doc)
			}
			if c.rule != "" {
				found := false
				match := func(rule, msg string) bool {
					return strings.HasPrefix(rule, c.rule) && msg != "" && strings.Contains(msg, c.text)
				}
				for _, p := range doc.Problems {
					found = found || match(p.Rule, p.Message)
				}
				for _, inv := range doc.Invoices {
					for _, p := range inv.Problems {
						found = found || match(p.Rule, p.Message)
					}
				}
				if !found {
					t.Fatalf("no %s problem with a message in %+v", c.rule, doc)
				}
			}
			if doc.File.Status == "REJECTED" {
				if n := len(stored(t, e, errorDir)); n != 1 {
					t.Fatalf("%d files in error/, want the rejected one", n)
				}
			} else if n := len(stored(t, e, archiveDir)) + len(stored(t, e, errorDir)); n != 1 {
				t.Fatalf("the file is neither in archive/ nor in error/")
			}
		})
	}
}

func TestGauntletNames(t *testing.T) {
	good := sampleBytes(t, "ventes-2026-11.csv")
	for _, name := range []string{"avec espaces.csv", "écritures été.csv", "-leading-dash.csv", "a..b.csv", "..csv"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.write(t, name, good)
			s := runOnce(t, e.open(t))
			if name == "..csv" { // a hidden name: ignored, and left where it is
				if s.Files != 0 {
					t.Fatalf("a hidden file was taken: %+v", s)
				}
				if _, err := os.Stat(filepath.Join(e.inbox, name)); err != nil {
					t.Fatal(err)
				}
				return
			}
			if s.Accepted != 1 {
				t.Fatalf("summary = %+v", s)
			}
			if doc := e.ack(t, name); doc.File.Name != name {
				t.Fatalf("ack names %q", doc.File.Name)
			}
		})
	}
}

func TestGauntletFolderOddities(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links and permissions differ on Windows")
	}
	e := newEnv(t)
	good := sampleBytes(t, "ventes-2026-11.csv")
	e.write(t, "ok.csv", good)
	// A directory named like a data file, and a symlink pointing outside the folder.
	if err := os.Mkdir(filepath.Join(e.inbox, "dossier.csv"), 0o750); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(e.dir, "secret.csv")
	if err := os.WriteFile(outside, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(e.inbox, "lien.csv")); err != nil {
		t.Fatal(err)
	}
	g := e.open(t)
	s := runOnce(t, g)
	if s.Files != 1 || s.Accepted != 1 {
		t.Fatalf("summary = %+v", s)
	}
	reasons := map[string]string{}
	for _, w := range s.Waiting {
		reasons[w.File.Name] = w.Reason
	}
	if !strings.Contains(reasons["dossier.csv"], "directory") || !strings.Contains(reasons["lien.csv"], "link") {
		t.Fatalf("reasons = %v", reasons)
	}
	if data, err := os.ReadFile(outside); err != nil || !bytes.Equal(data, good) {
		t.Fatal("the file outside the folder was touched")
	}
	if _, err := os.Lstat(filepath.Join(e.inbox, "lien.csv")); err != nil {
		t.Fatal("the symlink was moved or removed")
	}
}

func TestGauntletVanishedFile(t *testing.T) {
	e := newEnv(t)
	e.write(t, "v.csv", sampleBytes(t, "ventes-2026-11.csv"))
	g := e.open(t)
	r := g.routes[0]
	ready, _, err := r.watcher.Scan(context.Background())
	if err != nil || len(ready) != 1 {
		t.Fatalf("scan = %v, %v", ready, err)
	}
	// Deleted between the scan and the claim: no crash, no phantom invoices.
	if err := os.Remove(filepath.Join(e.inbox, "v.csv")); err != nil {
		t.Fatal(err)
	}
	if _, err := g.take(context.Background(), r, ready[0]); err == nil {
		t.Fatal("taking a vanished file succeeded")
	}
	if files, _ := g.journal.Files(context.Background(), time.Time{}); len(files) != 0 {
		t.Fatalf("a vanished file left %d journal rows", len(files))
	}
}

func TestGauntletUnreadableFile(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("root reads any file: permissions cannot be tested")
	}
	e := newEnv(t)
	e.write(t, "locked.csv", sampleBytes(t, "ventes-2026-11.csv"))
	p := filepath.Join(e.inbox, "locked.csv")
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(p, 0o600)
	s, err := e.open(t).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Error(), "locked.csv") {
		t.Fatalf("an unreadable file must be a system error naming it: %+v", s)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal("the unreadable file must stay where it is")
	}
}

func TestGauntletMappingNamesMissingColumn(t *testing.T) {
	e := newEnv(t)
	good := sampleBytes(t, "ventes-2026-11.csv")
	// The export lost a column the mapping needs.
	renamed := bytes.Replace(good, []byte("RaisonSociale"), []byte("Raison"), 1)
	e.write(t, "v.csv", renamed)
	runOnce(t, e.open(t))
	doc := e.ack(t, "v.csv")
	if doc.File.Status != "REJECTED" || len(doc.Problems) == 0 || !strings.Contains(doc.Problems[0].Message, "RaisonSociale") {
		t.Fatalf("ack = %+v", doc)
	}
}

func decodeCP1252(b []byte) ([]byte, error) { return charmap.Windows1252.NewDecoder().Bytes(b) }

func TestGauntletFileChangedWhileRead(t *testing.T) {
	e := newEnv(t)
	e.write(t, "v.csv", sampleBytes(t, "ventes-2026-11.csv"))
	g := e.open(t)
	ctx := context.Background()
	r := g.routes[0]
	id, err := g.journal.ClaimFile(ctx, "ventes", "v.csv", sha(t, e, "v.csv"), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.in.Rename(ctx, "v.csv", processingName(id, "v.csv")); err != nil {
		t.Fatal(err)
	}
	// The exporting program was not done: it appends after the claim.
	f, err := os.OpenFile(filepath.Join(e.inbox, filepath.FromSlash(processingName(id, "v.csv"))), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("FA2026-9999;F;01/12/2026\r\n")
	f.Close()
	if _, err := g.resume(ctx, r, id); err != nil {
		t.Fatal(err)
	}
	doc := e.ack(t, "v.csv")
	if doc.File.Status != "REJECTED" || len(doc.Problems) != 1 || doc.Problems[0].Rule != "FG-CHANGED" {
		t.Fatalf("ack = %+v", doc)
	}
	if n := len(list(t, e.outbox)); n != 0 {
		t.Fatalf("%d fluxes deposited from a file that changed while read", n)
	}
	if n := len(stored(t, e, errorDir)); n != 1 {
		t.Fatal("the changed file is not kept in error/")
	}
}

func TestGauntletFileVanishedBetweenReadAndClaim(t *testing.T) {
	e := newEnv(t)
	e.write(t, "v.csv", sampleBytes(t, "ventes-2026-11.csv"))
	g := e.open(t)
	r := g.routes[0]
	ready, _, err := r.watcher.Scan(context.Background())
	if err != nil || len(ready) != 1 {
		t.Fatalf("scan = %v, %v", ready, err)
	}
	// Removed after it was read (hashed) and before its move: the claim row exists already.
	r.in = &removeBeforeRename{Folder: r.in, path: filepath.Join(e.inbox, "v.csv")}
	status, err := g.take(context.Background(), r, ready[0])
	if err != nil || status != "REJECTED" {
		t.Fatalf("take = %s, %v", status, err)
	}
	doc := e.ack(t, "v.csv")
	if len(doc.Problems) != 1 || doc.Problems[0].Rule != "FG-VANISHED" || !strings.Contains(doc.Problems[0].Message, "déposez-le à nouveau") {
		t.Fatalf("ack = %+v", doc)
	}
}

// removeBeforeRename deletes the file just before the gateway moves it.
type removeBeforeRename struct {
	folder.Folder
	path string
}

func (f *removeBeforeRename) Rename(ctx context.Context, from, to string) error {
	os.Remove(f.path)
	return f.Folder.Rename(ctx, from, to)
}
