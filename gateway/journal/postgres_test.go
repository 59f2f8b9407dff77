package journal

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`: `SELECT 1`,
		`UPDATE f SET a = ?, b = 'what?' WHERE c = ? AND d LIKE ? ESCAPE '\'`: `UPDATE f SET a = $1, b = 'what?' WHERE c = $2 AND d LIKE $3 ESCAPE '\'`,
		`SELECT "odd?name" FROM t WHERE x IN (?, ?)`:                          `SELECT "odd?name" FROM t WHERE x IN ($1, $2)`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// needPG skips a PostgreSQL-only test in the suite's SQLite pass (TestMain runs it again
// on PostgreSQL).
func needPG(t *testing.T) {
	t.Helper()
	if testPG == nil {
		t.Skip("PostgreSQL only: runs in the suite's PostgreSQL pass")
	}
}

// Instances starting together on a new database migrate it once, under the advisory lock.
func TestPostgresConcurrentOpenMigratesOnce(t *testing.T) {
	needPG(t)
	ctx := context.Background()
	dsn, err := testPG.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			j, err := OpenPostgres(ctx, dsn)
			if err == nil {
				j.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	j, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var rows, version int
	if err := j.db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version != len(migrations) {
		t.Fatalf("schema_version: %d rows, version %d, want 1 row at %d", rows, version, len(migrations))
	}
}

func TestPostgresNewerSchemaIsRefused(t *testing.T) {
	needPG(t)
	ctx := context.Background()
	j := openPGTest(t)
	if _, err := j.db.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := j.db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	_, err := OpenPostgres(ctx, testPG.DSN(name))
	var newer *NewerSchemaError
	if !errors.As(err, &newer) || !strings.Contains(err.Error(), "upgrade fluxgate") {
		t.Fatalf("a newer schema: %v", err)
	}
}

// A wrong DSN or an unreachable database is one clear sentence that never quotes the DSN
// (it may hold a password).
func TestPostgresBadDSN(t *testing.T) {
	ctx := context.Background()
	_, err := OpenPostgres(ctx, "postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	var ce *ConnectError
	if !errors.As(err, &ce) || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("an unreachable database: %v", err)
	}
	_, err = OpenPostgres(ctx, "postgres://u:s3cret@[bad")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "DSN cannot be read") {
		t.Fatalf("a malformed DSN: %v", err)
	}
	if testPG == nil {
		return
	}
	_, err = OpenPostgres(ctx, strings.Replace(testPG.DSN("nosuchdb"), "fluxgate@", "fluxgate:s3cret@", 1))
	if !errors.As(err, &ce) || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "nosuchdb") {
		t.Fatalf("a database that does not exist: %v", err)
	}
}
