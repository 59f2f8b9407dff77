package mapping

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Rows that are not invoices: the <skip> elements of <source> (a totals row, a trailer
// record, a row matching a pattern) and skip-last="N" (the last N records of the file). A
// skipped row is never silent: Map reports each one as a Notice (RuleSkip).

// Rule ids of notices.
const (
	RuleSkip = "FG-MAP-SKIP" // a row the mapping skips (<skip>, skip-last)
	RulePath = "FG-MAP-PATH" // an XML path of the mapping that matched nothing in the first records
)

// Notice is something Map did or found that is not a problem of one invoice: a row it
// skipped as the mapping says, an XML path that matched nothing in the first records. The
// caller shows notices (the gateway logs them and lists them in the ack) but rejects nothing.
type Notice struct {
	Position Position
	Rule     string
	FR, EN   string
}

// Message returns the message in lang ("fr" by default, "en").
func (n Notice) Message(lang string) string {
	if lang == "en" {
		return n.EN
	}
	return n.FR
}

func (n Notice) String() string { return fmt.Sprintf("%s: %s: %s", n.Position, n.Rule, n.EN) }

// skipDef is one <skip>: records of a kind (record= or type=), and/or those whose value
// passes every test.
type skipDef struct {
	line  int
	kind  int    // -1: any kind
	code  string // type code of records the mapping does not declare (a trailer)
	ref   *fieldRef
	conds []cond
	text  string // the value tested, for notices: column "Designation"
	textF string // the same in French: colonne « Designation »
}

// skip reads <skip record="…" type="…" column="…" equals="…" …/>.
func (l *loader) skip(n *node) {
	s := &l.m.src
	a := l.attrs(n, "record", "type", "column", "field", "path", "equals", "not-equals", "in", "matches", "empty")
	l.noText(n)
	sk := &skipDef{line: n.line, kind: -1}
	if r, ok := a["record"]; ok {
		if sk.kind = l.kindByName(n.line, r); sk.kind < 0 {
			return
		}
	}
	if t, ok := a["type"]; ok {
		if s.typeCol == 0 && s.typeStart == 0 {
			l.errorf(n.line, "<skip type=%q> needs records told apart by a type code (type-column, or type-start)", t)
			return
		}
		if _, hasRec := a["record"]; hasRec {
			l.errorf(n.line, "<skip> takes record=\"…\" (a declared record) or type=\"…\" (a type code), not both")
			return
		}
		sk.code = t
		for _, k := range s.kinds {
			if k.code == t {
				sk.kind, sk.code = k.idx, ""
			}
		}
	}
	var subj []string
	for _, x := range []string{"column", "field", "path"} {
		if _, ok := a[x]; ok {
			subj = append(subj, x)
		}
	}
	switch {
	case len(subj) > 1:
		l.errorf(n.line, "<skip> tests one value: give one of column, field or path")
		return
	case len(subj) == 1:
		if sk.code != "" {
			l.errorf(n.line, "<skip type=%q> skips records the mapping does not declare: their fields cannot be tested", sk.code)
			return
		}
		if sk.ref = l.ref(n.line, a[subj[0]], sk.kind); sk.ref == nil {
			return
		}
		sk.text = fmt.Sprintf("%s %q", subj[0], a[subj[0]])
		sk.textF = fmt.Sprintf("%s « %s »", map[string]string{"column": "la colonne", "field": "le champ", "path": "le chemin"}[subj[0]], a[subj[0]])
	}
	conds, ok := l.conds(n.line, a, []string{"equals", "not-equals", "in", "matches", "empty"})
	if !ok {
		return
	}
	sk.conds = conds
	switch {
	case sk.ref != nil && len(conds) == 0:
		l.errorf(n.line, "<skip %s> needs a test: equals, not-equals, in, matches or empty=\"true\"", sk.text)
		return
	case sk.ref == nil && len(conds) > 0:
		l.errorf(n.line, "<skip> tests a value: give column=\"…\" (or field, path) with its test")
		return
	case sk.ref == nil && sk.kind < 0 && sk.code == "":
		l.errorf(n.line, "<skip> needs what it skips: record=\"…\", type=\"…\", or a value and its test (column=\"…\" empty=\"true\", matches=\"…\", …)")
		return
	}
	s.skips = append(s.skips, sk)
}

// conds reads the tests of a <when> or a <skip> among ops.
func (l *loader) conds(line int, a map[string]string, ops []string) ([]cond, bool) {
	var out []cond
	for _, op := range ops {
		v, ok := a[op]
		if !ok {
			continue
		}
		c := cond{op: op, arg: v}
		switch op {
		case "in":
			c.set = strings.Split(v, "|")
			for i := range c.set {
				c.set[i] = strings.TrimSpace(c.set[i])
			}
		case "matches":
			re, err := regexp.Compile(v)
			if err != nil {
				l.errorf(line, "matches=%q is not a regular expression: %v", v, err)
				return nil, false
			}
			c.re = re
		case "empty", "negative":
			b, err := strconv.ParseBool(v)
			if err != nil {
				l.errorf(line, "%s=%q must be true or false", op, v)
				return nil, false
			}
			c.want = b
		}
		out = append(out, c)
	}
	return out, true
}

// skipOf returns the <skip> that rec matches, nil for none.
func (rn *run) skipOf(rec *record) *skipDef {
	for _, sk := range rn.m.src.skips {
		if sk.code != "" {
			if rec.kind < 0 && rn.typeCode(rec) == sk.code {
				return sk
			}
			continue
		}
		if sk.kind >= 0 && rec.kind != sk.kind {
			continue
		}
		if sk.ref == nil {
			return sk
		}
		var s string
		if sk.ref.path != nil {
			if rec.el == nil {
				continue
			}
			c := &evalCtx{rn: rn, rec: rec, el: rec.el}
			s, _ = (&fieldExpr{ref: sk.ref}).eval(c)
		} else {
			sl := rn.slot(rec.kind, sk.ref.id)
			if sl.idx < 0 {
				continue // a kind without that field: the test is not about it
			}
			s = field(rec, sl.idx)
			if sl.decimals > 0 && s != "" {
				s = impliedDecimals(s, sl.decimals, rn.m.src.decimal)
			}
		}
		if holdsAll(sk.conds, strings.TrimSpace(s), rn) {
			return sk
		}
	}
	return nil
}

// typeCode is the type code of a record of a typed source.
func (rn *run) typeCode(rec *record) string {
	if rn.m.src.format == "csv" {
		return field(rec, rn.m.src.typeCol-1)
	}
	if len(rec.fields) > 0 {
		return rec.fields[0]
	}
	return ""
}

// skipNotice is the notice of a record skipped by sk (nil: by skip-last).
func (rn *run) skipNotice(rec *record, sk *skipDef) Notice {
	pos := Position{File: rn.file, Line: rec.line}
	var fr, en string
	switch {
	case sk == nil:
		pos.MappingLine = rn.m.src.line
		if n := rn.m.src.skipLast; n == 1 {
			fr = fmt.Sprintf("ligne %d ignorée : c'est la dernière du fichier (skip-last)", rec.line)
			en = fmt.Sprintf("line %d skipped: it is the last of the file (skip-last)", rec.line)
		} else {
			fr = fmt.Sprintf("ligne %d ignorée : elle est parmi les %d dernières du fichier (skip-last)", rec.line, n)
			en = fmt.Sprintf("line %d skipped: it is one of the last %d of the file (skip-last)", rec.line, n)
		}
	case sk.ref == nil:
		pos.MappingLine = sk.line
		whatFR, whatEN := "de type "+sk.code, "of type "+sk.code
		if sk.kind >= 0 {
			k := rn.m.src.kinds[sk.kind]
			whatFR, whatEN = "« "+k.name+" »", fmt.Sprintf("%q", k.name)
			if k.code != "" {
				whatFR += " (type " + k.code + ")"
				whatEN += " (type " + k.code + ")"
			}
		}
		fr = fmt.Sprintf("ligne %d ignorée : enregistrement %s (<skip> de la ligne %d du mapping)", rec.line, whatFR, sk.line)
		en = fmt.Sprintf("line %d skipped: record %s (<skip> at mapping line %d)", rec.line, whatEN, sk.line)
	default:
		pos.MappingLine = sk.line
		pos.Column = sk.ref.text
		fr = fmt.Sprintf("ligne %d ignorée : %s remplit la condition du <skip> de la ligne %d du mapping", rec.line, sk.textF, sk.line)
		en = fmt.Sprintf("line %d skipped: %s meets the test of the <skip> at mapping line %d", rec.line, sk.text, sk.line)
	}
	return Notice{Position: pos, Rule: RuleSkip, FR: fr, EN: en}
}

// lastSkipper holds back the last n non-blank records of a source (skip-last="n"): they are
// read, never mapped, and given to dropped at the end of the file.
type lastSkipper struct {
	rd      reader
	n       int
	csv     bool
	held    []*record
	dropped func(*record)
}

func (s *lastSkipper) next() (*record, error) {
	for len(s.held) <= s.n {
		rec, err := s.rd.next()
		if err == io.EOF {
			for _, r := range s.held {
				s.dropped(r)
			}
			s.held = nil
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		if s.csv && blank(rec) {
			continue
		}
		s.held = append(s.held, rec)
	}
	rec := s.held[0]
	s.held = s.held[1:]
	return rec, nil
}
