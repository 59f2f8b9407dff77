package mapping

import (
	"fmt"

	"github.com/fluxgate/fluxgate/invoice"
)

// Rule ids of mapping problems.
const (
	RuleNumber   = "FG-MAP-NUMBER"   // a number term whose source value is not a number
	RuleDate     = "FG-MAP-DATE"     // a date term whose source value is not a date in the layout
	RuleLookup   = "FG-MAP-LOOKUP"   // a value that the term's lookup does not list
	RuleRequired = "FG-MAP-REQUIRED" // an empty column on a term marked required="true"
	RuleColumns  = "FG-MAP-COLUMNS"  // a row with more (non-empty) fields than the header
	RuleGroup    = "FG-MAP-GROUP"    // an invoice key that comes back after its invoice ended
	RuleKey      = "FG-MAP-KEY"      // a row whose group-by column is empty
	RuleRecord   = "FG-MAP-RECORD"   // a record of a type the mapping does not declare, or an invoice without its header record
	RuleLineNet  = "FG-LINE-NET"     // warning: a mapped line net amount that disagrees with quantity × price − allowances + charges
)

// Position says where a value came from.
type Position struct {
	File        string // the export, as named to Map
	Line        int    // physical line in the export (1-based, the header counts); for XML the element's line
	Column      string // header name, or column number when the source has no header; "Name (13-21)" for a fixed-width field; the element's path for XML
	MappingLine int    // line of the <term> in the mapping file, 0 when no term is involved
}

func (p Position) String() string {
	s := fmt.Sprintf("%s:%d", p.File, p.Line)
	if p.Column != "" {
		s += fmt.Sprintf(" [%s]", p.Column)
	}
	return s
}

// Problem is a value that could not be mapped. An invoice with problems must be rejected.
type Problem struct {
	Position Position
	BT       string // business term concerned, "" for a row-level problem
	Rule     string // RuleNumber, RuleDate, …
	FR, EN   string // the message, for an accountant
}

// Message returns the message in lang ("fr" by default, "en").
func (p Problem) Message(lang string) string {
	if lang == "en" {
		return p.EN
	}
	return p.FR
}

func (p Problem) String() string {
	bt := ""
	if p.BT != "" {
		bt = " " + p.BT
	}
	return fmt.Sprintf("%s: %s%s: %s", p.Position, p.Rule, bt, p.EN)
}

// FileError says that the content of the file itself prevents mapping it: bytes invalid for
// the declared encoding, a column that the mapping names missing from the header, a quote
// never closed, an empty file. Sending the same file again fails the same way, so the caller
// rejects the file. Failures that a retry may cure — a read error, a cancelled context — are
// returned as other errors (wrapping the cause: errors.Is(err, context.Canceled) holds).
type FileError struct {
	File   string
	Line   int    // 0 when the failure is not about one line
	Column string // the missing column, when that is the failure
	// MappingLine is the line of the mapping that uses the missing column, 0 otherwise.
	MappingLine int
	FR, EN      string
	Err         error // underlying cause, if any
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.EN)
	}
	return fmt.Sprintf("%s: %s", e.File, e.EN)
}

func (e *FileError) Unwrap() error { return e.Err }

// Message returns the message in lang ("fr" by default, "en").
func (e *FileError) Message(lang string) string {
	if lang == "en" {
		return e.EN
	}
	return e.FR
}

// Result is one mapped invoice.
type Result struct {
	// Invoice is the invoice as mapped, then completed by invoice.Complete (line net
	// amounts, VAT breakdown, totals; mapped values are kept).
	Invoice  *invoice.Invoice
	Key      string    // the group-by value (BT-1 when the mapping has no group-by)
	Lines    [2]int    // first and last physical source line of the invoice's rows
	Problems []Problem // values that could not be mapped; the caller must reject the invoice
	// Warnings are doubts the caller shows (in the ack) without rejecting the invoice: a
	// mapped line net amount that disagrees with quantity × price − allowances + charges.
	Warnings []Problem

	m        *Mapping
	rn       *run
	file     string
	first    *record   // the record the invoice's header terms were read from
	rows     []*record // source record of each invoice line (BG-25[i+1])
	assigns  []assign  // every term evaluated, with where its value came from
	notes    []string  // explain: what finish did (credit note, computed bases)
	computed []Lineage
}
