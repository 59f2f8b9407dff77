package mapping

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

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
)

// Position says where a value came from.
type Position struct {
	File        string // the export, as named to Map
	Line        int    // physical line in the export (1-based, the header counts)
	Column      string // header name, or column number when the source has no header
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
	FR, EN string
	Err    error // underlying cause, if any
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

	m         *Mapping
	file      string
	rows      []int                   // source line of each invoice line (BG-25[i+1])
	docInsts  map[string][]*instDef   // group instances created, per BG, in invoice order
	lineInsts []map[string][]*instDef // the same per line (nil when a line has none)
}

// Map streams the export r (named name in messages) and calls emit once per invoice, in
// source order.
//
// Rows with the same group-by value form one invoice; its header terms come from its first
// row, and each row gives one line. Rows of an invoice must follow each other: only the
// current invoice is held in memory, so memory stays flat however long the file (Map keeps
// the keys already seen, a few bytes per invoice, to detect a key that comes back; that row
// then gets a RuleGroup problem). With grouping="any" on <invoice>, rows may come in any
// order: every invoice of the file is held until the end, so memory grows with the file
// (about 2 KB per line).
//
// Map returns a *FileError when the file's content cannot be mapped at all (the caller
// rejects the file), emit's error as is, or a wrapped read or context error (the caller
// retries later). Values that cannot be mapped are Problems of their invoice, not errors.
func (m *Mapping) Map(ctx context.Context, r io.Reader, name string, emit func(*Result) error) error {
	if err := ctx.Err(); err != nil {
		return cancelled(name, 0, err)
	}
	rn := &run{m: m, file: name, cols: make([]int, len(m.terms)), keyCol: -1, width: -1}
	rd := newCSVReader(r, name, &m.src)
	if m.src.header {
		rec, err := rd.next()
		if err == io.EOF {
			return &FileError{File: name, Line: 1,
				FR: "le fichier est vide : sa première ligne doit être la ligne d'en-tête (noms des colonnes)",
				EN: "the file is empty: its first line must be the header row (column names)"}
		}
		if err != nil {
			return err
		}
		if err := rn.bind(rec); err != nil {
			return err
		}
	} else {
		for _, t := range m.terms {
			if t.col != nil {
				rn.cols[t.idx] = t.col.num - 1
			}
		}
		if m.key != nil {
			rn.keyCol = m.key.num - 1
		}
	}

	var cur *builder
	done := map[string]int{}     // consecutive: key → last line of its emitted invoice
	var open map[string]*builder // grouping="any"
	var order []*builder         // grouping="any", in order of first row
	if m.anyOrder {
		open = map[string]*builder{}
	}
	flush := func(b *builder) error {
		if err := ctx.Err(); err != nil {
			return cancelled(name, b.res.Lines[1], err)
		}
		return emit(b.finish())
	}
	for n := 0; ; n++ {
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return cancelled(name, rd.lineNo, err)
			}
		}
		rec, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blank(rec) {
			continue
		}
		key := ""
		if rn.keyCol >= 0 {
			key = field(rec, rn.keyCol)
		}
		switch {
		case m.key == nil:
			if cur != nil {
				if err := flush(cur); err != nil {
					return err
				}
			}
			cur = rn.start(rec, "")
		case m.anyOrder:
			if b := open[key]; b != nil {
				rn.addLine(b, rec)
			} else {
				b = rn.start(rec, key)
				open[key] = b
				order = append(order, b)
			}
		case cur != nil && key == cur.res.Key:
			rn.addLine(cur, rec)
		default:
			if cur != nil {
				done[cur.res.Key] = cur.res.Lines[1]
				if err := flush(cur); err != nil {
					return err
				}
			}
			cur = rn.start(rec, key)
			if last, seen := done[key]; seen {
				rn.rowProblem(cur.res, rec, m.key.label(), m.keyLine, RuleGroup,
					fmt.Sprintf("les lignes de la facture « %s » reprennent ici alors qu'elles se sont arrêtées ligne %d : les lignes d'une même facture doivent se suivre dans le fichier (ou déclarez grouping=\"any\" sur <invoice> dans le mapping)", key, last),
					fmt.Sprintf("the rows of invoice %q start again here although they stopped at line %d: the rows of one invoice must follow each other in the file (or declare grouping=\"any\" on <invoice> in the mapping)", key, last))
			}
		}
	}
	if cur != nil {
		if err := flush(cur); err != nil {
			return err
		}
	}
	for _, b := range order {
		if err := flush(b); err != nil {
			return err
		}
	}
	return nil
}

// cancelled is the error of a Map stopped by its context: not a *FileError, the file is
// not at fault.
func cancelled(file string, line int, err error) error {
	return fmt.Errorf("%s: mapping stopped at line %d: %w", file, line, err)
}

// run is the state of one Map call.
type run struct {
	m      *Mapping
	file   string
	cols   []int // column index of each term (by term.idx), -1 when none
	keyCol int
	width  int // number of header columns, -1 without header
	v      value
}

// bind resolves column names against the header row.
func (rn *run) bind(rec *record) error {
	m := rn.m
	index := make(map[string]int, len(rec.fields))
	names := make([]string, 0, len(rec.fields))
	for i, f := range rec.fields {
		f = strings.TrimSpace(f)
		names = append(names, f)
		if _, dup := index[f]; !dup {
			index[f] = i
		}
	}
	rn.width = len(rec.fields)
	var missing []string
	resolve := func(c *colRef) int {
		i, ok := index[c.name]
		if !ok && !slices.Contains(missing, c.name) {
			missing = append(missing, c.name)
		}
		if !ok {
			return -1
		}
		return i
	}
	for _, t := range m.terms {
		rn.cols[t.idx] = -1
		if t.col != nil {
			rn.cols[t.idx] = resolve(t.col)
		}
	}
	if m.key != nil {
		rn.keyCol = resolve(m.key)
	}
	if len(missing) == 0 {
		return nil
	}
	quoted := make([]string, len(missing))
	for i, s := range missing {
		quoted[i] = "« " + s + " »"
	}
	present := strings.Join(names, ", ")
	if len(missing) == 1 {
		return &FileError{File: rn.file, Line: rec.line, Column: missing[0],
			FR: fmt.Sprintf("la colonne %s, utilisée par le mapping, est absente de la ligne d'en-tête ; colonnes présentes : %s", quoted[0], present),
			EN: fmt.Sprintf("column %q, which the mapping uses, is missing from the header row; columns present: %s", missing[0], present)}
	}
	return &FileError{File: rn.file, Line: rec.line, Column: missing[0],
		FR: fmt.Sprintf("les colonnes %s, utilisées par le mapping, sont absentes de la ligne d'en-tête ; colonnes présentes : %s", strings.Join(quoted, ", "), present),
		EN: fmt.Sprintf("columns %q, which the mapping uses, are missing from the header row; columns present: %s", missing, present)}
}

func field(rec *record, i int) string {
	if i < 0 || i >= len(rec.fields) {
		return "" // ragged row: a missing column is an empty value
	}
	return strings.TrimSpace(rec.fields[i])
}

func blank(rec *record) bool {
	for _, f := range rec.fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// builder accumulates one invoice.
type builder struct {
	res *Result
	inv *invoice.Invoice
}

func (rn *run) start(rec *record, key string) *builder {
	inv := &invoice.Invoice{}
	res := &Result{Invoice: inv, Key: key, Lines: [2]int{rec.line, rec.end}, m: rn.m, file: rn.file}
	b := &builder{res: res, inv: inv}
	res.docInsts = rn.evalScope(&rn.m.head, inv, rec, res)
	if rn.m.key == nil {
		res.Key = inv.Number
	}
	if rn.m.key != nil && key == "" {
		rn.rowProblem(res, rec, rn.m.key.label(), rn.m.keyLine, RuleKey,
			fmt.Sprintf("la colonne « %s », qui identifie la facture, est vide : la ligne ne peut être rattachée à aucune facture", rn.m.key.label()),
			fmt.Sprintf("column %q, which identifies the invoice, is empty: the row cannot be attached to any invoice", rn.m.key.label()))
	}
	rn.addLine(b, rec)
	return b
}

func (rn *run) addLine(b *builder, rec *record) {
	res := b.res
	if rn.width >= 0 && len(rec.fields) > rn.width {
		for _, f := range rec.fields[rn.width:] {
			if strings.TrimSpace(f) != "" {
				d := string(rn.m.src.delim)
				rn.rowProblem(res, rec, "", 0, RuleColumns,
					fmt.Sprintf("la ligne compte %d champs alors que l'en-tête en a %d : un « %s » de trop, dans une désignation par exemple ? Entourez alors ce champ de guillemets", len(rec.fields), rn.width, d),
					fmt.Sprintf("the row has %d fields but the header has %d: an extra %q, in a description for example? Then put that field in quotes", len(rec.fields), rn.width, d))
				break
			}
		}
	}
	b.inv.Lines = append(b.inv.Lines, invoice.Line{})
	i := len(b.inv.Lines) - 1
	l := &b.inv.Lines[i]
	if insts := rn.evalScope(&rn.m.line, l, rec, res); insts != nil {
		for len(res.lineInsts) < i {
			res.lineInsts = append(res.lineInsts, nil)
		}
		res.lineInsts = append(res.lineInsts, insts)
	}
	if rn.m.autoID {
		l.ID = strconv.Itoa(i + 1)
	}
	res.rows = append(res.rows, rec.line)
	res.Lines[1] = rec.end
}

// evalScope fills dst (the invoice or a line) from rec and returns the group instances it
// created, per group.
func (rn *run) evalScope(sc *scope, dst any, rec *record, res *Result) map[string][]*instDef {
	for _, t := range sc.direct {
		if v := rn.eval(t, rec, res); v != nil {
			t.bt.set(dst, v)
		}
	}
	var created map[string][]*instDef
	for _, in := range sc.insts {
		// An instance exists when one of its column terms has a value (value= and const=
		// terms only complete it), or when all its terms are value= or const=.
		inst, has := in.g.new(), in.static
		for _, t := range in.terms {
			if v := rn.eval(t, rec, res); v != nil {
				t.bt.set(inst, v)
				has = has || t.static == nil
			}
		}
		if has {
			in.g.add(dst, inst)
			if created == nil {
				created = map[string][]*instDef{}
			}
			created[in.g.id] = append(created[in.g.id], in)
		}
	}
	return created
}

// eval returns the value of t on rec, or nil when it is absent or cannot be mapped (then a
// problem has been recorded). The value is only valid until the next call.
func (rn *run) eval(t *term, rec *record, res *Result) *value {
	if t.static != nil {
		return t.static
	}
	raw := field(rec, rn.cols[t.idx])
	literal := false
	if raw == "" && t.def != nil {
		raw, literal = *t.def, true
	}
	if raw == "" {
		if t.required {
			rn.problem(res, rec, t, RuleRequired,
				fmt.Sprintf("la colonne « %s » est vide, or %s est obligatoire", t.col.label(), nameFR(t.bt)),
				fmt.Sprintf("column %q is empty, but %s is required", t.col.label(), nameEN(t.bt)))
		}
		return nil
	}
	if t.lookedUp != nil {
		v, ok := t.lookedUp[raw]
		if !ok {
			keys := t.lookup.keys
			fr := "« " + strings.Join(keys, " », « ") + " »"
			en := `"` + strings.Join(keys, `", "`) + `"`
			rn.problem(res, rec, t, RuleLookup,
				fmt.Sprintf("« %s » n'est pas une valeur prévue pour %s ; valeurs connues du mapping (table « %s ») : %s", raw, nameFR(t.bt), t.lookup.name, fr),
				fmt.Sprintf("%q is not a value expected for %s; values the mapping knows (lookup %q): %s", raw, nameEN(t.bt), t.lookup.name, en))
			return nil
		}
		return v
	}
	v := &rn.v
	*v = value{s: raw, scheme: t.scheme}
	switch t.bt.kind {
	case kNumber:
		d, ok, why := parseNumber(raw, rn.m.src.decimal, percentLike(t.bt.id), literal)
		if !ok {
			fr, en := "un nombre est attendu, par exemple 1 234,56", "a number is expected, for example 1 234,56"
			if rn.m.src.decimal == '.' {
				fr, en = "un nombre est attendu, par exemple 1234.56", "a number is expected, for example 1234.56"
			}
			if why == "sep" {
				if rn.m.src.decimal == ',' {
					fr, en = "le séparateur décimal attendu est la virgule (1234,56)", "the decimal separator expected is a comma (1234,56)"
				} else {
					fr, en = "le séparateur décimal attendu est le point (1234.56)", "the decimal separator expected is a dot (1234.56)"
				}
			}
			rn.problem(res, rec, t, RuleNumber,
				fmt.Sprintf("« %s » n'est pas un nombre valide pour %s : %s", raw, nameFR(t.bt), fr),
				fmt.Sprintf("%q is not a valid number for %s: %s", raw, nameEN(t.bt), en))
			return nil
		}
		v.d = d
	case kDate:
		d, ok := t.date.parse(raw)
		if !ok {
			rn.problem(res, rec, t, RuleDate,
				fmt.Sprintf("« %s » n'est pas une date valide pour %s : format attendu %s", raw, nameFR(t.bt), layoutFR(t.date.text)),
				fmt.Sprintf("%q is not a valid date for %s: expected format %s", raw, nameEN(t.bt), t.date.text))
			return nil
		}
		v.date = d
	}
	return v
}

func nameFR(bt *btDef) string { return bt.fr + " (" + bt.id + ")" }
func nameEN(bt *btDef) string { return bt.en + " (" + bt.id + ")" }

func layoutFR(l string) string {
	return strings.NewReplacer("dd", "jj", "yyyy", "aaaa", "yy", "aa").Replace(l)
}

func (rn *run) problem(res *Result, rec *record, t *term, rule, fr, en string) {
	col := ""
	if t.col != nil {
		col = t.col.label()
	}
	res.Problems = append(res.Problems, Problem{
		Position: Position{File: rn.file, Line: rec.line, Column: col, MappingLine: t.line},
		BT:       t.bt.id, Rule: rule, FR: fr, EN: en,
	})
}

func (rn *run) rowProblem(res *Result, rec *record, col string, mline int, rule, fr, en string) {
	res.Problems = append(res.Problems, Problem{
		Position: Position{File: rn.file, Line: rec.line, Column: col, MappingLine: mline},
		Rule:     rule, FR: fr, EN: en,
	})
}

// finish completes the invoice and returns its result.
func (b *builder) finish() *Result {
	for i := range b.inv.Lines {
		l := &b.inv.Lines[i]
		deriveBase(l, l.Allowances)
		deriveBase(l, l.Charges)
	}
	// The only call site: line net amounts, allowance amounts from percentages, VAT
	// breakdown, totals. Complete never replaces a mapped value.
	invoice.Complete(b.inv)
	return b.res
}

// deriveBase gives a line allowance or charge stated as a bare percentage its base
// (BT-137/BT-142): quantity × net price / base quantity, rounded to the cent (BR-DEC-25/28).
// A legacy export states "remise 10 %", never the base; invoice.Complete then computes the
// amount (BT-136/BT-141) as base × percentage / 100.
func deriveBase(l *invoice.Line, acs []invoice.AllowanceCharge) {
	for j := range acs {
		a := &acs[j]
		if a.Amount != nil || a.Percentage == nil || a.BaseAmount != nil || l.Quantity == nil || l.Price.Net == nil {
			continue
		}
		base := l.Quantity.Mul(*l.Price.Net)
		if q := l.Price.BaseQuantity; q != nil {
			if q.Sign() <= 0 {
				continue
			}
			base = base.Div(*q)
		}
		a.BaseAmount = invoice.Ptr(base.Round(2))
	}
}

// Locate returns where the value behind a finding came from. path is an
// invoice.Violation.Path ("" for the document, "BG-25[2]" for the second line,
// "BG-25[2]/BG-27[1]", "BG-20[1]", …) and bt its business terms ("BT-29-1" counts as BT-29).
// The position is the source row of that line (the invoice's first row otherwise), with
// the column and the mapping line of the first term that maps one of bt there.
func (r *Result) Locate(path string, bt []string) Position {
	type where struct {
		terms []*term
		row   int
	}
	var scopes []where
	all := func(sc *scope) []*term {
		ts := slices.Clone(sc.direct)
		for _, in := range sc.insts {
			ts = append(ts, in.terms...)
		}
		return ts
	}
	first := r.Lines[0]
	pos := Position{File: r.file, Line: first}
	segs := strings.Split(path, "/")
	if g, n, ok := parseSeg(segs[0]); ok && g == "BG-25" && n >= 1 && n <= len(r.rows) {
		row := r.rows[n-1]
		pos.Line = row
		if len(segs) > 1 && n-1 < len(r.lineInsts) {
			if g2, k, ok := parseSeg(segs[1]); ok {
				if insts := r.lineInsts[n-1][g2]; k >= 1 && k <= len(insts) {
					scopes = append(scopes, where{insts[k-1].terms, row})
				}
			}
		}
		scopes = append(scopes, where{all(&r.m.line), row}, where{all(&r.m.head), first})
	} else {
		if g, k, ok := parseSeg(segs[0]); ok {
			if insts := r.docInsts[g]; k >= 1 && k <= len(insts) {
				scopes = append(scopes, where{insts[k-1].terms, first})
			}
		}
		scopes = append(scopes, where{all(&r.m.head), first}, where{all(&r.m.line), first})
	}
	find := func(id string) bool {
		for _, sc := range scopes {
			for _, t := range sc.terms {
				if t.bt.id == id {
					pos.Line, pos.MappingLine = sc.row, t.line
					if t.col != nil {
						pos.Column = t.col.label()
					}
					return true
				}
			}
		}
		return false
	}
	for _, id := range bt {
		if find(baseID(id)) {
			return pos
		}
	}
	// Computed terms: point at the source values they are computed from.
	for _, id := range bt {
		for _, src := range derivedFrom[baseID(id)] {
			if find(src) {
				return pos
			}
		}
	}
	return pos
}

var derivedFrom = map[string][]string{
	"BT-118": {"BT-151"}, "BT-119": {"BT-152"},
	"BT-131": {"BT-129", "BT-146"}, "BT-136": {"BT-138"}, "BT-141": {"BT-143"},
}

// baseID turns a scheme id (BT-29-1) into its term's id (BT-29).
func baseID(id string) string {
	if i := strings.LastIndexByte(id, '-'); i > 3 && strings.Count(id, "-") == 2 {
		return id[:i]
	}
	return id
}

// parseSeg reads "BG-25[2]".
func parseSeg(s string) (g string, n int, ok bool) {
	i := strings.IndexByte(s, '[')
	if i < 0 || !strings.HasSuffix(s, "]") {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1 : len(s)-1])
	if err != nil {
		return "", 0, false
	}
	return s[:i], n, true
}
