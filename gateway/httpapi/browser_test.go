package httpapi

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/fluxgate/fluxgate/internal/gatewaytest"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// browser starts headless Chromium (Debian's chromium) with the credentials of user.
func browser(t *testing.T, user, token string) context.Context {
	t.Helper()
	exe := testutil.Tool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func text(t *testing.T, ctx context.Context, url, sel string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return s
}

// A person opens the pages after a run with an accepted, a partial and a rejected file:
// finds the rejected file's findings, sees that a read-only user cannot act, and presses
// "retry" on a flux the outbox refused and sees it deposited.
func TestBrowser(t *testing.T) {
	e := gatewaytest.New(t, gatewaytest.Options{})
	// The outbox holds a folder under the name of one flux: its deposit fails until it goes.
	blocker := filepath.Join(e.Outbox, "FA2026-1101_ubl.xml")
	if err := os.MkdirAll(blocker, 0o750); err != nil {
		t.Fatal(err)
	}
	gatewaytest.Drop(t, e.Inbox, "partiel.csv", gatewaytest.Partial(t))
	gatewaytest.Drop(t, e.Inbox, "ventes-2026-11.csv", gatewaytest.Sample(t, "ventes-2026-11.csv"))
	gatewaytest.Drop(t, e.Inbox, "ventes-erreurs.csv", gatewaytest.Sample(t, "ventes-erreurs.csv"))
	if _, err := e.G.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The daemon runs, as under fluxgate run: its runners make the deposits asked for.
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.G.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	srv := serve(t, e, true)

	// The read-only user sees everything and cannot act.
	view := browser(t, "viewer", roToken)
	dash := text(t, view, srv.URL+"/", "#source-ventes")
	for _, want := range []string{"ventes-erreurs.csv", "partiel.csv", "ventes-2026-11.csv", "REJETÉ", "PARTIEL", "ACCEPTÉ", "outbox"} {
		if !strings.Contains(dash, want) {
			t.Errorf("the dashboard does not show %q:\n%s", want, dash)
		}
	}
	page := text(t, view, srv.URL+"/files/2", "#read-only")
	if !strings.Contains(page, "FA2026-1101_ubl.xml") || !strings.Contains(page, "is a directory") {
		t.Errorf("the accepted file's journey shows its waiting flux and why:\n%s", page)
	}
	buttons, err := chromedp.Run(view, chromedp.Evaluate[int](`document.querySelectorAll('#retry, #reprocess').length`))
	if err != nil {
		t.Fatal(err)
	}
	// A form forged in the page (the page has none for this user) is refused.
	forge := `const f = document.createElement('form'); f.method = 'post'; f.action = '/files/2/retry';
		const i = document.createElement('input'); i.name = 'csrf'; i.value = 'x'; f.appendChild(i);
		document.body.appendChild(f); f.submit(); true`
	if _, err := chromedp.Run(view, chromedp.Evaluate[bool](forge)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(view, chromedp.WaitVisible(chromedp.CSS("#error"))); err != nil {
		t.Fatal(err)
	}
	refusal, err := chromedp.Run(view, chromedp.Text(chromedp.CSS("#error")))
	if err != nil {
		t.Fatal(err)
	}
	if buttons != 0 || !strings.Contains(refusal, "403") || !strings.Contains(refusal, "read-only") {
		t.Fatalf("read-only: %d action buttons; a forged retry got %q", buttons, refusal)
	}

	// The operator opens the rejected file from the dashboard and finds its findings.
	ops := browser(t, "ops", opToken)
	err = chromedp.Do(ops,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Click(chromedp.CSS(`#file-3 a`)),
		chromedp.WaitVisible(chromedp.CSS(`#file-status`)))
	if err != nil {
		t.Fatal(err)
	}
	findings, err := chromedp.Run(ops, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr.finding')].map(r => r.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(findings, "\n")
	if len(findings) < 2 || !strings.Contains(joined, "BT-44") || !strings.Contains(joined, "BR-") {
		t.Fatalf("the rejected file's findings (line, field, BT, rule, message):\n%s", joined)
	}
	if shots := os.Getenv("FLUXGATE_SCREENSHOTS"); shots != "" {
		screenshot(t, ops, srv.URL+"/files/3", "#file-status", filepath.Join(shots, "journey.png"))
	}

	// The operator removes what blocked the outbox and presses "retry": the flux goes.
	os.Remove(blocker)
	err = chromedp.Do(ops,
		chromedp.Navigate(srv.URL+"/files/2"),
		chromedp.WaitVisible(chromedp.CSS(`#retry`)),
		chromedp.Click(chromedp.CSS(`#retry`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if err := chromedp.Do(ops, chromedp.Navigate(srv.URL+"/files/2"), chromedp.WaitVisible(chromedp.CSS(`#file-status`))); err != nil {
			t.Fatalf("the flux was never deposited: %v", err)
		}
		waiting, err := chromedp.Run(ops, chromedp.Evaluate[int](`document.querySelectorAll('.fluxstate:not(.deposited)').length`))
		if err != nil {
			t.Fatalf("the flux was never deposited: %v", err)
		}
		if waiting == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(e.Outbox, "FA2026-1101_ubl.xml")); err != nil {
		t.Fatalf("the flux is not in the outbox: %v", err)
	}

	// On a phone the dashboard fits the screen's width.
	err = chromedp.Do(ops, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#source-ventes")))
	if err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(ops, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		t.Error("the dashboard is wider than a phone's screen")
	}
	if shots := os.Getenv("FLUXGATE_SCREENSHOTS"); shots != "" {
		chromedp.Do(ops, chromedp.EmulateViewport(1280, 900))
		screenshot(t, ops, srv.URL+"/", "#source-ventes", filepath.Join(shots, "dashboard.png"))
	}
}

func screenshot(t *testing.T, ctx context.Context, url, sel, path string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
