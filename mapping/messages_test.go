package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/invoice"
)

// The messages an integrator reads (issue 13 point 6).

func TestMissingColumnNamesItsMappingLineAndTheNearestHeader(t *testing.T) {
	m := mustParse(t, small)
	_, err := mapAll(t, m, []byte("No;Date;Client;Article;Qté;Prix\nF1;01/11/2026;Dupont;Vis;1;2\n"))
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v", err)
	}
	if fe.Column != "Qte" || fe.MappingLine != 10 ||
		fe.EN != `column "Qte" (mapping line 10) is missing from the header row: did you mean "Qté"? Columns present: No, Date, Client, Article, Qté, Prix` ||
		fe.FR != "la colonne « Qte » (ligne 10 du mapping) est absente de la ligne d'en-tête : vouliez-vous dire « Qté » ? Colonnes présentes : No, Date, Client, Article, Qté, Prix" {
		t.Errorf("%+v", fe)
	}
	// Several: each with its lines and its suggestion.
	_, err = mapAll(t, m, []byte("N°;Date;client;Article;Quantité;Prix\nF1;01/11/2026;Dupont;Vis;1;2\n"))
	if !errors.As(err, &fe) || !strings.Contains(fe.EN, `"No" (mapping lines 4, 5): did you mean "N°"?; "Client" (mapping line 7): did you mean "client"?; "Qte" (mapping line 10)`) {
		t.Errorf("%v", err)
	}
	for a, b := range map[string]string{"N° pièce": "No piece", "Raison sociale": "RaisonSociale", "PU HT": "pu_ht"} {
		if got := nearest(b, []string{"Autre", a}); got != a {
			t.Errorf("nearest(%q) = %q, want %q", b, got, a)
		}
	}
	if got := nearest("Date", []string{"Devise", "Nom"}); got != "" {
		t.Errorf("nearest(Date) = %q", got)
	}
}

func TestImpossibleDatesSayWhy(t *testing.T) {
	l, _ := compileDate("dd/mm/yyyy")
	for in, want := range map[string]string{
		"31/11/2026": "November 2026 has only 30 days",
		"29/02/2026": "February 2026 has only 28 days",
		"12/13/2026": "month 13 does not exist",
		"00/11/2026": "day 0 does not exist",
	} {
		if e := l.why(in); e == nil || e.en != want {
			t.Errorf("%s: %+v, want %q", in, e, want)
		}
	}
	for _, in := range []string{"29/02/2028", "2026-11-31", "31.11.2026", ""} {
		if e := l.why(in); e != nil {
			t.Errorf("%s: %+v (a leap day, or not written in the layout)", in, e)
		}
	}
	res, err := mapAll(t, mustParse(t, small), []byte("No;Date;Client;Article;Qte;Prix\nF1;31/11/2026;A;B;1;1\nF2;2026-11-30;A;B;1;1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := res[0].Problems[0]; p.Rule != RuleDate || p.EN != `the date "31/11/2026" does not exist: November 2026 has only 30 days (invoice issue date, BT-2)` {
		t.Errorf("%+v", p)
	}
	if p := res[1].Problems[0]; !strings.Contains(p.EN, "expected format dd/mm/yyyy") {
		t.Errorf("%+v", p)
	}
}

func TestKnockOnFindingsAreNotRepeated(t *testing.T) {
	src := strings.Replace(complete, `<term bt="BT-152" column="Taux"/>`, `<term bt="BT-152" column="Taux"/><term bt="BT-138" column="Remise"/><term bt="BT-139" value="Remise"/>`, 1)
	m, err := parse("c.xml", []byte(src), false)
	if err != nil {
		t.Fatal(err)
	}
	data := "No;Date;Client;Article;Qte;Prix;Cat;Taux;Remise\n" +
		"F1;01/11/2026;A;B;deux;10;S;20;5\n" + // an unreadable quantity
		"F1;01/11/2026;A;C;1;10;S;20;5\n"
	res, err := mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	var kept, dropped []string
	for _, v := range invoice.Check(r.Invoice, nil) {
		if r.Repeats(v) {
			dropped = append(dropped, v.Rule)
		} else {
			kept = append(kept, v.Rule)
		}
	}
	// BR-22 (no quantity), BR-24 (no net amount) and BR-41 (an allowance without amount, its
	// base being computed from the quantity) all repeat FG-MAP-NUMBER on line 2.
	for _, rule := range []string{"BR-22", "BR-24", "BR-41"} {
		if !strings.Contains(strings.Join(dropped, " "), rule) {
			t.Errorf("%s not recognised as a repetition; dropped %v, kept %v", rule, dropped, kept)
		}
	}
	for _, rule := range kept {
		if rule == "BR-22" || rule == "BR-24" || rule == "BR-41" {
			t.Errorf("kept %s", rule)
		}
	}
}
