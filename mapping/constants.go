package mapping

import (
	"strings"
)

// The <constants> element: values a site states once, which terms (const="…"), expressions
// (<const name="…"/>) and <when const="…"> read by name.

func (l *loader) constants(n *node) {
	l.attrs(n)
	l.noText(n)
	for _, k := range n.kids {
		if k.name.Space != Namespace || k.name.Local != "constant" {
			l.errorf(k.line, "unknown element <%s> in <constants> (expected <constant name=\"…\">value</constant>)", k.name.Local)
			continue
		}
		a := l.attrs(k, "name")
		name := a["name"]
		if name == "" {
			l.errorf(k.line, "<constant> needs a name")
			continue
		}
		if len(k.kids) > 0 {
			l.errorf(k.line, "<constant name=%q> holds text only", name)
		}
		if _, dup := l.m.consts[name]; dup {
			l.errorf(k.line, "constant %q is defined twice", name)
			continue
		}
		l.m.consts[name] = strings.TrimSpace(k.text.String())
	}
}
