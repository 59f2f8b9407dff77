package journal

import (
	"strings"
)

// Rows written or selected together go in one statement per batch instead of one per row
// (the statement's overhead, and a round trip on PostgreSQL, paid once for many). A batch
// has one of a few sizes, maxBatch and the powers of two below it, so that each statement
// has a handful of texts, each prepared once (stmts.go); maxBatch rows of the widest
// statement (invoices, 10 columns) stay far within SQLite's 32,766 parameters and
// PostgreSQL's 65,535.
const maxBatch = 128

// batches splits xs into runs of those sizes, largest first.
func batches[T any](xs []T) [][]T {
	var out [][]T
	for size := maxBatch; len(xs) > 0; size /= 2 {
		for len(xs) >= size {
			out = append(out, xs[:size:size])
			xs = xs[size:]
		}
	}
	return out
}

// marks is n placeholders, "?, ?, …", for an IN list.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// valueRows is n rows of cols placeholders, "(?, ?), (?, ?), …", for a multi-row INSERT.
func valueRows(n, cols int) string {
	row := "(" + marks(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// idArgs is ids as statement arguments, after the leading ones.
func idArgs(ids []int64, leading ...any) []any {
	args := make([]any, 0, len(leading)+len(ids))
	args = append(args, leading...)
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}
