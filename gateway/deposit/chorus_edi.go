package deposit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Chorus Pro EDI (SFTP, PeSIT, AS2) deposits. What is confirmed: the interface codes
// FSO1100A (UBL Invoice, E1) and FSO1106A (CII 16B, E1); the partner code of the form
// AAA999; return flows CSO… (integration report) and FEN1200A / FEN1201A (lifecycle, in
// CPPStatut format). What is inferred (spec §1.3, §8): the file-name pattern
// <interface>_<partner>_<identifier> and the inner layout of the return files.

// ChorusEDIInterface returns the EDI interface code of a flux syntax ("" when unknown).
func ChorusEDIInterface(syntax string) string {
	switch syntax {
	case "ubl":
		return "FSO1100A"
	case "cii":
		return "FSO1106A"
	}
	return ""
}

var ediPartnerRe = regexp.MustCompile(`^[A-Z0-9]{3,10}$`)

// ChorusEDIName is the final name of an EDI flux file, after the pattern of the names
// Chorus Pro shows for deposited flux (FSOXXXX_CPP001_CPP00XXXXXXXXXXXX):
// <interface>_<partner>_<partner><yyyymmddhhmmss><seq, 6 digits>.xml, for example
// FSO1100A_ABC123_ABC12320261126214000000042.xml. seq tells apart the files of one second;
// it wraps at a million.
func ChorusEDIName(interfaceCode, partner string, seq int, now time.Time) string {
	partner = strings.ToUpper(strings.TrimSpace(partner))
	return fmt.Sprintf("%s_%s_%s%s%06d.xml", interfaceCode, partner, partner, now.UTC().Format("20060102150405"), seq%1000000)
}

// CheckChorusEDIPartner checks the form of a partner code (letters and digits, AAA999 in
// the examples).
func CheckChorusEDIPartner(partner string) error {
	if !ediPartnerRe.MatchString(partner) {
		return fmt.Errorf("EDI partner code %q: write the code Chorus Pro gave, e.g. ABC123", partner)
	}
	return nil
}

// ParseChorusEDIReport reads a file of the EDI return folder: an integration report (CSO…)
// or a lifecycle status file (FEN1200A/FEN1201A, CPPStatut). Their schemas were not read
// (spec §8); the reader is tolerant and takes, at any depth, the elements named as the API
// names the same data — numeroFluxDepot / nomFichier (the deposit), etatCourantDepotFlux
// (flux state), numeroFacture or numeroDP (an invoice), statut / codeStatut (its status),
// libelle, libelleErreurDP or commentaire (the message), date… — case-insensitively. One
// update comes per invoice element group, plus one for the flux when it has a state.
// Receipt is the deposit number when given, else the deposited file name, else name.
func ParseChorusEDIReport(name string, data []byte) ([]StatusUpdate, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var (
		stack   []string
		fields  = map[string]string{} // flux-level fields
		current map[string]string     // fields of the invoice group being read
		depth   int                   // depth of the current invoice group
		groups  []map[string]string
	)
	invoiceKey := func(k string) bool { return k == "numerofacture" || k == "numerodp" }
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, strings.ToLower(t.Name.Local))
			for _, a := range t.Attr { // attributes count as fields too
				if current != nil {
					current[strings.ToLower(a.Name.Local)] = a.Value
				} else {
					fields[strings.ToLower(a.Name.Local)] = a.Value
				}
			}
		case xml.EndElement:
			if current != nil && len(stack) == depth {
				groups = append(groups, current)
				current = nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			s := strings.TrimSpace(string(t))
			if s == "" || len(stack) == 0 {
				continue
			}
			k := stack[len(stack)-1]
			if invoiceKey(k) && current == nil && len(stack) >= 2 {
				current, depth = map[string]string{}, len(stack)-1
			}
			if current != nil {
				current[k] = s
			} else {
				fields[k] = s
			}
		}
	}
	first := func(m map[string]string, keys ...string) string {
		for _, k := range keys {
			if v := m[k]; v != "" {
				return v
			}
		}
		return ""
	}
	receipt := first(fields, "numerofluxdepot", "nomfichierflux", "nomfichier")
	if receipt == "" {
		receipt = name
	}
	var out []StatusUpdate
	if st := first(fields, "etatcourantdepotflux", "etatcourantflux", "etatflux"); st != "" {
		u := StatusUpdate{Receipt: receipt, Status: st, Label: ChorusLabels[st], Final: chorusFluxFinal[st],
			Rejected: st == "IN_REJETE" || st == "IN_INCIDENTE", Message: first(fields, "libelle", "libelleerreur"),
			At: parseChorusTime(first(fields, "dateheureetatcourantflux", "datedepotflux", "date"), time.Time{})}
		out = append(out, u)
	}
	for _, g := range groups {
		inv := first(g, "numerofacture", "numerodp")
		st := first(g, "statut", "codestatut", "statutfacture", "statutcourantcode", "histostatutcode")
		msg := first(g, "libelleerreurdp", "commentaire", "histostatutcommentaire", "libelle", "motif")
		u := StatusUpdate{Receipt: receipt, Invoice: inv, PlatformID: first(g, "identifiantfacturecpp", "idfacture"),
			Status: st, Label: ChorusLabels[st], Message: msg,
			At: parseChorusTime(first(g, "datestatut", "histostatutdatepassage", "date"), time.Time{})}
		if _, isError := g["libelleerreurdp"]; isError || st == "" {
			// A line of listeErreurDP: the invoice was refused at integration.
			u.Status, u.Label, u.Final, u.Rejected = "IN_REJETE", "rejetée à l'intégration", true, true
		} else {
			u.Final, u.Rejected = chorusInvoiceFinal[st], st == "REJETEE"
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no flux state and no invoice found in the report", name)
	}
	return out, nil
}
