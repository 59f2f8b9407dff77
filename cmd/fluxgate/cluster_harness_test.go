package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/internal/pgtest"
	"github.com/fluxgate/fluxgate/internal/sshdtest"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// TestClusterHarness runs two gateways on one SFTP source (OpenSSH) and one PostgreSQL
// journal, and kills either of them at random with SIGKILL, at least 30 times over 200
// files, restarting it each time. Then: every input is archived once, every invoice
// deposited exactly once under its own name, every ack agrees with what was deposited,
// and the work of killed instances moved to the others (files taken over, fluxes
// deposited by more than one instance).
func TestClusterHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("the cluster harness takes a while; run without -short")
	}
	const files, minKills = 200, 30
	pg := pgtest.New(t)
	dsn, err := pg.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.StartOpenSSH(t)
	dir := t.TempDir()
	root := testutil.RepoRoot(t)
	sample, err := os.ReadFile(filepath.Join(root, "examples", "exports", "ventes-2026-11.csv"))
	if err != nil {
		t.Fatal(err)
	}
	header, rows, _ := bytes.Cut(sample, []byte("\n"))
	inbox := filepath.Join(srv.Root, "inbox")
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
	conn := fmt.Sprintf("host: %s, port: %d, user: %s, key_file: %s, known_hosts: %s, max_backoff: 200ms",
		srv.Host, srv.Port, srv.User, srv.UserKey.File, srv.KnownHosts)
	cfg := filepath.Join(dir, "fluxgate.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, `journal: {driver: postgres, dsn_env: FLUXGATE_TEST_PG_DSN, lease: 3s, stale_after: 2s}
spool: spool
sources:
  - name: ventes
    folder: {sftp: {%s, path: inbox}}
    pattern: "*.csv"
    ready: {quiet: 50ms}
    rescan: 100ms
    ack: {path: ack}
    mapping: %s
    outputs: [ubl]
    destination: out
destinations:
  - name: out
    folder: {path: outbox}
    schedule: now
log: {level: error}
`, conn, filepath.Join(root, "examples", "mappings", "ventes-csv.xml")), 0o600)

	start := func(name string) (*exec.Cmd, *lockedBuffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join([]string{"run", "-c", cfg}, "\x1f"), "FLUXGATE_TEST_PG_DSN="+dsn)
		cmd.Dir = dir
		// Guarded: os/exec copies into it while the test may read it.
		stderr := &lockedBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, stderr
	}
	type instance struct {
		cmd    *exec.Cmd
		stderr *lockedBuffer
	}
	inst := [2]*instance{}
	for i := range inst {
		cmd, stderr := start(fmt.Sprint(i))
		inst[i] = &instance{cmd, stderr}
	}
	defer func() {
		for _, in := range inst {
			in.cmd.Process.Signal(syscall.SIGKILL)
			in.cmd.Wait()
		}
	}()
	archived := func() int {
		entries, _ := os.ReadDir(filepath.Join(inbox, ".fluxgate", "archive"))
		return len(entries)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	kills, duringWork := 0, 0
	for kills < minKills {
		time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
		i := rng.IntN(2)
		in := inst[i]
		if archived() < files {
			duringWork++
		}
		in.cmd.Process.Signal(syscall.SIGKILL)
		err := in.cmd.Wait()
		if ws, ok := in.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else {
			t.Fatalf("instance %d failed by itself: %v\n%s", i, err, in.stderr.String())
		}
		cmd, stderr := start(fmt.Sprint(i))
		inst[i] = &instance{cmd, stderr}
	}
	t.Logf("%d kills, %d of them while files were still coming in; %d files archived by then", kills, duringWork, archived())

	// The survivors finish: a killed instance's files are taken over once it is stale,
	// its fluxes once their lease has run out.
	acksAgree := func() (bool, string) {
		acks, _ := filepath.Glob(filepath.Join(srv.Root, "ack", "*.ack.xml"))
		if len(acks) != files {
			return false, fmt.Sprintf("%d acks", len(acks))
		}
		for _, a := range acks {
			data, err := os.ReadFile(a)
			var doc ack.Document
			if err != nil || xml.Unmarshal(data, &doc) != nil || doc.File.Status != "ACCEPTED" || doc.Summary.Deposited != 6 {
				return false, fmt.Sprintf("%s: %s %+v", filepath.Base(a), doc.File.Status, doc.Summary)
			}
		}
		return true, ""
	}
	// Generous: under -race on a loaded 2-core machine the survivors take minutes; the
	// loop ends as soon as they are done.
	const patience = 5 * time.Minute
	deadline := time.Now().Add(patience)
	for {
		out, _ := os.ReadDir(filepath.Join(dir, "outbox"))
		ok, why := acksAgree()
		if archived() == files && len(out) >= len(want) && ok {
			break
		}
		if time.Now().After(deadline) {
			var extra []string
			for _, e := range out {
				if !want[e.Name()] {
					extra = append(extra, e.Name())
				}
			}
			acks, _ := filepath.Glob(filepath.Join(srv.Root, "ack", "*.*.*.ack.xml"))
			for i := range acks {
				data, _ := os.ReadFile(acks[i])
				acks[i] = filepath.Base(acks[i]) + "\n" + string(data)
			}
			if db, err := sql.Open("pgx", dsn); err == nil {
				rows, err := db.Query(`SELECT f.id, f.name, f.state, f.status, f.claimed_by, f.stored_name, e.at, e.kind, e.detail FROM files f JOIN events e ON e.file_id = f.id
					WHERE f.name IN (SELECT name FROM files GROUP BY name HAVING COUNT(*) > 1) ORDER BY e.id`)
				for err == nil && rows.Next() {
					var id int64
					var name, state, status, by, stored, kind, detail string
					var at time.Time
					rows.Scan(&id, &name, &state, &status, &by, &stored, &at, &kind, &detail)
					t.Logf("%d %s %s %s by=%s stored=%s | %s %s %s", id, name, state, status, by, stored, at.Format("15:04:05.000"), kind, detail)
				}
				// The fluxes of the files whose ack lags: stuck depositing under a lease, or
				// deposited with the ack never rewritten?
				rows, err = db.Query(`SELECT f.name, f.ack_stale, x.final_name, x.state, COALESCE(x.leased_by, ''), COALESCE(CAST(x.lease_until AS TEXT), '') FROM files f JOIN invoices i ON i.file_id = f.id JOIN fluxes x ON x.invoice_id = i.id
					WHERE f.ack_stale <> 0 OR x.state <> 'deposited' ORDER BY f.id, x.id LIMIT 60`)
				if err != nil {
					t.Logf("flux query: %v", err)
				}
				for err == nil && rows.Next() {
					var name, final, state, by, until string
					var stale int
					rows.Scan(&name, &stale, &final, &state, &by, &until)
					t.Logf("%s ack_stale=%d | %s %s leased_by=%s lease_until=%s", name, stale, final, state, by, until)
				}
				db.Close()
			}
			t.Fatalf("not finished %s after the last kill: %d archived, %d fluxes deposited; %s\nextra fluxes: %v\nacks: %v\n%s\n%s",
				patience, archived(), len(out), why, extra, acks, inst[0].stderr.String(), inst[1].stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i, in := range inst {
		in.cmd.Process.Signal(syscall.SIGTERM)
		if err := in.cmd.Wait(); err != nil {
			t.Errorf("instance %d did not stop cleanly: %v\n%s", i, err, in.stderr.String())
		}
	}

	if left, _ := filepath.Glob(filepath.Join(inbox, "*.csv")); len(left) != 0 {
		t.Errorf("%d files left in the inbox", len(left))
	}
	if left, _ := os.ReadDir(filepath.Join(inbox, ".fluxgate", "processing")); len(left) != 0 {
		t.Errorf("%d files left in processing/", len(left))
	}
	if n := archived(); n != files {
		t.Errorf("%d files archived, want %d", n, files)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "outbox"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	temps := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			// A kill mid-write leaves its temporary file: among several instances it is
			// removed only once an hour old (the others write there), never taken for a flux.
			temps++
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
	// Every ack names fluxes that exist, deposited.
	acks, _ := filepath.Glob(filepath.Join(srv.Root, "ack", "*.ack.xml"))
	for _, a := range acks {
		data, _ := os.ReadFile(a)
		var doc ack.Document
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		for _, inv := range doc.Invoices {
			for _, fx := range inv.Fluxes {
				if !got[fx.Name] || fx.Status != "DEPOSITED" {
					t.Errorf("%s: flux %s is %s in the ack", filepath.Base(a), fx.Name, fx.Status)
				}
			}
		}
	}
	// The journal agrees: one row per file, each flux deposited once; and work moved.
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rowsN, takenOver, depositors, deposited, instances int
	db.QueryRow(`SELECT COUNT(*) FROM files`).Scan(&rowsN)
	db.QueryRow(`SELECT COUNT(*) FROM events WHERE kind = 'taken-over'`).Scan(&takenOver)
	db.QueryRow(`SELECT COUNT(DISTINCT leased_by), COUNT(*) FROM fluxes WHERE state = 'deposited'`).Scan(&depositors, &deposited)
	db.QueryRow(`SELECT COUNT(*) FROM instances`).Scan(&instances)
	t.Logf("journal: %d files, %d taken over from a killed instance, %d fluxes deposited by %d instances, %d instances seen; %d temporary files left in the outbox by kills",
		rowsN, takenOver, deposited, depositors, instances, temps)
	if rowsN != files || deposited != len(want) {
		t.Errorf("journal: %d files and %d deposited fluxes, want %d and %d", rowsN, deposited, files, len(want))
	}
	if depositors < 2 {
		t.Errorf("every flux was deposited by one instance: no work moved")
	}
	if takenOver == 0 {
		t.Errorf("no file was taken over from a killed instance")
	}
}

// lockedBuffer is a child's stderr that the test may read while os/exec still writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
