package journal

import (
	"context"
	"strings"
	"testing"
)

// Whether a later file came under the same name is asked at each ack written: it must be
// found through an index on the name, never by reading every file of the source (a flood
// of files would cost the square of their number).
func TestSupersededUsesTheNameIndex(t *testing.T) {
	if testPG != nil {
		t.Skip("SQLite's query plan")
	}
	j := openTest(t)
	var id, parent, unused int
	var plan string
	err := j.db.QueryRowContext(context.Background(),
		`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM files WHERE source = ? AND name = ? AND id > ?`, "ventes", "a.csv", 1).
		Scan(&id, &parent, &unused, &plan)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "files_name") || !strings.Contains(plan, "name=?") {
		t.Errorf("Superseded's query plan: %q, want a search of the index on (source, name)", plan)
	}
}
