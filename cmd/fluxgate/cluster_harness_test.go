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
// journal, and kills them with SIGKILL, 30 times, restarting each one killed. Then: every
// input is archived once, every invoice deposited exactly once under its own name, every
// ack agrees with what was deposited, and the work a killed instance had in hand moved to
// another (each file it held taken over and finished, each flux it was depositing
// deposited by another).
//
// Nothing depends on the machine's speed: each kill waits until the journal shows its
// instance holding work (a file claimed, a flux depositing) after a random number of files
// finished, and files are dropped as they are taken, so that there is work for every kill
// however fast or slow the instances are. (Fixed delays let every kill land before the
// instances, slow under load, had started working.)
func TestClusterHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("the cluster harness takes a while; run without -short")
	}
	// pending files are kept in the inbox while the kills go on; maxFiles bounds the run.
	const minKills, pending, maxFiles = 30, 20, 1000
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
	files, kills := 0, 0      // files dropped, kills done
	// drop puts the next file into the inbox, whole and old (ready at once) under its name.
	drop := func() {
		i := files
		body := bytes.ReplaceAll(rows, []byte("FA2026-"), fmt.Appendf(nil, "F%03d-", i))
		body = bytes.ReplaceAll(body, []byte("AV2026-"), fmt.Appendf(nil, "A%03d-", i))
		name := filepath.Join(inbox, fmt.Sprintf("lot-%03d.csv", i))
		if err := os.WriteFile(name+".part", append(append(append([]byte{}, header...), '\n'), body...), 0o640); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(name+".part", old, old)
		if err := os.Rename(name+".part", name); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"1101", "1102", "1103", "1104", "1105"} {
			want[fmt.Sprintf("F%03d-%s_ubl.xml", i, n)] = true
		}
		want[fmt.Sprintf("A%03d-0007_ubl.xml", i)] = true
		files++
	}
	// topUp keeps pending files waiting in the inbox.
	topUp := func() {
		waiting, _ := filepath.Glob(filepath.Join(inbox, "*.csv"))
		for n := len(waiting); n < pending; n++ {
			if files == maxFiles {
				t.Fatalf("%d files dropped and only %d kills: the instances are seldom seen holding work", files, kills)
			}
			drop()
		}
	}
	topUp()
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

	type instance struct {
		cmd    *exec.Cmd
		stderr *lockedBuffer
		app    string // its connections' application_name in PostgreSQL
	}
	started := 0
	start := func() *instance {
		started++
		in := &instance{cmd: exec.Command(os.Args[0], "-test.run=^$"), stderr: &lockedBuffer{}, app: fmt.Sprint("harness-", started)}
		in.cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join([]string{"run", "-c", cfg}, "\x1f"),
			"FLUXGATE_TEST_PG_DSN="+dsn+"&application_name="+in.app)
		in.cmd.Dir = dir
		// Guarded: os/exec copies into it while the test may read it.
		in.cmd.Stderr = in.stderr
		if err := in.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return in
	}
	inst := [2]*instance{start(), start()}
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
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// progress says what the instance running as process pid did: its id, whether it holds
	// work now (a file claimed and not done, a flux it is depositing), how many files it
	// finished. An error until the first instance made the tables.
	progress := func(pid int) (id string, holds bool, finished int, err error) {
		err = db.QueryRow(`SELECT i.id,
				EXISTS (SELECT 1 FROM files f WHERE f.claimed_by = i.id AND f.state <> 'done')
					OR EXISTS (SELECT 1 FROM fluxes x WHERE x.leased_by = i.id AND x.state = 'depositing'),
				(SELECT COUNT(*) FROM files f WHERE f.claimed_by = i.id AND f.state = 'done')
			FROM instances i WHERE i.pid = $1 AND i.stopped_at IS NULL ORDER BY i.started_at DESC LIMIT 1`, pid).Scan(&id, &holds, &finished)
		return id, holds, finished, err
	}
	// held lists what instance id holds: files claimed and not done, fluxes depositing.
	held := func(id string) (files, fluxes []int64) {
		for _, q := range []struct {
			sql string
			ids *[]int64
		}{
			{`SELECT id FROM files WHERE claimed_by = $1 AND state <> 'done'`, &files},
			{`SELECT id FROM fluxes WHERE leased_by = $1 AND state = 'depositing'`, &fluxes},
		} {
			rows, err := db.Query(q.sql, id)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var n int64
				if err := rows.Scan(&n); err != nil {
					t.Fatal(err)
				}
				*q.ids = append(*q.ids, n)
			}
			rows.Close()
		}
		return files, fluxes
	}
	// Each kill picks an instance and a number of files it must have finished first (so
	// that kills land at every stage of an instance's life, not only at its first claim),
	// then waits for it to hold work.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	killedFiles := map[int64]string{}  // file → the killed instance that held it
	killedFluxes := map[int64]string{} // flux → the killed instance that was depositing it
	for kills < minKills {
		i, atLeast := rng.IntN(2), rng.IntN(4)
		in := inst[i]
		// Only against a hang (nothing ever held, a query that always fails), not a pace.
		hang := time.Now().Add(10 * time.Minute)
		var id string
		for {
			topUp()
			var holds bool
			var finished int
			id, holds, finished, err = progress(in.cmd.Process.Pid)
			if err == nil && holds && finished >= atLeast {
				break
			}
			if time.Now().After(hang) {
				t.Fatalf("%d kills; instance %d not seen holding work after %d finished files for 10 minutes (%d finished, %v)\n%s",
					kills, i, atLeast, finished, err, in.stderr.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		in.cmd.Process.Signal(syscall.SIGKILL)
		err = in.cmd.Wait()
		if ws, ok := in.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else {
			t.Fatalf("instance %d failed by itself: %v\n%s", i, err, in.stderr.String())
		}
		// Dead now, once PostgreSQL has ended its sessions (a commit sent just before the
		// kill still lands): what it held stays held until another instance takes it over.
		for n := -1; n != 0; time.Sleep(10 * time.Millisecond) {
			if err := db.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1`, in.app).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(hang) {
				t.Fatalf("PostgreSQL still has %d sessions of killed instance %d", n, i)
			}
		}
		files, fluxes := held(id)
		for _, f := range files {
			killedFiles[f] = id
		}
		for _, x := range fluxes {
			killedFluxes[x] = id
		}
		inst[i] = start()
	}
	t.Logf("%d kills; killed instances held %d files and were depositing %d fluxes; %d files dropped, %d archived by then",
		kills, len(killedFiles), len(killedFluxes), files, archived())
	if len(killedFiles)+len(killedFluxes) == 0 {
		t.Errorf("no kill landed while its instance held work")
	}

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
	// What a killed instance held was finished by another: each file taken over, each flux
	// deposited under another's lease.
	for f, killed := range killedFiles {
		var state, by string
		if err := db.QueryRow(`SELECT state, claimed_by FROM files WHERE id = $1`, f).Scan(&state, &by); err != nil {
			t.Errorf("file %d, held by killed instance %s: %v", f, killed, err)
		} else if state != "done" || by == killed {
			t.Errorf("file %d, held by killed instance %s: %s, claimed by %s: not taken over", f, killed, state, by)
		}
	}
	for x, killed := range killedFluxes {
		var state, by string
		if err := db.QueryRow(`SELECT state, leased_by FROM fluxes WHERE id = $1`, x).Scan(&state, &by); err != nil {
			t.Errorf("flux %d, depositing by killed instance %s: %v", x, killed, err)
		} else if state != "deposited" || by == killed {
			t.Errorf("flux %d, depositing by killed instance %s: %s, leased by %s: not taken over", x, killed, state, by)
		}
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
