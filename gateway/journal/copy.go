package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// copyTables are the tables a journal is made of, parents first. The instances of a
// shared journal are not copied: they are its own.
var copyTables = []string{"files", "invoices", "fluxes", "events", "alerts", "destinations"}

// CopyTo copies every row of j into dst, an empty journal of the same schema version (a
// PostgreSQL journal that a gateway is to share), in one transaction of dst: a copy
// stopped midway leaves dst empty. Ids are kept, so that what acks and logs say of a
// file still names it; dst's id counters are moved past them. It returns how many rows
// each table had.
func (j *Journal) CopyTo(ctx context.Context, dst *Journal) (map[string]int, error) {
	for _, x := range []*Journal{j, dst} {
		v, err := x.schemaVersion(ctx)
		if err != nil {
			return nil, fmt.Errorf("journal: read the schema version: %w", err)
		}
		if v != len(migrations) {
			return nil, fmt.Errorf("journal: a journal is at schema version %d, this fluxgate copies at %d: open both with this fluxgate first", v, len(migrations))
		}
	}
	var n int
	if err := dst.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM files`).Scan(&n); err != nil {
		return nil, fmt.Errorf("journal: read the target: %w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("the target journal already holds %d file(s): copy into an empty database only", n)
	}
	// A consistent picture of the source: one read transaction over every table.
	src, err := j.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("journal: read the source: %w", err)
	}
	defer src.Rollback()
	counts := map[string]int{}
	err = dst.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range copyTables {
			c, err := copyTable(ctx, src, tx, table)
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			counts[table] = c
			if dst.pg && table != "destinations" {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), COALESCE((SELECT MAX(id) FROM %[1]s), 0) + 1, false)`, table)); err != nil {
					return fmt.Errorf("%s: move the id counter: %w", table, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: copy: %w", err)
	}
	return counts, nil
}

func copyTable(ctx context.Context, src, dst *sql.Tx, table string) (int, error) {
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	insert := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, table, strings.Join(cols, ", "),
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
	n := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b) // text, as SQLite may hand it
			}
		}
		if _, err := dst.ExecContext(ctx, insert, vals...); err != nil {
			return n, fmt.Errorf("row %d: %w", n+1, err)
		}
		n++
	}
	return n, rows.Err()
}
