package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/internal/testutil"
	"github.com/fluxgate/fluxgate/simulate"
)

// crashChildEnv makes the test binary run the gateway instead of the tests: the crash
// harness starts it as a child process and kills it.
const crashChildEnv = "FLUXGATE_CRASH_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(crashChildEnv); args != "" {
		os.Exit(runWithSignals(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestCrashHarness kills the gateway with SIGKILL at random moments while it works through
// a batch, restarts it each time, and checks after a last clean run that nothing was lost or
// doubled: every input is in archive/, every invoice deposited exactly once under its own
// name, every ack agrees with what was deposited.
func TestCrashHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash harness takes a while; run without -short")
	}
	// Enough files that the kills land mid-work: since group commits, 200 files were all
	// done before the 50th kill.
	const files, minKills = 600, 50
	dir := t.TempDir()
	root := testutil.RepoRoot(t)
	sample, err := os.ReadFile(filepath.Join(root, "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	header, rows, _ := bytes.Cut(sample, []byte("\n"))
	inbox := filepath.Join(dir, "inbox")
	os.MkdirAll(inbox, 0o750)
	old := time.Now().Add(-time.Hour)
	want := map[string]bool{} // flux names expected in the outbox
	for i := range files {
		body := bytes.ReplaceAll(rows, []byte("FA2026-"), fmt.Appendf(nil, "F%03d-", i))
		body = bytes.ReplaceAll(body, []byte("AV2026-"), fmt.Appendf(nil, "A%03d-", i))
		name := filepath.Join(inbox, fmt.Sprintf("lot-%03d.csv", i))
		if err := os.WriteFile(name, append(append(append([]byte{}, header...), '\n'), body...), 0o640); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(name, old, old)
		for _, n := range []string{"1101", "1102", "1103", "1104", "1105"} {
			want[fmt.Sprintf("F%03d-%s_ubl.xml", i, n)] = true
		}
		want[fmt.Sprintf("A%03d-0007_ubl.xml", i)] = true
	}
	cfg := filepath.Join(dir, "fluxgate.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, `journal: {path: j.db}
spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    pattern: "*.csv"
    ready: {quiet: 50ms}
    rescan: 50ms
    ack: {path: ack}
    mapping: %s
    outputs: [ubl]
    destination: out
destinations:
  - name: out
    folder: {path: outbox}
    schedule: now
log: {level: error}
`, filepath.Join(root, "examples", "mappings", "ventes-csv.xml")), 0o600)

	child := func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join(args, "\x1f"))
		cmd.Dir = dir
		return cmd
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills := 0
	for kills < minKills {
		cmd := child("run", "-c", cfg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else if err != nil {
			t.Fatalf("the gateway failed by itself: %v\n%s", err, stderr.String())
		}
	}
	left, _ := filepath.Glob(filepath.Join(inbox, "*.csv"))
	if len(left) == 0 {
		t.Logf("every file was taken before the last kill: the kills hit less work than meant")
	}
	var out, errOut bytes.Buffer
	final := child("run", "--once", "-c", cfg)
	final.Stdout, final.Stderr = &out, &errOut
	if err := final.Run(); err != nil {
		t.Fatalf("final run: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	t.Logf("%d kills; final run: %s", kills, strings.TrimSpace(out.String()))

	// Every input file is archived, none is left in the inbox or in processing.
	if left, _ := filepath.Glob(filepath.Join(inbox, "*.csv")); len(left) != 0 {
		t.Errorf("%d files left in the inbox", len(left))
	}
	if left, _ := os.ReadDir(filepath.Join(inbox, ".fluxgate", "processing")); len(left) != 0 {
		t.Errorf("%d files left in processing/", len(left))
	}
	if archived, _ := os.ReadDir(filepath.Join(inbox, ".fluxgate", "archive")); len(archived) != files {
		t.Errorf("%d files archived, want %d", len(archived), files)
	}
	// Every invoice deposited exactly once, under its own name.
	entries, err := os.ReadDir(filepath.Join(dir, "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left by a kill mid-write: %s", e.Name())
			continue
		}
		if !want[e.Name()] {
			t.Errorf("unexpected flux in the outbox (a second copy?): %s", e.Name())
		}
		got[e.Name()] = true
	}
	if len(got) != len(want) {
		t.Errorf("%d fluxes deposited, want %d", len(got), len(want))
	}
	// Every ack agrees: the file ACCEPTED, each invoice DEPOSITED with a flux that exists.
	acks, _ := filepath.Glob(filepath.Join(dir, "ack", "*.ack.xml"))
	if len(acks) != files {
		t.Fatalf("%d acks, want %d", len(acks), files)
	}
	for _, a := range acks {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		var doc ack.Document
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		if doc.File.Status != "ACCEPTED" || doc.Summary.Deposited != 6 || len(doc.Invoices) != 6 {
			t.Errorf("%s: %s, %+v", filepath.Base(a), doc.File.Status, doc.Summary)
		}
		for _, inv := range doc.Invoices {
			for _, fx := range inv.Fluxes {
				if !got[fx.Name] || fx.Status != "DEPOSITED" {
					t.Errorf("%s: flux %s is %s in the ack", filepath.Base(a), fx.Name, fx.Status)
				}
			}
		}
	}
}

// TestCrashHarnessChorus is the crash harness against a platform: the gateway deposits on
// the in-repo Chorus Pro simulator (served by this test process), which loses the answer
// of deposits at random after processing them (a 503, or silence past the client's
// time-out) and integrates each deposit a moment after receiving it, so that a search does
// not find what is not integrated yet. The gateway is killed with SIGKILL at random moments
// while it deposits, at least 30 times, then runs once more without faults until every ack
// says DEPOSITED. Counted on the simulator's side: every invoice deposited exactly once (0
// duplicates, 0 lost); and every ack agrees.
// Batched deposits (a tar.gz of several invoices) get the same care.
func TestCrashHarnessChorus(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash harness takes a while; run without -short")
	}
	for _, batch := range []int{1, 4} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) { crashChorus(t, batch) })
	}
}

func crashChorus(t *testing.T, batch int) {
	const files, minKills = 60, 40
	sim := simulate.NewChorus()
	sim.SetIntegrationDelay(300 * time.Millisecond)
	sim.LoseAnswersAtRandom(0.3)
	sim.SetMaxHang(10 * time.Second) // past the client's time-out; a kill ends it sooner
	// A deposit reaching the simulator says when to kill: while depositing.
	depositing := make(chan struct{}, 1)
	api := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cpro/factures/v1/deposer/flux" {
			select {
			case depositing <- struct{}{}:
			default:
			}
		}
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()

	dir := t.TempDir()
	root := testutil.RepoRoot(t)
	sample, err := os.ReadFile(filepath.Join(root, "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	header, rows, _ := bytes.Cut(sample, []byte("\n"))
	inbox := filepath.Join(dir, "inbox")
	os.MkdirAll(inbox, 0o750)
	old := time.Now().Add(-time.Hour)
	want := map[string]bool{} // invoice numbers expected on Chorus Pro
	for i := range files {
		body := bytes.ReplaceAll(rows, []byte("FA2026-"), fmt.Appendf(nil, "C%03d-", i))
		body = bytes.ReplaceAll(body, []byte("AV2026-"), fmt.Appendf(nil, "D%03d-", i))
		name := filepath.Join(inbox, fmt.Sprintf("lot-%03d.csv", i))
		if err := os.WriteFile(name, append(append(append([]byte{}, header...), '\n'), body...), 0o640); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(name, old, old)
		for _, n := range []string{"1101", "1102", "1103", "1104", "1105"} {
			want[fmt.Sprintf("C%03d-%s", i, n)] = true
		}
		want[fmt.Sprintf("D%03d-0007", i)] = true
	}
	cfg := filepath.Join(dir, "fluxgate.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, `journal: {path: j.db}
spool: spool
sources:
  - name: ventes
    folder: {path: inbox}
    pattern: "*.csv"
    ready: {quiet: 50ms}
    rescan: 50ms
    ack: {path: ack}
    mapping: %s
    outputs: [ubl]
    destination: chorus
destinations:
  - name: chorus
    schedule: now
    rate: 500/s
    chorus:
      batch: %d
      base_url: %s
      token_url: %s%s
      client_id_env: FG_CRASH_CID
      client_secret_env: FG_CRASH_CSECRET
      account_login_env: FG_CRASH_LOGIN
      account_password_env: FG_CRASH_PASSWORD
      timeout: 1s
      integration_window: 2s
      reconcile_every: 200ms
log: {level: error}
`, filepath.Join(root, "examples", "mappings", "ventes-csv.xml"), batch, srv.URL, srv.URL, simulate.ChorusTokenPath), 0o600)

	child := func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join(args, "\x1f"),
			"FG_CRASH_CID="+simulate.DefaultClientID, "FG_CRASH_CSECRET="+simulate.DefaultClientSecret,
			"FG_CRASH_LOGIN="+simulate.DefaultChorusLogin, "FG_CRASH_PASSWORD="+simulate.DefaultChorusPassword)
		cmd.Dir = dir
		return cmd
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	kills, midDeposit := 0, 0
	for kills < minKills {
		select {
		case <-depositing: // one from the last run
		default:
		}
		cmd := child("run", "-c", cfg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Mostly just as a deposit reaches the platform (before, while or just after it is
		// processed); sometimes anywhere in the run.
		if rng.IntN(4) == 0 {
			time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		} else {
			select {
			case <-depositing:
				midDeposit++
				time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
			case <-time.After(3 * time.Second):
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else if err != nil {
			t.Fatalf("the gateway failed by itself: %v\n%s", err, stderr.String())
		}
	}
	lost := sim.LostAnswers()
	deposited := 0
	for _, n := range sim.InvoiceDeposits() {
		deposited += n
	}

	// The last run, without faults, until every ack says every invoice is deposited.
	sim.LoseAnswersAtRandom(0)
	final := child("run", "-c", cfg)
	var errOut bytes.Buffer
	final.Stderr = &errOut
	if err := final.Start(); err != nil {
		t.Fatal(err)
	}
	acksDone := func() bool {
		acks, _ := filepath.Glob(filepath.Join(dir, "ack", "*.ack.xml"))
		if len(acks) != files {
			return false
		}
		for _, a := range acks {
			data, err := os.ReadFile(a)
			if err != nil || !bytes.Contains(data, []byte(`deposited="6"`)) {
				return false
			}
		}
		return true
	}
	// At least a second: the run is up (its signal handler set) and has had a round.
	started, deadline := time.Now(), time.Now().Add(2*time.Minute)
	for (!acksDone() || time.Since(started) < time.Second) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	final.Process.Signal(syscall.SIGTERM)
	if err := final.Wait(); err != nil {
		t.Errorf("last run: %v\n%s", err, errOut.String())
	}
	t.Logf("%d kills (%d as a deposit reached the platform); %d answers lost by the platform, %d invoices received by then",
		kills, midDeposit, lost, deposited)

	// Counted on the platform: each invoice deposited once, none missing, nothing else.
	got := sim.InvoiceDeposits()
	for n := range want {
		switch got[n] {
		case 1:
		case 0:
			t.Errorf("%s never reached Chorus Pro", n)
		default:
			t.Errorf("%s deposited %d times on Chorus Pro", n, got[n])
		}
	}
	for n := range got {
		if !want[n] {
			t.Errorf("unexpected invoice %s on Chorus Pro", n)
		}
	}
	if archived, _ := os.ReadDir(filepath.Join(inbox, ".fluxgate", "archive")); len(archived) != files {
		t.Errorf("%d files archived, want %d", len(archived), files)
	}
	// Every ack agrees: ACCEPTED, each invoice DEPOSITED on Chorus Pro with a receipt.
	acks, _ := filepath.Glob(filepath.Join(dir, "ack", "*.ack.xml"))
	if len(acks) != files {
		t.Fatalf("%d acks, want %d", len(acks), files)
	}
	for _, a := range acks {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		var doc ack.Document
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		if doc.File.Status != "ACCEPTED" || doc.Summary.Deposited != 6 || len(doc.Invoices) != 6 {
			t.Errorf("%s: %s, %+v", filepath.Base(a), doc.File.Status, doc.Summary)
		}
		for _, inv := range doc.Invoices {
			if !want[inv.Number] {
				t.Errorf("%s: unexpected invoice %s", filepath.Base(a), inv.Number)
			}
			for _, fx := range inv.Fluxes {
				if fx.Status != "DEPOSITED" || fx.Receipt == "" {
					t.Errorf("%s: flux %s is %s (receipt %q) in the ack", filepath.Base(a), fx.Name, fx.Status, fx.Receipt)
				}
			}
		}
	}
}

// TestGracefulStop sends SIGTERM to a gateway in the middle of a batch: it finishes the
// file in hand, exits 0, and leaves nothing half-done in processing/.
func TestGracefulStop(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	sample, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	os.MkdirAll(inbox, 0o750)
	old := time.Now().Add(-time.Hour)
	for i := range 30 {
		p := filepath.Join(inbox, fmt.Sprintf("lot-%02d.csv", i))
		os.WriteFile(p, bytes.ReplaceAll(sample, []byte("FA2026-"), fmt.Appendf(nil, "G%02d-", i)), 0o640)
		os.Chtimes(p, old, old)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join([]string{"run", "-c", cfg}, "\x1f"))
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Stop once the first file is through.
	deadline := time.Now().Add(time.Minute)
	for {
		if acks, _ := filepath.Glob(filepath.Join(dir, "ack", "*.ack.xml")); len(acks) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no file processed in a minute:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the gateway did not stop cleanly on SIGTERM: %v\n%s", err, stderr.String())
	}
	if left, _ := os.ReadDir(filepath.Join(inbox, ".fluxgate", "processing")); len(left) != 0 {
		t.Fatalf("a stop left %d files half-done in processing/", len(left))
	}
	archived, _ := os.ReadDir(filepath.Join(inbox, ".fluxgate", "archive"))
	waiting, _ := filepath.Glob(filepath.Join(inbox, "*.csv"))
	if len(archived)+len(waiting) != 30 {
		t.Fatalf("%d archived + %d waiting, want 30: a file was lost", len(archived), len(waiting))
	}
}
