// Package officialxslt runs the official validation stylesheets (schematrons compiled to
// XSLT) in tests, so that the product's pure-Go evaluation can be compared with what the
// official artefacts say: Saxon-HE on Java (Debian's libsaxonhe-java) for the stylesheets it
// compiles, SaxonJS (the npm package xslt3) for the others. The product never needs them.
// Each helper skips the test when its tool is missing, and fails it when
// FLUXGATE_REQUIRE_TOOLS=1.
package officialxslt

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// SaxonJar is where Debian's libsaxonhe-java installs Saxon-HE.
const SaxonJar = "/usr/share/java/Saxon-HE.jar"

// ErrorID is the id of the one finding reported for a document on which the stylesheet
// stopped with a dynamic error (SaxonJS).
const ErrorID = "#ERROR"

// Finding is one failed assert or fired report of an SVRL report.
type Finding struct {
	ID       string // the assert id as written (BR-FR-05_BT-22-1)
	Flag     string // fatal, warning, …
	Location string
	Report   bool // a successful-report rather than a failed-assert
	Text     string
}

// Rule is the rule id of the finding: the part of the id before the first "_" (the
// official French artefacts suffix their ids: BR-FR-05_BT-22-1 is rule BR-FR-05).
func (f Finding) Rule() string {
	r, _, _ := strings.Cut(f.ID, "_")
	return r
}

// ParseSVRL reads the failed asserts and successful reports of an SVRL document.
func ParseSVRL(data []byte) ([]Finding, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("svrl: %w", err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("svrl: empty document")
	}
	var out []Finding
	for _, e := range doc.Root().ChildElements() {
		if e.Tag != "failed-assert" && e.Tag != "successful-report" {
			continue
		}
		text := ""
		if t := e.SelectElement("text"); t != nil {
			text = strings.Join(strings.Fields(t.Text()), " ")
		}
		out = append(out, Finding{
			ID: e.SelectAttrValue("id", ""), Flag: e.SelectAttrValue("flag", ""),
			Location: e.SelectAttrValue("location", ""), Report: e.Tag == "successful-report", Text: text,
		})
	}
	return out, nil
}

// Saxon runs the stylesheet xslt with Saxon-HE on every file in one JVM and returns the
// findings per file (keyed by the path given).
func Saxon(t testing.TB, xslt string, files []string) map[string][]Finding {
	t.Helper()
	java := testutil.Tool(t, "java")
	if _, err := os.Stat(SaxonJar); err != nil {
		testutil.Missing(t, "Saxon-HE is not installed (%s; Debian package libsaxonhe-java)", SaxonJar)
	}
	in, out := t.TempDir(), t.TempDir()
	names := map[string]string{}
	for i, f := range files {
		name := fmt.Sprintf("d%05d.xml", i)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		names[f] = name
	}
	cmd := exec.Command(java, "-cp", SaxonJar, "net.sf.saxon.Transform", "-s:"+in, "-o:"+out, "-xsl:"+xslt)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("saxon %s: %v\n%s", filepath.Base(xslt), err, lastLines(string(b), 20))
	}
	res := map[string][]Finding{}
	for f, name := range names {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("saxon %s on %s: no report: %v", filepath.Base(xslt), f, err)
		}
		fs, err := ParseSVRL(data)
		if err != nil {
			t.Fatalf("%s on %s: %v", filepath.Base(xslt), f, err)
		}
		res[f] = fs
	}
	return res
}

var sefMu sync.Mutex

// sef compiles xslt for SaxonJS once (cached in the temporary directory by content) and
// returns the path of the compiled stylesheet.
func sef(t testing.TB, xslt3 string, xslt string) string {
	t.Helper()
	data, err := os.ReadFile(xslt)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	dir := filepath.Join(os.TempDir(), "fluxgate-sef")
	path := filepath.Join(dir, hex.EncodeToString(sum[:12])+".sef.json")
	sefMu.Lock()
	defer sefMu.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
	cmd := exec.Command(xslt3, "-xsl:"+xslt, "-export:"+tmp, "-nogo")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xslt3 cannot compile %s: %v\n%s", xslt, err, lastLines(string(b), 20))
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// runner transforms every file given in its arguments with one SaxonJS instance and prints
// a JSON object: file → SVRL text (or {"error": …}).
const runner = `
const path = require('path');
const SaxonJS = require(path.join(process.argv[1], 'node_modules', 'saxon-js'));
const sef = process.argv[2];
const out = {};
for (const f of process.argv.slice(3)) {
  try {
    const r = SaxonJS.transform({stylesheetFileName: sef, sourceFileName: f, destination: 'serialized'}, 'sync');
    out[f] = {svrl: r.principalResult};
  } catch (e) {
    out[f] = {error: String(e && e.message || e)};
  }
}
process.stdout.write(JSON.stringify(out));
`

// SaxonJS runs the stylesheet xslt with SaxonJS (npm package xslt3) on every file in one
// Node process and returns the findings per file.
func SaxonJS(t testing.TB, xslt string, files []string) map[string][]Finding {
	t.Helper()
	bin := testutil.Tool(t, "xslt3")
	node := testutil.Tool(t, "node")
	real, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Dir(real) // …/node_modules/xslt3
	compiled := sef(t, bin, xslt)
	res := map[string][]Finding{}
	for start := 0; start < len(files); start += 200 {
		batch := files[start:min(start+200, len(files))]
		args := append([]string{"-e", runner, pkg, compiled}, batch...)
		cmd := exec.Command(node, args...)
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("saxonjs %s: %v", filepath.Base(xslt), err)
		}
		var got map[string]struct {
			SVRL  string `json:"svrl"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("saxonjs %s: %v", filepath.Base(xslt), err)
		}
		for _, f := range batch {
			r := got[f]
			if r.Error != "" {
				// The stylesheet stopped on this document (a dynamic error).
				res[f] = []Finding{{ID: ErrorID, Flag: "fatal", Text: r.Error}}
				continue
			}
			fs, err := ParseSVRL([]byte(r.SVRL))
			if err != nil {
				t.Fatalf("%s on %s: %v", filepath.Base(xslt), f, err)
			}
			res[f] = fs
		}
	}
	return res
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
