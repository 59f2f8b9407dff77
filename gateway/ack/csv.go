package ack

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/invoice"
)

// Ack formats a source can ask for (ack.format: one, or a list).
const (
	FormatXML = "xml"
	FormatCSV = "csv"
)

// DefaultCSVEncoding is what the legacy software that reads CSV acks expects, as it
// writes its exports: Windows-1252.
const DefaultCSVEncoding = "windows-1252"

// CSVHeader names the columns of a CSV ack. The names do not follow the ack's language, so
// that software reading the file by column name works whatever the language of the
// messages.
var CSVHeader = []string{"file", "file_status", "invoice", "status", "flux", "platform_status", "rule", "message"}

// csvEncodings are the encodings a CSV ack can be written in; nil means UTF-8.
var csvEncodings = map[string]*charmap.Charmap{
	"windows-1252": charmap.Windows1252,
	"cp1252":       charmap.Windows1252,
	"iso-8859-1":   charmap.ISO8859_1,
	"latin1":       charmap.ISO8859_1,
	"iso-8859-15":  charmap.ISO8859_15,
	"cp850":        charmap.CodePage850,
	"utf-8":        nil,
	"utf-8-bom":    nil,
}

// CheckFormat reports whether format is one an ack can be written in.
func CheckFormat(format string) error {
	if format != FormatXML && format != FormatCSV {
		return fmt.Errorf("ack.format %q: write xml or csv", format)
	}
	return nil
}

// CheckEncoding reports whether a CSV ack can be written in encoding.
func CheckEncoding(encoding string) error {
	if _, ok := csvEncodings[strings.ToLower(encoding)]; !ok {
		return fmt.Errorf("ack.encoding %q: write windows-1252, iso-8859-1, iso-8859-15, cp850, utf-8 or utf-8-bom", encoding)
	}
	return nil
}

// FileName is the name of the ack in format beside the XML ack named xmlName (Name or
// SupersededName): the CSV ack's ends in .ack.csv.
func FileName(xmlName, format string) string {
	if format == FormatCSV {
		return strings.TrimSuffix(xmlName, ".xml") + ".csv"
	}
	return xmlName
}

// CSV writes the ack to w for software that reads only CSV: a header row (CSVHeader), then
// one line per invoice as each yields it, fields separated by ';', lines ended by CRLF, in
// encoding (empty means DefaultCSVEncoding). A file without invoices (unreadable, a
// duplicate, too large) gets one line that says why. The rule and message are the
// invoice's first fatal problem (else its first problem, else the file's), or, for an
// invoice whose deposit waits, why it waits. A character the encoding cannot hold becomes
// '?'. A cell that would open as a formula in a spreadsheet gets a leading ' (defused).
func (r *Renderer) CSV(w io.Writer, encoding string, each EachInvoice) error {
	if err := r.csv(w, encoding, each); err != nil {
		return fmt.Errorf("ack: render %s as CSV: %w", r.head.File.Name, err)
	}
	return nil
}

func (r *Renderer) csv(w io.Writer, encoding string, each EachInvoice) error {
	if encoding == "" {
		encoding = DefaultCSVEncoding
	}
	cm, ok := csvEncodings[strings.ToLower(encoding)]
	if !ok {
		return CheckEncoding(encoding)
	}
	if strings.EqualFold(encoding, "utf-8-bom") {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
	}
	out := newCSVLines(w, cm)
	if err := out.write(CSVHeader); err != nil {
		return err
	}
	file := r.head.File
	var invoices int
	err := each(func(inv journal.Invoice) error {
		invoices++
		return out.write(csvRecord(file, r.head.Problems, r.invoice(inv)))
	})
	if err != nil {
		return err
	}
	if invoices == 0 { // one line says why
		rule, msg := firstProblem(r.head.Problems)
		return out.write([]string{file.Name, file.Status, "", "", "", "", rule, msg})
	}
	return nil
}

// csvRecord is the line of inv in the CSV ack of file, whose own problems are fileProblems.
func csvRecord(file File, fileProblems []Problem, inv Invoice) []string {
	var fluxes, platform []string
	var waiting string
	for _, fx := range inv.Fluxes {
		fluxes = append(fluxes, fx.Name)
		if fx.PlatformStatus != "" {
			platform = append(platform, fx.PlatformStatus)
		}
		if waiting == "" {
			waiting = fx.Waiting
		}
	}
	rule, msg := firstProblem(inv.Problems)
	if rule == "" && msg == "" {
		if rule, msg = firstProblem(fileProblems); msg == "" {
			msg = waiting
		}
	}
	// Flux names hold no spaces (they are sanitized), so a space separates them.
	return []string{file.Name, file.Status, inv.Number, inv.Status,
		strings.Join(fluxes, " "), strings.Join(platform, " "), rule, msg}
}

// csvLines writes CSV records to w one at a time, each converted to the ack's encoding once
// whole: a character is never cut between two conversions.
type csvLines struct {
	w       io.Writer
	cm      *charmap.Charmap // nil: UTF-8
	csv     *csv.Writer      // writes into line
	cells   []string         // the record being written, defused
	line    bytes.Buffer
	encoded []byte
}

func newCSVLines(w io.Writer, cm *charmap.Charmap) *csvLines {
	l := &csvLines{w: w, cm: cm}
	l.csv = csv.NewWriter(&l.line)
	l.csv.Comma = ';'
	l.csv.UseCRLF = true
	return l
}

func (l *csvLines) write(record []string) error {
	l.line.Reset()
	l.cells = l.cells[:0]
	for _, cell := range record {
		l.cells = append(l.cells, defused(cell))
	}
	if err := l.csv.Write(l.cells); err != nil {
		return err
	}
	l.csv.Flush()
	if err := l.csv.Error(); err != nil {
		return err
	}
	text := l.line.Bytes()
	if l.cm != nil {
		l.encoded = encode(l.encoded[:0], text, l.cm)
		text = l.encoded
	}
	_, err := l.w.Write(text)
	return err
}

// defused returns cell so that a spreadsheet shows it as text and never evaluates it:
// accountants open acks in Excel, and a cell beginning with =, +, -, @, a tab or a carriage
// return opens as a formula there (CSV injection), whatever the export put in an invoice
// number, a file name or a message. Such a cell gets a leading ', as OWASP advises. A plain
// number (-12, +3,50) is kept: it opens as a number, which runs nothing. Every column of
// the ack is text; it holds no amounts.
func defused(cell string) string {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) || plainNumber(cell) {
		return cell
	}
	return "'" + cell
}

// plainNumber reports whether s is a signed decimal number and nothing else: + or -, then
// digits, with at most one decimal point or comma between digits.
func plainNumber(s string) bool {
	sign, rest := s[0], s[1:]
	whole, frac, hasFrac := strings.Cut(rest, ",")
	if !hasFrac {
		whole, frac, hasFrac = strings.Cut(rest, ".")
	}
	digits := func(d string) bool { return d != "" && strings.Trim(d, "0123456789") == "" }
	return (sign == '+' || sign == '-') && digits(whole) && (!hasFrac || digits(frac))
}

// encode appends UTF-8 text converted into cm to dst, replacing what cm cannot hold with '?'.
func encode(dst, text []byte, cm *charmap.Charmap) []byte {
	for len(text) > 0 {
		r, n := utf8.DecodeRune(text)
		text = text[n:]
		b, ok := cm.EncodeRune(r)
		if !ok {
			b = '?'
		}
		dst = append(dst, b)
	}
	return dst
}

// firstProblem is the rule and message of the first fatal problem of ps, or of its first
// problem when none is fatal.
func firstProblem(ps []Problem) (rule, msg string) {
	for _, p := range ps {
		if p.Severity == string(invoice.Fatal) {
			return p.Rule, oneLine(p.Message)
		}
	}
	if len(ps) > 0 {
		return ps[0].Rule, oneLine(ps[0].Message)
	}
	return "", ""
}

// oneLine keeps a message on one line: some readers of CSV acks do not handle quoted line
// breaks.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
