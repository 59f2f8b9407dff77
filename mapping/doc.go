// Package mapping turns the files that accounting software exports (CSV, fixed-width, XML)
// into EN 16931 invoices (invoice.Invoice), driven by an XML mapping written by an
// integrator (namespace urn:fluxgate:mapping:1; reference: docs/mapping.md; schema:
// xsd/mapping.xsd).
//
// A mapping has a <source> (format, encoding, separators, record kinds and their fields or
// paths), <constants> a site states once, <lookup> tables (inline or from a CSV file) and an
// <invoice> template: how records group into invoices (group-by, grouping="any", the header
// record), the invoice's <term bt="BT-n"> elements, repeatable <group bg="BG-n"> elements
// (one instance per record of a kind, or per XML element select= chooses), and the <line>
// whose terms make each invoice line. A term's value comes from a column, field or path, a
// literal, a constant, or an expression (concat, first, substring, trim, pad, upper, lower,
// capitalize, replace, lookup, choose/when/otherwise), then default=, lookup= and the term's
// own reading of numbers (decimal, thousands, implied decimals) and dates (any layout).
//
// Load and Parse refuse a mapping with mistakes, listing each as "file:line: what is wrong"
// (*LoadError). Map streams an export and emits one Result per invoice: the invoice,
// completed by invoice.Complete (line net amounts, VAT breakdown, totals) after the mapping's
// own computations (bases of bare percentages, negative invoices turned into credit notes
// with negative="credit-note", exemption reasons of computed VAT breakdowns), its Problems
// (values that could not be mapped), and the lineage of every value: Result.Locate gives the
// source position (file, line, column or XML path) and the mapping line behind a finding,
// and with Options.Explain, Result.Explain tells the story of every business term.
//
// Each part of the mapping language has its own file, holding what is read from the mapping
// and the parser that reads it, so that a construct is added in one place: load.go (the
// document, <mapping>, LoadError), source.go (<source>), records.go (<record>, <field> and
// references to source values), constants.go, lookups.go, scopes.go (<invoice>, <line>,
// <group>, <exemption>), terms.go (<term>) and expr.go (expressions, read and evaluated).
// businessterms.go is the table of the model's business terms a <term> may fill. Mapping an
// export: map.go (Result, Problem, Position, FileError), run.go (Map: records into
// invoices), columns.go (columns bound to names, the nearest header when one is missing),
// eval.go (terms evaluated), csv.go, fixed.go and xmlsrc.go (the readers), values.go
// (numbers and dates), compute.go (the mapping's own computations) and lineage.go (where
// each value came from).
package mapping
