package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/invoice"
	"github.com/fluxgate/fluxgate/invoice/facturx"
	"github.com/fluxgate/fluxgate/invoice/syntax"
)

// checkReport is what check prints for one file (one JSON object per line with --format json).
type checkReport struct {
	File     string         `json:"file"`
	Syntax   string         `json:"syntax,omitempty"`
	Valid    bool           `json:"valid"`
	Findings []checkFinding `json:"findings"`
	Error    string         `json:"error,omitempty"` // the file is not XML or not an invoice
}

type checkFinding struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	BT       []string `json:"bt"`
	Location string   `json:"location"`
	Message  string   `json:"message"`
}

func newCheckCmd() *cobra.Command {
	var format, profileName, lang string
	cmd := &cobra.Command{
		Use:   "check [--format text|json] FILE...",
		Short: "Check e-invoices (UBL Invoice, UBL CreditNote, CII, Factur-X) against the EN 16931 rules",
		Long: `Read each FILE (its syntax is detected: UBL 2.1 Invoice or CreditNote, CII D16B, or a
Factur-X PDF, whose attached factur-x.xml is checked) and
check it against the EN 16931 business rules and the UBL or CII syntax rules (official ids
and severities, artefacts ` + invoice.ArtefactsVersion + `), and with --profile fr-ctc the French CTC
rules (BR-FR, FNFE-MPE artefacts ` + invoice.FRCTCVersion + `; fr-ctc-warning: their transition
severities). Each finding gives its rule, severity, business terms, XPath and message.

--format json prints one JSON object per file, one per line:
  {"file":…, "syntax":"ubl-invoice|ubl-creditnote|cii", "valid":bool,
   "findings":[{"rule":…, "severity":"fatal|warning", "bt":[…], "location":…, "message":…}]}

Exit status: 0 no file has a fatal finding, 1 some file has one, 2 some file is not XML or not
an invoice, or a PDF without a readable CII factur-x.xml (or cannot be read).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return exitError{2, fmt.Errorf("--format %q: write text or json", format)}
			}
			if lang != "fr" && lang != "en" {
				return exitError{2, fmt.Errorf("--lang %q: write fr or en", lang)}
			}
			profile, err := invoice.ProfileByName(profileName)
			if err != nil {
				return exitError{2, err}
			}
			out := cmd.OutOrStdout()
			code := 0
			for _, file := range args {
				rep := checkFile(file, profile, lang)
				switch {
				case rep.Error != "":
					code = 2
				case !rep.Valid:
					code = max(code, 1)
				}
				if format == "json" {
					line, err := json.Marshal(rep)
					if err != nil {
						return exitError{2, err}
					}
					fmt.Fprintf(out, "%s\n", line)
				} else {
					printCheckText(out, cmd.ErrOrStderr(), rep)
				}
			}
			if code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&profileName, "profile", "en16931", "rule profile")
	cmd.Flags().StringVar(&lang, "lang", "fr", "language of the messages: fr or en")
	return cmd
}

// checkFile reads and checks one file.
func checkFile(file string, profile *invoice.Profile, lang string) checkReport {
	rep := checkReport{File: file, Findings: []checkFinding{}}
	data, err := os.ReadFile(file)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	pdf := facturx.IsPDF(data)
	if pdf {
		// A Factur-X: its attached CII is the invoice.
		xmlData, name, err := facturx.Extract(data)
		if err != nil {
			rep.Error = err.Error()
			return rep
		}
		if s, err := syntax.Detect(xmlData); err != nil || s != syntax.CII {
			what := "a CII invoice"
			if err != nil {
				what = err.Error()
			} else {
				what = "a " + string(s) + " document"
			}
			rep.Error = fmt.Sprintf("the %s attachment of the PDF is not a CII invoice (found %s): a Factur-X carries CII", name, what)
			return rep
		}
		data = xmlData
	}
	s, _, vs, err := syntax.CheckDocument(data, profile)
	if err != nil {
		rep.Error = err.Error()
		if pdf {
			rep.Error = "the factur-x.xml attachment of the PDF cannot be read: " + err.Error()
		}
		return rep
	}
	rep.Syntax = string(s)
	if pdf {
		rep.Syntax = "facturx (" + string(s) + ")"
	}
	rep.Valid = !invoice.HasFatal(vs)
	for _, v := range vs {
		bt := v.BT
		if bt == nil {
			bt = []string{}
		}
		rep.Findings = append(rep.Findings, checkFinding{
			Rule: v.Rule, Severity: string(v.Severity), BT: bt, Location: v.Location, Message: v.Message(lang),
		})
	}
	return rep
}

func printCheckText(out, errOut io.Writer, rep checkReport) {
	if rep.Error != "" {
		fmt.Fprintf(errOut, "%s: %s\n", rep.File, rep.Error)
		return
	}
	var fatal, warn int
	for _, f := range rep.Findings {
		if f.Severity == string(invoice.Fatal) {
			fatal++
		} else {
			warn++
		}
	}
	verdict := "valid"
	if !rep.Valid {
		verdict = "INVALID"
	}
	fmt.Fprintf(out, "%s: %s, %s (%d fatal, %d warning)\n", rep.File, rep.Syntax, verdict, fatal, warn)
	for _, f := range rep.Findings {
		where := ""
		if f.Location != "" {
			where = " at " + f.Location
		}
		fmt.Fprintf(out, "  %s %s [%s]%s: %s\n", f.Severity, f.Rule, strings.Join(f.BT, " "), where, f.Message)
	}
}

// readInvoiceFile reads one invoice document of any known syntax; a file that is not XML or
// not an invoice is an exit status 2.
func readInvoiceFile(file string) (syntax.Syntax, *invoice.Invoice, []invoice.Violation, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", nil, nil, exitError{2, err}
	}
	s, inv, vs, err := syntax.Read(data)
	if err != nil {
		return "", nil, nil, exitError{2, fmt.Errorf("%s: %w", file, err)}
	}
	return s, inv, vs, nil
}
