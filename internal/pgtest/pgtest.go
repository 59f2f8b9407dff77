// Package pgtest runs a private PostgreSQL cluster for tests: Debian's postgresql binaries
// (initdb, pg_ctl) in a temporary folder, on a free loopback port, as an unprivileged user
// (PostgreSQL refuses to run as root, and CI runs tests as root). Tests that need it skip
// when PostgreSQL is not installed, and fail when FLUXGATE_REQUIRE_TOOLS=1.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// ErrMissing says that PostgreSQL's server binaries are not installed.
var ErrMissing = errors.New("PostgreSQL is not installed (apt-get install postgresql)")

// Cluster is a running private cluster.
type Cluster struct {
	Port int
	dir  string // owned by the unprivileged user: data/, the socket, the log
	bin  string
	uid  int // the user the server runs as; -1 for the current one
	n    atomic.Int64
}

// Bin returns the newest installed PostgreSQL's bin folder.
func Bin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool { return version(dirs[a]) > version(dirs[b]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrMissing
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises and starts a cluster. Stop removes it.
func Start() (*Cluster, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "fluxgate-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin, uid: -1}
	if os.Geteuid() == 0 {
		// nobody: PostgreSQL will not run as root.
		c.uid = 65534
		if err := os.Chown(dir, c.uid, c.uid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: chown %s: %w", dir, err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "fluxgate", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v: %s", err, out)
	}
	for range 5 {
		if c.Port, err = freePort(); err != nil {
			break
		}
		if err = c.start(); err == nil {
			return c, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) run(tool string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, tool)
	if c.uid < 0 {
		return exec.Command(path, args...)
	}
	id := strconv.Itoa(c.uid)
	return exec.Command("setpriv", append([]string{"--reuid=" + id, "--regid=" + id, "--clear-groups", path}, args...)...)
}

// start runs the server. fsync is off (the tests never crash the machine, only the
// server: what it wrote is in the system's cache), but a commit is acknowledged only once
// in the WAL, as in production: a test that stops the server at once (Pause) must not
// lose an acknowledged commit.
func (c *Cluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.Port, c.dir)
	out, err := c.run("pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pgtest: pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return nil
}

// Pause stops the server (immediately, as a crash or a lost network does); Resume starts
// it again on the same port with the same data.
func (c *Cluster) Pause() error {
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Resume starts the server Pause stopped.
func (c *Cluster) Resume() error { return c.start() }

// Stop stops the server and removes its files.
func (c *Cluster) Stop() error {
	err := c.Pause()
	return errors.Join(err, os.RemoveAll(c.dir))
}

// DSN is the URL of database db (no password: the cluster trusts loopback).
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://fluxgate@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// NewDatabase creates an empty database and returns its DSN.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.n.Add(1))
	db, err := sql.Open("pgx", c.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return c.DSN(name), nil
}

// New starts a cluster for the test, stopped at its end; it skips the test when PostgreSQL
// is not installed (fails it under FLUXGATE_REQUIRE_TOOLS=1).
func New(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start()
	if errors.Is(err, ErrMissing) {
		testutil.Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// Database starts a cluster (New) and returns the DSN of a fresh database on it.
func Database(t testing.TB) string {
	t.Helper()
	c := New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, err := c.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
