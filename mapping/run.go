package mapping

import (
	"context"
	"fmt"
	"io"
	"strings"
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
		lineNo = func() int { return x.sc.line }
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

	var cur *bucket
	done := newEmittedKeys()    // consecutive: the keys of the invoices emitted
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
					done.add(cur.key, cur.last)
				}
				if err := flush(cur); err != nil {
					return err
				}
			}
			cur = &bucket{key: key}
			target = cur
			if last, seen := done.lastLine(key); seen {
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
	c       evalCtx      // reused by each evaluation
	paths   *pathWatch   // xml: which paths matched in the first records
	lines   []lineSource // the lines of the invoice being built
	sel     []*xmlNode   // xml: the elements <line select=> chose in a record
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
		el := r.path.first(rec.x, rec.el)
		if el == nil {
			return "", true
		}
		if r.attr != "" {
			v, _ := r.attrOf(rec.x, el)
			return strings.TrimSpace(v), true
		}
		return strings.TrimSpace(rec.x.text(el)), true
	}
	sl := rn.slot(rec.kind, r.id)
	if sl.idx < 0 {
		return "", false
	}
	return field(rec, sl.idx), true
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
