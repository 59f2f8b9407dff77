package deposit

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/folder"
)

// spooledFlux writes content into the spool and returns the flux of it, its content left
// in the spool file (Data nil), as the delivery hands it over.
func spooledFlux(t *testing.T, spool *folder.Local, name, content string) Flux {
	t.Helper()
	fx := groupFlux(name, content)
	fx.Data = nil
	fx.Spooled = &Spooled{Folder: spool, Name: "spool-" + name}
	if err := os.WriteFile(filepath.Join(spool.Path(), fx.Spooled.Name), []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	return fx
}

func openLocal(t *testing.T, dir string) *folder.Local {
	t.Helper()
	l, err := folder.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// refusesLinks is an outbox that cannot share files with the spool (another file system).
type refusesLinks struct {
	*folder.Local
	links atomic.Int64
}

func (r *refusesLinks) OpenLinks(context.Context, folder.Folder) (folder.Links, error) {
	return refusedLinks{r}, nil
}

// refusedLinks refuses each link as linkat(2) does across file systems.
type refusedLinks struct{ r *refusesLinks }

func (l refusedLinks) Link(context.Context, string, string) error {
	l.r.links.Add(1)
	return fmt.Errorf("%w: invalid cross-device link", folder.ErrCannotLink)
}

func (refusedLinks) Close() error { return nil }

// When the outbox cannot link the spool files, the fluxes are copied from the spool, byte
// for byte; that is found out by the first group, logged once, and not asked again.
func TestDepositGroupCopiesWhatCannotBeLinked(t *testing.T) {
	ctx := context.Background()
	spool := openLocal(t, t.TempDir())
	outDir := t.TempDir()
	out := &refusesLinks{Local: openLocal(t, outDir)}
	d := NewFolder("outbox", out)
	var logs bytes.Buffer
	d.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	tried := int64(0) // by the first group's writers, at once, before any refusal came back
	for round := range 2 {
		if round == 1 {
			tried = out.links.Load()
		}
		var fluxes []Flux
		for i := range 3 {
			fluxes = append(fluxes, spooledFlux(t, spool, fmt.Sprintf("r%d-%d.xml", round, i), fmt.Sprint("flux ", round, i)))
		}
		_, errs := d.DepositGroup(ctx, fluxes)
		for i, fx := range fluxes {
			if errs[i] != nil {
				t.Fatalf("%s: %v", fx.Name, errs[i])
			}
			want := fmt.Sprint("flux ", round, i)
			if data, _ := os.ReadFile(filepath.Join(outDir, fx.Name)); string(data) != want {
				t.Errorf("%s holds %q, want %q", fx.Name, data, want)
			}
		}
	}
	if tried < 1 || out.links.Load() != tried {
		t.Errorf("%d links tried by the first group, %d in all: the refusal is not remembered", tried, out.links.Load())
	}
	if n := strings.Count(logs.String(), "cannot be linked"); n != 1 {
		t.Errorf("the fallback logged %d times, want once:\n%s", n, logs.String())
	}
}
