package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/fluxgate/fluxgate/internal/pgtest"
	"github.com/fluxgate/fluxgate/internal/testutil"
)

// testPG, when set, makes openTest open a fresh PostgreSQL journal: TestMain runs the whole
// suite twice, on SQLite then on PostgreSQL, so that every query (anyone's, now or later)
// is shown to run on both drivers.
var testPG *pgtest.Cluster

func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 || testing.Short() {
		os.Exit(code)
	}
	c, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrMissing) && !testutil.Required() {
		fmt.Fprintln(os.Stderr, "journal: the suite did not run on PostgreSQL:", err)
		os.Exit(code)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "journal: PostgreSQL:", err)
		os.Exit(1)
	}
	testPG = c
	fmt.Fprintln(os.Stderr, "journal: the suite again, on PostgreSQL")
	code = m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// openPGTest opens a fresh PostgreSQL journal on the suite's cluster.
func openPGTest(t testing.TB) *Journal {
	t.Helper()
	dsn, err := testPG.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	j, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}
