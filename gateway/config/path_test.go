package config

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestWindowsPathsInYAML: Windows paths (drive letters, backslashes, UNC shares) come
// through the YAML exactly as written, plain or single-quoted, whatever the system that
// reads them; in double quotes a backslash starts an escape, and the error names the line.
func TestWindowsPathsInYAML(t *testing.T) {
	yaml := `
journal: {path: 'C:\ProgramData\Fluxgate\fluxgate.db'}
spool: C:\ProgramData\Fluxgate\spool
sources:
  - name: ventes
    folder: {path: \\srv-compta\exports\ventes}
    ack: {path: 'D:\Comptabilité\Accusés'}
    mapping: mappings\ventes-csv.xml
    destination: out
destinations:
  - name: out
    folder:
      path: D:\Fluxgate\outbox
`
	cfg, err := Parse(`C:\ProgramData\Fluxgate\fluxgate.yaml`, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		cfg.Journal.Path:                `C:\ProgramData\Fluxgate\fluxgate.db`,
		cfg.Spool:                       `C:\ProgramData\Fluxgate\spool`,
		cfg.Sources[0].Folder.Path:      `\\srv-compta\exports\ventes`,
		cfg.Sources[0].Ack.Path:         `D:\Comptabilité\Accusés`,
		cfg.Sources[0].Mapping:          `mappings\ventes-csv.xml`,
		cfg.Destinations[0].Folder.Path: `D:\Fluxgate\outbox`,
	} {
		if got != want {
			t.Errorf("read %q, want %q", got, want)
		}
	}
	_, err = Parse("fluxgate.yaml", []byte(strings.Replace(yaml, `spool: C:\ProgramData\Fluxgate\spool`, `spool: "C:\ProgramData\Fluxgate\spool"`, 1)))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a backslash in double quotes: %v", err)
	}
}

// TestPathResolution: Config.Path keeps absolute paths, and resolves relative ones against
// the configuration's folder with the system's separators. On Windows, drive letters and
// UNC shares are absolute, forward slashes become backslashes, and a path rooted without a
// drive is on the configuration's drive. Each system checks its own cases (CI builds the
// Windows ones; they run on Windows).
func TestPathResolution(t *testing.T) {
	type tc struct{ dir, in, want string }
	cases := []tc{
		{"/etc/fluxgate", "", ""},
		{"/etc/fluxgate", "/srv/exports", "/srv/exports"},
		{"/etc/fluxgate", "var/inbox", "/etc/fluxgate/var/inbox"},
		{"/etc/fluxgate", "./var/../ack", "/etc/fluxgate/ack"},
	}
	if runtime.GOOS == "windows" {
		cases = []tc{
			{`C:\Fluxgate`, `D:\Exports\ventes`, `D:\Exports\ventes`},
			{`C:\Fluxgate`, `\\srv-compta\exports`, `\\srv-compta\exports`},
			{`C:\Fluxgate`, `var\inbox`, `C:\Fluxgate\var\inbox`},
			{`C:\Fluxgate`, `var/inbox`, `C:\Fluxgate\var\inbox`},
			{`C:\Fluxgate`, `\Exports`, `C:\Exports`},
			{`C:\Fluxgate`, `/Exports/ventes`, `C:\Exports\ventes`},
			{`C:\Fluxgate`, `D:exports`, `D:exports`},
		}
	}
	for _, c := range cases {
		cfg := &Config{Dir: c.dir}
		if got := cfg.Path(c.in); got != c.want {
			t.Errorf("Path(%q) in %s = %q, want %q", c.in, c.dir, got, c.want)
		}
		if c.in != "" && !filepath.IsAbs(cfg.Path(c.in)) && filepath.VolumeName(c.in) == "" {
			t.Errorf("Path(%q) = %q is not absolute", c.in, cfg.Path(c.in))
		}
	}
}
