package config

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/fluxgate/fluxgate/gateway/ack"
)

// AckFormats are the formats a source's acks are written in: `format: csv` or
// `format: [xml, csv]`. Both forms are accepted, so configurations written when only
// `format: xml` existed keep working.
type AckFormats []string

// UnmarshalYAML reads one format or a list of them.
func (f *AckFormats) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*f = AckFormats{n.Value}
		return nil
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		*f = list
		return nil
	}
	return fmt.Errorf("line %d: ack.format: write xml, csv or [xml, csv]", n.Line)
}

// Has reports whether format is one of f.
func (f AckFormats) Has(format string) bool { return slices.Contains(f, format) }

func (a *AckConfig) setDefaults() {
	if len(a.Format) == 0 {
		a.Format = AckFormats{ack.FormatXML}
	}
	if a.Encoding == "" {
		a.Encoding = ack.DefaultCSVEncoding
	}
}

func (a *AckConfig) validate(where string) []error {
	var errs []error
	seen := map[string]bool{}
	for _, f := range a.Format {
		if err := ack.CheckFormat(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		} else if seen[f] {
			errs = append(errs, fmt.Errorf("%s: ack.format names %s twice", where, f))
		}
		seen[f] = true
	}
	if err := ack.CheckEncoding(a.Encoding); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", where, err))
	}
	return errs
}
