package mapping

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/beevik/etree"
	"github.com/shopspring/decimal"
	"golang.org/x/text/unicode/norm"

	"github.com/fluxgate/fluxgate/invoice"
)

// Options tune a Map call.
type Options struct {
	// Explain records, for every business term, its value and the transformations that gave
	// it (Result.Explain). It costs time and memory: fluxgate map --explain uses it, the
	// gateway does not.
	Explain bool
	// Notice, when set, receives what Map did or found that is no invoice's problem: each row
	// skipped by <skip> or skip-last, an XML path that matched nothing in the first records.
	Notice func(Notice)
}

// Map streams the export r (named name in messages) and calls emit once per invoice, in
// source order.
//
// Records with the same group-by value form one invoice (without group-by, a record of the
// invoice's header kind starts one; with a single record kind, each record is an invoice).
// Its header terms come from its first (header) record, and each record of the line kind
// gives one line. Records of an invoice must follow each other: only the current invoice is
// held in memory, so memory stays flat however long the file (Map keeps a hash of the keys
// already seen, 8 bytes and a line number per invoice, to detect a key that comes back; that
// row then gets a RuleGroup problem). With grouping="any" on <invoice>, records may come in
// any order: every invoice of the file is held until the end, so memory grows with the file
// (about the size of the export, decoded, plus 1 KB per line).
//
// Map returns a *FileError when the file's content cannot be mapped at all (the caller
// rejects the file), emit's error as is, or a wrapped read or context error (the caller
// retries later). Values that cannot be mapped are Problems of their invoice, not errors.
func (m *Mapping) Map(ctx context.Context, r io.Reader, name string, emit func(*Result) error) error {
	return m.MapWith(ctx, r, name, Options{}, emit)
}

type reader interface {
	next() (*record, error)
}

// MapWith is Map with options.
func (m *Mapping) MapWith(ctx context.Context, r io.Reader, name string, opt Options, emit func(*Result) error) error {
	if err := ctx.Err(); err != nil {
		return cancelled(name, 0, err)
	}
	rn := &run{m: m, file: name, width: -1, explain: opt.Explain}
	r, err := m.prepare(r, name)
	if err != nil {
		return err
	}
	var rd reader
	lineNo := func() int { return 0 }
	switch m.src.format {
	case "csv":
		c := newCSVReader(r, name, &m.src)
		lineNo = func() int { return c.lineNo }
		if err := c.skip(m.src.skip); err != nil {
			return err
		}
		rd = c
		if m.src.header {
			rec, err := c.next()
			if err == io.EOF {
				return &FileError{File: name, Line: c.lineNo + 1,
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
			rn.bindStatic()
		}
	case "fixed":
		f := newFixedReader(r, name, &m.src)
		lineNo = func() int { return f.lr.lineNo }
		if err := f.lr.skip(m.src.skip); err != nil {
			return err
		}
		rd = f
		rn.bindStatic()
	case "xml":
		x := newXMLReader(r, name, &m.src)
		lineNo = func() int { l, _ := x.dec.InputPos(); return l }
		rd = x
		n := len(m.refs)
		rn.paths = &pathWatch{used: make([]bool, n), hit: make([]bool, n), hint: make([]string, n)}
	}
	notice := opt.Notice
	if notice == nil {
		notice = func(Notice) {}
	}
	if m.src.skipLast > 0 {
		rd = &lastSkipper{rd: rd, n: m.src.skipLast, csv: m.src.format == "csv", dropped: func(rec *record) { notice(rn.skipNotice(rec, nil)) }}
	}

	seed := maphash.MakeSeed()
	var cur *bucket
	done := map[uint64]int{}    // consecutive: hash of key → last line of its emitted invoice
	var open map[string]*bucket // grouping="any"
	var order []*bucket         // grouping="any", in order of first record
	if m.anyOrder {
		open = map[string]*bucket{}
	}
	flush := func(b *bucket) error {
		if err := ctx.Err(); err != nil {
			return cancelled(name, b.last, err)
		}
		if err := emit(rn.build(b)); err != nil {
			return err
		}
		if w := rn.paths; w != nil && !w.done {
			if w.records += len(b.recs); w.records >= pathProbeRecords {
				rn.reportPaths(notice)
			}
		}
		return nil
	}
	for n := 0; ; n++ {
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return cancelled(name, lineNo(), err)
			}
		}
		rec, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if m.src.format == "csv" && blank(rec) {
			continue
		}
		if len(m.src.skips) > 0 {
			if sk := rn.skipOf(rec); sk != nil {
				notice(rn.skipNotice(rec, sk))
				continue
			}
		}
		if rec.kind < 0 {
			code := ""
			if len(rec.fields) > 0 {
				code = rec.fields[0]
			}
			if m.src.format == "csv" {
				code = field(rec, m.src.typeCol-1)
			}
			b := cur
			if m.anyOrder && len(order) > 0 {
				b = order[len(order)-1]
			}
			fr := fmt.Sprintf("le type d'enregistrement « %s » n'est pas déclaré par le mapping (types connus : %s)", code, rn.kindCodes())
			en := fmt.Sprintf("record type %q is not declared by the mapping (known types: %s)", code, rn.kindCodes())
			if b == nil {
				return &FileError{File: name, Line: rec.line, FR: fr, EN: en}
			}
			b.problems = append(b.problems, Problem{Position: Position{File: name, Line: rec.line, MappingLine: m.src.line}, Rule: RuleRecord, FR: fr, EN: en})
			continue
		}
		key, hasKey := "", false
		if m.key != nil {
			key, hasKey = rn.keyOf(rec)
		}
		var target *bucket
		switch {
		case m.key == nil:
			if cur == nil || rec.kind == m.headKind {
				if cur != nil {
					if err := flush(cur); err != nil {
						return err
					}
				}
				cur = &bucket{}
			}
			target = cur
		case !hasKey:
			// A record kind without the key field belongs to the invoice in hand.
			target = cur
			if m.anyOrder && len(order) > 0 {
				target = order[len(order)-1]
			}
			if target == nil {
				cur = &bucket{key: ""}
				target = cur
				if m.anyOrder {
					order = append(order, cur)
				}
			}
		case m.anyOrder:
			target = open[key]
			if target == nil {
				target = &bucket{key: key}
				open[key] = target
				order = append(order, target)
			}
			cur = target
		case cur != nil && key == cur.key && cur.keyed:
			target = cur
		default:
			if cur != nil {
				if cur.keyed {
					done[maphash.String(seed, cur.key)] = cur.last
				}
				if err := flush(cur); err != nil {
					return err
				}
			}
			cur = &bucket{key: key}
			target = cur
			if last, seen := done[maphash.String(seed, key)]; seen {
				target.problems = append(target.problems, rn.rowProblem(rec, m.key, m.keyLine, RuleGroup,
					fmt.Sprintf("les lignes de la facture « %s » reprennent ici alors qu'elles se sont arrêtées ligne %d : les lignes d'une même facture doivent se suivre dans le fichier (ou déclarez grouping=\"any\" sur <invoice> dans le mapping)", key, last),
					fmt.Sprintf("the rows of invoice %q start again here although they stopped at line %d: the rows of one invoice must follow each other in the file (or declare grouping=\"any\" on <invoice> in the mapping)", key, last)))
			}
		}
		if hasKey {
			target.keyed = true
			if key == "" && !target.emptyKey {
				target.emptyKey = true
				target.problems = append(target.problems, rn.rowProblem(rec, m.key, m.keyLine, RuleKey,
					fmt.Sprintf("la colonne « %s », qui identifie la facture, est vide : la ligne ne peut être rattachée à aucune facture", m.key.text),
					fmt.Sprintf("column %q, which identifies the invoice, is empty: the row cannot be attached to any invoice", m.key.text)))
			}
		}
		rn.checkWidth(target, rec)
		target.recs = append(target.recs, rec)
		target.last = rec.end
	}
	if cur != nil && !m.anyOrder {
		if err := flush(cur); err != nil {
			return err
		}
	}
	for _, b := range order {
		if err := flush(b); err != nil {
			return err
		}
	}
	rn.reportPaths(notice)
	return nil
}

// cancelled is the error of a Map stopped by its context: not a *FileError, the file is
// not at fault.
func cancelled(file string, line int, err error) error {
	return fmt.Errorf("%s: mapping stopped at line %d: %w", file, line, err)
}

// bucket gathers the records of one invoice.
type bucket struct {
	key      string
	keyed    bool // a record gave the key
	emptyKey bool
	recs     []*record
	last     int
	problems []Problem
}

// run is the state of one Map call.
type run struct {
	m       *Mapping
	file    string
	slots   []slot // field index of each reference (by fieldRef.id) per record kind
	width   int    // number of header columns, -1 without header
	explain bool
	c       evalCtx    // reused by each evaluation
	paths   *pathWatch // xml: which paths matched in the first records
}

type slot struct{ idx, decimals int }

func (rn *run) slot(kind, id int) slot {
	if kind < 0 || rn.slots == nil {
		return slot{idx: -1}
	}
	return rn.slots[kind*len(rn.m.refs)+id]
}

func (rn *run) kindCodes() string {
	var codes []string
	for _, k := range rn.m.src.kinds {
		codes = append(codes, fmt.Sprintf("%s (%s)", k.code, k.name))
	}
	return strings.Join(codes, ", ")
}

// keyOf returns the record's group-by value; has is false when its kind has no such field.
func (rn *run) keyOf(rec *record) (string, bool) {
	r := rn.m.key
	if r.path != nil {
		el := rec.el.FindElementPath(*r.path)
		if el == nil {
			return "", true
		}
		if r.attr != "" {
			return strings.TrimSpace(el.SelectAttrValue(r.attr, "")), true
		}
		return strings.TrimSpace(el.Text()), true
	}
	sl := rn.slot(rec.kind, r.id)
	if sl.idx < 0 {
		return "", false
	}
	return field(rec, sl.idx), true
}

// bindStatic resolves field names of sources whose fields the mapping declares (or numbers).
func (rn *run) bindStatic() {
	m := rn.m
	rn.slots = make([]slot, len(m.src.kinds)*len(m.refs))
	for _, k := range m.src.kinds {
		for _, r := range m.refs {
			s := slot{idx: -1}
			if i, ok := k.byName[r.name]; ok {
				s = slot{idx: i, decimals: k.fields[i].decimals}
				if m.src.format == "csv" {
					s.idx = k.fields[i].col - 1
				}
			} else if m.src.format == "csv" && len(k.fields) == 0 {
				if n, err := strconv.Atoi(r.name); err == nil {
					s.idx = n - 1
				}
			}
			rn.slots[k.idx*len(m.refs)+r.id] = s
		}
	}
}

// bind resolves column names against the header row.
func (rn *run) bind(rec *record) error {
	m := rn.m
	index := make(map[string]int, len(rec.fields))
	names := make([]string, 0, len(rec.fields))
	for i, f := range rec.fields {
		f = strings.TrimSpace(f)
		names = append(names, visible(f))
		if _, dup := index[f]; !dup {
			index[f] = i
		}
	}
	rn.width = len(rec.fields)
	rn.slots = make([]slot, len(m.refs))
	var missing []string
	lines := map[string][]int{} // mapping lines using each missing column
	for _, r := range m.refs {
		i, ok := index[r.name]
		if !ok {
			i = -1
			if !slices.Contains(missing, r.name) {
				missing = append(missing, r.name)
			}
			if !slices.Contains(lines[r.name], r.line) {
				lines[r.name] = append(lines[r.name], r.line)
			}
		}
		rn.slots[r.id] = slot{idx: i}
	}
	if len(missing) == 0 {
		return nil
	}
	var fr, en, nearFR, nearEN []string
	for _, col := range missing {
		ls := make([]string, len(lines[col]))
		for i, l := range lines[col] {
			ls[i] = strconv.Itoa(l)
		}
		word := "line"
		if len(ls) > 1 {
			word = "lines"
		}
		f := fmt.Sprintf("« %s » (ligne%s %s du mapping)", col, strings.TrimPrefix(word, "line"), strings.Join(ls, ", "))
		e := fmt.Sprintf("%q (mapping %s %s)", col, word, strings.Join(ls, ", "))
		nf, ne := "", ""
		if near := nearest(col, names); near != "" {
			nf, ne = fmt.Sprintf(" : vouliez-vous dire « %s » ?", near), fmt.Sprintf(": did you mean %q?", near)
		}
		fr, en = append(fr, f+nf), append(en, e+ne)
		nearFR, nearEN = append(nearFR, nf), append(nearEN, ne)
	}
	present := strings.Join(names, ", ")
	fe := &FileError{File: rn.file, Line: rec.line, Column: missing[0], MappingLine: lines[missing[0]][0]}
	if len(missing) == 1 {
		f, e := strings.TrimSuffix(fr[0], nearFR[0]), strings.TrimSuffix(en[0], nearEN[0])
		end := "."
		if nearEN[0] != "" {
			end = ""
		}
		fe.FR = fmt.Sprintf("la colonne %s est absente de la ligne d'en-tête%s%s Colonnes présentes : %s", f, nearFR[0], end, present)
		fe.EN = fmt.Sprintf("column %s is missing from the header row%s%s Columns present: %s", e, nearEN[0], end, present)
		return fe
	}
	fe.FR = fmt.Sprintf("des colonnes utilisées par le mapping sont absentes de la ligne d'en-tête : %s. Colonnes présentes : %s", strings.Join(fr, " ; "), present)
	fe.EN = fmt.Sprintf("columns the mapping uses are missing from the header row: %s. Columns present: %s", strings.Join(en, "; "), present)
	return fe
}

// nearest returns the name among names that col most likely means (the same letters
// without accents, case or punctuation, or one or two letters apart), "" for none.
func nearest(col string, names []string) string {
	key := foldName(col)
	best, bestD := "", 3
	for _, n := range names {
		k := foldName(n)
		if k == "" {
			continue
		}
		d := editDistance(key, k)
		if limit := max(1, min(len(key), len(k))/4); d <= limit && d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// foldName is a column name without accents, case, spaces or punctuation: "N° pièce" and
// "no piece" fold alike.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'œ':
			b.WriteString("oe")
		case r == 'æ':
			b.WriteString("ae")
		case r == '°' || r == 'º':
			b.WriteByte('o')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance between a and b, in characters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := prev[j-1]
			if ra[i-1] != rb[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func (rn *run) checkWidth(b *bucket, rec *record) {
	if rn.width < 0 || len(rec.fields) <= rn.width {
		return
	}
	for _, f := range rec.fields[rn.width:] {
		if strings.TrimSpace(f) != "" {
			d := string(rn.m.src.delim)
			b.problems = append(b.problems, rn.rowProblem(rec, nil, 0, RuleColumns,
				fmt.Sprintf("la ligne compte %d champs alors que l'en-tête en a %d : un « %s » de trop, dans une désignation par exemple ? Entourez alors ce champ de guillemets", len(rec.fields), rn.width, d),
				fmt.Sprintf("the row has %d fields but the header has %d: an extra %q, in a description for example? Then put that field in quotes", len(rec.fields), rn.width, d)))
			return
		}
	}
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

// assign is one evaluated term: where its value came from, and where it went in the
// invoice.
type assign struct {
	line   int // BG-25 index, -1 for the document
	inst   int // 1-based index of the group instance, 0 outside groups
	t      *term
	rec    *record        // the record the scope read
	el     *etree.Element // xml: the scope's element
	org    origin
	hasOrg bool
	has    bool // the term got a value
	x      *explained
}

// explained is what Options.Explain keeps of an assignment.
type explained struct {
	val   string
	steps []string
}

// build maps the records of one invoice.
func (rn *run) build(b *bucket) *Result {
	m := rn.m
	inv := &invoice.Invoice{}
	res := &Result{Invoice: inv, Key: b.key, Lines: [2]int{b.recs[0].line, b.last}, m: m, rn: rn, file: rn.file, Problems: b.problems}
	head := b.recs[0]
	if head.kind != m.headKind {
		head = nil
		for _, r := range b.recs {
			if r.kind == m.headKind {
				head = r
				break
			}
		}
		if head == nil {
			head = b.recs[0]
			k := m.src.kinds[m.headKind]
			res.Problems = append(res.Problems, Problem{Position: Position{File: rn.file, Line: head.line, MappingLine: m.invLine}, Rule: RuleRecord,
				FR: fmt.Sprintf("la facture n'a pas d'enregistrement « %s » (type %s) : ses données d'en-tête manquent", k.name, k.code),
				EN: fmt.Sprintf("the invoice has no %q record (type %s): its header data is missing", k.name, k.code)})
		}
	}
	res.first = head
	res.assigns = make([]assign, 0, rn.m.headTerms+len(b.recs)*rn.m.lineTerms)
	rn.evalScope(m.head, inv, -1, head, head.el, res, b.recs)
	if m.key == nil {
		res.Key = inv.Number
	}
	for _, rec := range b.recs {
		if m.line.kind >= 0 && rec.kind != m.line.kind {
			continue
		}
		els := []*etree.Element{rec.el}
		if m.line.sel != nil && rec.el != nil {
			els = rec.el.FindElementsPath(*m.line.sel)
			if w := rn.paths; w != nil && !w.done {
				if !w.lineUsed {
					w.lineUsed, w.lineHint = true, pathHint(rec.el, m.line.selTxt)
				}
				w.lineHit = w.lineHit || len(els) > 0
			}
		}
		for _, el := range els {
			inv.Lines = append(inv.Lines, invoice.Line{})
			i := len(inv.Lines) - 1
			l := &inv.Lines[i]
			rn.evalScope(m.line, l, i, rec, el, res, nil)
			if m.autoID {
				l.ID = strconv.Itoa(i + 1)
			}
			res.rows = append(res.rows, rec)
		}
	}
	slices.SortStableFunc(res.Problems, func(a, b Problem) int { return a.Position.Line - b.Position.Line })
	res.Problems = dedupe(res.Problems)
	rn.finish(res)
	return res
}

// evalScope fills dst (the invoice, or line li) from rec (and el); recs are the invoice's
// records, for groups and terms that read another kind of record.
func (rn *run) evalScope(sc *scope, dst any, li int, rec *record, el *etree.Element, res *Result, recs []*record) {
	for _, t := range sc.direct {
		r, e := rec, el
		if t.kind >= 0 && t.kind != rec.kind {
			r, e = nil, nil
			for _, x := range recs {
				if x.kind == t.kind {
					r, e = x, x.el
					break
				}
			}
		}
		if v := rn.eval(t, r, e, res, li, 0); v != nil {
			t.bt.set(dst, v)
		}
	}
	for _, in := range sc.insts {
		type ctx struct {
			rec *record
			el  *etree.Element
		}
		var ctxs []ctx
		if in.kind >= 0 {
			for _, x := range recs {
				if x.kind == in.kind {
					ctxs = append(ctxs, ctx{x, x.el})
				}
			}
		} else {
			ctxs = []ctx{{rec, el}}
		}
		if in.sel != nil {
			var sub []ctx
			for _, c := range ctxs {
				if c.el != nil {
					for _, e := range c.el.FindElementsPath(*in.sel) {
						sub = append(sub, ctx{c.rec, e})
					}
				}
			}
			ctxs = sub
		}
		for _, c := range ctxs {
			inst, has := in.g.new(), in.static
			mark := len(res.assigns)
			for _, t := range in.terms {
				if v := rn.eval(t, c.rec, c.el, res, li, 0); v != nil {
					t.bt.set(inst, v)
					has = has || t.static == nil
				}
			}
			if !has {
				res.assigns = res.assigns[:mark]
				continue
			}
			in.g.add(dst, inst)
			n := groupCount(in.g.id, dst)
			for i := mark; i < len(res.assigns); i++ {
				res.assigns[i].inst = n
			}
		}
	}
}

// eval returns the value of t on rec (nil: absent, or not mappable, a problem then being
// recorded) and records where it came from.
func (rn *run) eval(t *term, rec *record, el *etree.Element, res *Result, li, inst int) *value {
	a := assign{line: li, inst: inst, t: t, rec: rec, el: el}
	if t.static != nil {
		a.has = true
		if rn.explain {
			a.x = &explained{val: t.static.text(t.bt)}
			if le, ok := t.x.(*litExpr); ok && le.name != "" {
				a.x.steps = []string{fmt.Sprintf("constant %s", le.name)}
			} else {
				a.x.steps = []string{"value written in the mapping"}
			}
			if t.lookup != nil {
				a.x.steps = append(a.x.steps, "lookup "+t.lookup.name)
			}
		}
		res.assigns = append(res.assigns, a)
		return t.static
	}
	if rec == nil {
		res.assigns = append(res.assigns, a)
		return nil
	}
	c := &rn.c
	*c = evalCtx{rn: rn, res: res, t: t, rec: rec, el: el, explain: rn.explain}
	v := rn.evalTerm(t, c)
	a.org, a.hasOrg, a.has = c.org, c.hasOrg, v != nil
	if rn.explain {
		a.x = &explained{steps: c.steps}
		if v != nil {
			a.x.val = v.text(t.bt)
		}
	}
	res.assigns = append(res.assigns, a)
	return v
}

func (rn *run) evalTerm(t *term, c *evalCtx) *value {
	v := rn.evalValue(t, c)
	if v == nil || t.schemeOf == nil {
		return v
	}
	s, _ := (&fieldExpr{ref: t.schemeOf}).eval(c)
	if s = strings.TrimSpace(s); s == "" {
		return v // scheme= (if any) stands in for an empty scheme column
	}
	if i := controlAt(s); i >= 0 {
		rn.controlProblem(c, s, i)
		return nil
	}
	cp := *v // lookup results are shared: never change them
	cp.scheme = s
	return &cp
}

// evalValue is the value of t before its scheme is read from the source.
func (rn *run) evalValue(t *term, c *evalCtx) *value {
	var raw string
	var computed *decimal.Decimal // a number term given by a computation: no text to read back
	if nx, ok := t.x.(numExpr); ok && t.bt.kind == kNumber && t.lookedUp == nil {
		d, has, ok := nx.num(c)
		if !ok {
			return nil
		}
		if has {
			computed, raw = &d, d.String()
		}
	} else {
		s, ok := t.x.eval(c)
		if !ok {
			return nil
		}
		raw = s
	}
	raw = strings.TrimSpace(raw)
	if i := controlAt(raw); i >= 0 {
		rn.controlProblem(c, raw, i)
		return nil
	}
	literal := false
	if raw == "" && t.def != nil {
		raw, literal = *t.def, true
		if c.explain {
			c.step("empty → default %q", raw)
		}
	}
	if raw == "" {
		if t.required {
			label := ""
			if t.ref != nil {
				label = t.ref.text
			}
			switch {
			case rn.m.src.format == "xml" && c.absent:
				rn.problem(c, RuleRequired,
					fmt.Sprintf("le chemin %s ne trouve aucun élément dans cet enregistrement, alors que la valeur est obligatoire (%s) : l'élément manque, ou le chemin du mapping est faux", label, termFR(t.bt)),
					fmt.Sprintf("the path %s matches no element in this record, but %s is required: the element is missing, or the mapping's path is wrong", label, nameEN(t.bt)))
			case rn.m.src.format == "xml":
				rn.problem(c, RuleRequired,
					fmt.Sprintf("l'élément %s est vide, alors que la valeur est obligatoire (%s)", label, termFR(t.bt)),
					fmt.Sprintf("element %s is empty, but %s is required", label, nameEN(t.bt)))
			default:
				rn.problem(c, RuleRequired,
					fmt.Sprintf("la colonne « %s » est vide, alors que la valeur est obligatoire (%s)", label, termFR(t.bt)),
					fmt.Sprintf("column %q is empty, but %s is required", label, nameEN(t.bt)))
			}
		}
		return nil
	}
	if t.lookedUp != nil {
		var v *value
		f := numFmt{dec: rn.m.src.decimal, thou: rn.m.src.thousands}
		if literal {
			f = literalNumbers
		}
		key, ok := t.lookup.match(raw, f)
		if ok {
			v = t.lookedUp[key]
		}
		if !ok && t.lookup.otherwise != nil {
			v, _ = t.read(*t.lookup.otherwise, true)
			ok = v != nil
		}
		if !ok {
			c.unknownKey(t.lookup, raw)
			return nil
		}
		if c.explain {
			c.step("lookup %s: %q → %q", t.lookup.name, raw, v.s)
		}
		return v
	}
	v := &value{s: raw, scheme: t.scheme}
	if t.attach != nil {
		att, en, fr := t.attach.read(raw)
		if att == nil {
			rn.problem(c, RuleAttachment,
				fmt.Sprintf("le document ne peut pas être joint (%s) : %s", termFR(t.bt), fr),
				fmt.Sprintf("%s cannot be attached: %s", nameEN(t.bt), en))
			return nil
		}
		v.att = att
		if c.explain {
			c.step("attached %s (%s, %d bytes)", att.Filename, att.MIMEType, len(att.Content))
		}
	}
	switch t.bt.kind {
	case kNumber:
		if computed != nil {
			v.d = *computed
			break
		}
		f := t.num
		f.literal = literal
		d, ok, why := parseNumberFmt(raw, f)
		if !ok {
			fr, en := "un nombre est attendu, par exemple 1 234,56", "a number is expected, for example 1 234,56"
			if f.dec == '.' {
				fr, en = "un nombre est attendu, par exemple 1234.56", "a number is expected, for example 1234.56"
			}
			if why == "sep" {
				if f.dec == ',' {
					fr, en = "le séparateur décimal attendu est la virgule (1234,56)", "the decimal separator expected is a comma (1234,56)"
				} else {
					fr, en = "le séparateur décimal attendu est le point (1234.56)", "the decimal separator expected is a dot (1234.56)"
				}
			}
			rn.problem(c, RuleNumber,
				fmt.Sprintf("« %s » n'est pas un nombre valide (%s) : %s", raw, termFR(t.bt), fr),
				fmt.Sprintf("%q is not a valid number for %s: %s", raw, nameEN(t.bt), en))
			return nil
		}
		v.d = d
		if c.explain {
			c.step("number (decimal %q) → %s", string(f.dec), d.String())
		}
	case kDate:
		d, ok := t.date.parse(raw)
		if e := t.date.why(raw); e != nil {
			rn.problem(c, RuleDate,
				fmt.Sprintf("la date « %s » n'existe pas : %s (%s)", raw, e.fr, termFR(t.bt)),
				fmt.Sprintf("the date %q does not exist: %s (%s, %s)", raw, e.en, t.bt.en, t.bt.id))
			return nil
		}
		if !ok {
			rn.problem(c, RuleDate,
				fmt.Sprintf("« %s » n'est pas une date au format attendu, %s (%s)", raw, layoutFR(t.date.text), termFR(t.bt)),
				fmt.Sprintf("%q is not a valid date for %s: expected format %s", raw, nameEN(t.bt), t.date.text))
			return nil
		}
		v.date = d
		if c.explain {
			c.step("date %s → %s", t.date.text, d.ISO())
		}
	}
	return v
}

// text is the value as explain shows it.
func (v *value) text(bt *btDef) string {
	switch bt.kind {
	case kNumber:
		return v.d.String()
	case kDate:
		return v.date.ISO()
	}
	if v.scheme != "" {
		return v.s + " (scheme " + v.scheme + ")"
	}
	return v.s
}

// termFR names a term in a parenthesis of a French sentence ("quantité facturée, BT-129"):
// a name without its article cannot stand in the sentence itself.
func termFR(bt *btDef) string { return bt.fr + ", " + bt.id }
func nameEN(bt *btDef) string { return bt.en + " (" + bt.id + ")" }

func layoutFR(l string) string {
	return strings.NewReplacer("dd", "jj", "yyyy", "aaaa", "yy", "aa").Replace(l)
}

// position is where origin o was read; rec and el are the scope's record and element when
// no field was read.
func (rn *run) position(o origin, has bool, rec *record, el *etree.Element) Position {
	p := Position{File: rn.file}
	if has && o.rec != nil {
		rec = o.rec
	}
	if rec == nil {
		return p
	}
	p.Line = rec.line
	if rec.x != nil {
		at := el
		if has && o.el != nil {
			at = o.el
		}
		if at != nil {
			if l, ok := rec.x.lines[at]; ok {
				p.Line = l
			}
			p.Column = rec.x.elemPath(rec.el, at)
		} else {
			p.Column = rec.x.path
		}
		if has && o.ref != nil {
			switch {
			case o.el == nil:
				p.Column += "/" + o.ref.text
			case o.ref.attr != "":
				p.Column += "/@" + o.ref.attr
			}
		}
		return p
	}
	if !has || o.ref == nil {
		return p
	}
	p.Column = o.ref.name
	if rn.m.src.format == "fixed" && rec.kind >= 0 {
		k := rn.m.src.kinds[rec.kind]
		if i, ok := k.byName[o.ref.name]; ok {
			f := k.fields[i]
			p.Column = fmt.Sprintf("%s (%d-%d)", f.name, f.start, f.start+f.length-1)
		}
	}
	return p
}

func (rn *run) problem(c *evalCtx, rule, fr, en string) {
	pos := rn.position(c.org, c.hasOrg, c.rec, c.el)
	pos.MappingLine = c.t.line
	if !c.hasOrg && c.t.ref != nil && pos.Column == "" {
		pos.Column = c.t.ref.text
	}
	c.res.Problems = append(c.res.Problems, Problem{Position: pos, BT: c.t.bt.id, Rule: rule, FR: fr, EN: en})
}

func (rn *run) rowProblem(rec *record, ref *fieldRef, mline int, rule, fr, en string) Problem {
	pos := Position{File: rn.file, Line: rec.line, MappingLine: mline}
	if ref != nil {
		pos = rn.position(origin{rec: rec, ref: ref}, true, rec, rec.el)
		pos.MappingLine = mline
		if rec.x != nil {
			pos.Column = rec.x.path + "/" + ref.text
		}
	}
	return Problem{Position: pos, Rule: rule, FR: fr, EN: en}
}
