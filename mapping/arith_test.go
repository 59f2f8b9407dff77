package mapping

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// A line with a discount in %: the export's software rounds qty × price × (1 − % / 100) once.
const discountMapping = `<?xml version="1.0" encoding="UTF-8"?>
<mapping xmlns="urn:fluxgate:mapping:1" name="remise">
  <source format="csv" encoding="utf-8" delimiter=";" decimal=","/>
  <invoice group-by="No">
    <term bt="BT-1" column="No"/>
    <term bt="BT-22"><concat><text>Total calculé : </text><multiply><field name="Qte"/><field name="Prix"/></multiply></concat></term>
    <line>
      <term bt="BT-153" column="Article"/>
      <term bt="BT-129" column="Qte"/>
      <term bt="BT-146" column="Prix"/>
      <term bt="BT-131">
        <round scale="2"><multiply><field name="Qte"/><field name="Prix"/>
          <subtract><text>1</text><divide><first><field name="Remise"/><text>0</text></first><text>100</text></divide></subtract>
        </multiply></round>
      </term>
      <term bt="BT-136">
        <subtract><round scale="2"><multiply><field name="Qte"/><field name="Prix"/></multiply></round><field name="MontantHT"/></subtract>
      </term>
      <term bt="BT-138" column="Remise"/>
      <term bt="BT-137"><round><multiply><field name="Qte"/><field name="Prix"/></multiply></round></term>
    </line>
  </invoice>
</mapping>`

func TestArithmeticInTerms(t *testing.T) {
	m := mustParse(t, discountMapping)
	data := "No;Article;Qte;Prix;Remise;MontantHT\n" +
		"F1;Vis;3;19,99;12,5;52,47\n" + // 3 × 19,99 = 59,97; × 0,875 = 52,47375 → 52,47
		"F1;Clou;7;0,35;;2,45\n"
	res, err := mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Problems) > 0 {
		t.Fatal(res[0].Problems)
	}
	l := res[0].Invoice.Lines
	dec(t, l[0].NetAmount, "52.47")
	dec(t, l[0].Allowances[0].Amount, "7.50") // 59.97 − 52.47: the line adds up to the cent
	dec(t, l[0].Allowances[0].BaseAmount, "59.97")
	dec(t, l[0].Allowances[0].Percentage, "12.5")
	dec(t, l[1].NetAmount, "2.45") // an empty discount counts as 0 through <first>
	if len(l[1].Allowances) != 1 || !l[1].Allowances[0].Amount.IsZero() {
		t.Errorf("line 2 allowances %+v", l[1].Allowances)
	}
	// A computation inside text is written with the source's decimal comma.
	if got := res[0].Invoice.Notes; len(got) != 1 || got[0].Text != "Total calculé : 59,97" {
		t.Errorf("note %+v", got)
	}
}

func TestArithmeticExplainsEachStep(t *testing.T) {
	m := mustParse(t, discountMapping)
	var res []*Result
	err := m.MapWith(t.Context(), strings.NewReader("No;Article;Qte;Prix;Remise;MontantHT\nF1;Vis;3;19,99;12,5;52,47\n"), "x.csv", Options{Explain: true}, func(r *Result) error {
		res = append(res, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, l := range res[0].Explain() {
		if l.BT == "BT-131" && l.Path == "BG-25[1]" {
			steps = l.Steps
		}
	}
	want := []string{`Qte = "3"`, `Prix = "19,99"`, `Remise = "12,5"`, "12.5 ÷ 100 = 0.125", "1 − 0.125 = 0.875", "3 × 19.99 × 0.875 = 52.47375", "round(2, half-up): 52.47375 → 52.47"}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
}

func TestArithmeticProblems(t *testing.T) {
	m := mustParse(t, discountMapping)
	data := "No;Article;Qte;Prix;Remise;MontantHT\n" +
		"F1;Vis;3;19,99;douze;52,47\n"
	res, err := mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res[0].Problems {
		got = append(got, p.Rule+" "+p.BT+" "+p.Position.Column)
	}
	// The % is not a number: its own term says so, once (the computation that uses it would
	// only repeat it about the same cell).
	if strings.Join(got, ",") != "FG-MAP-NUMBER BT-138 Remise" {
		t.Fatalf("problems %v", res[0].Problems)
	}
	// Alone, the computation points at the Remise column, not at Qte, the first value it read.
	only := strings.Replace(discountMapping, `<term bt="BT-138" column="Remise"/>`, ``, 1)
	res, err = mapAll(t, mustParse(t, only), []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if p := res[0].Problems; len(p) != 1 || p[0].Position.Column != "Remise" || !strings.Contains(p[0].EN, `"douze" is not a number: it cannot enter the computation <divide>`) || !strings.Contains(p[0].FR, "« douze » n'est pas un nombre") {
		t.Errorf("problems %v", p)
	}

	div := strings.Replace(discountMapping, `<text>100</text></divide>`, `<field name="Qte"/></divide>`, 1)
	res, err = mapAll(t, mustParse(t, div), []byte("No;Article;Qte;Prix;Remise;MontantHT\nF1;Vis;0;19,99;5;0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := res[0].Problems; len(p) != 1 || p[0].Rule != RuleCalc || !strings.Contains(p[0].EN, "division by zero") {
		t.Fatalf("problems %v", p)
	}
}

func TestRoundingModes(t *testing.T) {
	cases := []struct {
		in    string
		scale int32
		want  map[string]string
	}{
		{"2.345", 2, map[string]string{"half-up": "2.35", "half-even": "2.34", "half-down": "2.34", "up": "2.35", "down": "2.34", "ceiling": "2.35", "floor": "2.34"}},
		{"-2.345", 2, map[string]string{"half-up": "-2.35", "half-even": "-2.34", "half-down": "-2.34", "up": "-2.35", "down": "-2.34", "ceiling": "-2.34", "floor": "-2.35"}},
		{"2.3451", 2, map[string]string{"half-up": "2.35", "half-even": "2.35", "half-down": "2.35", "up": "2.35", "down": "2.34"}},
		{"2.355", 2, map[string]string{"half-even": "2.36"}},
		{"7.5", 0, map[string]string{"half-up": "8", "half-even": "8", "half-down": "7"}},
	}
	for _, c := range cases {
		for mode, want := range c.want {
			got := rounding{c.scale, mode}.apply(decimal.RequireFromString(c.in))
			if !got.Equal(decimal.RequireFromString(want)) {
				t.Errorf("round(%s, %d, %s) = %s, want %s", c.in, c.scale, mode, got, want)
			}
		}
	}
	// Division rounds once, from the exact quotient.
	div := []struct{ a, b, mode, want string }{
		{"1", "3", "half-up", "0.33"}, {"2", "3", "half-up", "0.67"}, {"2", "3", "down", "0.66"},
		{"1", "8", "half-even", "0.12"}, {"3", "8", "half-even", "0.38"}, {"1", "8", "half-down", "0.12"},
		{"-1", "8", "half-up", "-0.13"}, {"-1", "3", "floor", "-0.34"}, {"-1", "3", "ceiling", "-0.33"},
		{"1", "-3", "up", "-0.34"}, {"10", "4", "half-even", "2.5"},
		{"0.124999999999999999", "1", "half-up", "0.12"}, // no double rounding
	}
	for _, d := range div {
		got := rounding{2, d.mode}.divide(decimal.RequireFromString(d.a), decimal.RequireFromString(d.b))
		if !got.Equal(decimal.RequireFromString(d.want)) {
			t.Errorf("%s ÷ %s (%s) = %s, want %s", d.a, d.b, d.mode, got, d.want)
		}
	}
}

func TestArithmeticOperators(t *testing.T) {
	for x, want := range map[string]string{
		`<add><text>1,5</text><text>2.25</text><text>-1</text></add>`:         "2.75",
		`<subtract><text>10</text><text>2</text><text>3</text></subtract>`:    "5",
		`<divide scale="3" mode="down"><text>2</text><text>3</text></divide>`: "0.666",
		`<min><text>4</text><text>-2</text><text>3</text></min>`:              "-2",
		`<max><text>4</text><text>-2</text><text>3</text></max>`:              "4",
		`<abs><text>-12,50</text></abs>`:                                      "12.5",
		`<round scale="1" mode="floor"><text>-0,04</text></round>`:            "-0.1",
		`<divide><text>1</text><text>3</text></divide>`:                       "0.3333333333333333",
	} {
		m := mustParse(t, strings.Replace(small, `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client"/><term bt="BT-113">`+x+`</term>`, 1))
		res, err := mapAll(t, m, []byte("No;Date;Client;Article;Qte;Prix\nF1;01/11/2026;A;B;1;1\n"))
		if err != nil {
			t.Fatal(err)
		}
		dec(t, res[0].Invoice.Totals.Paid, want)
	}
}

func TestArithmeticLoadErrors(t *testing.T) {
	for x, want := range map[string]string{
		`<add><text>1</text></add>`:                             "<add> needs at least two operands",
		`<round mode="bankers"><text>1</text></round>`:          `mode="bankers" is not a rounding mode (half-up, half-even`,
		`<round scale="-1"><text>1</text></round>`:              "scale=\"-1\" must be a number of decimals from 0 to 20",
		`<abs><text>1</text><text>2</text></abs>`:               "<abs> takes one operand",
		`<multiply><text>2</text><text>deux</text></multiply>`:  `"deux" is not a number`,
		`<divide><text>2</text><text>0</text></divide>`:         "division by zero",
		`<multiply><field name="Qte"/><nope/></multiply>`:       "unknown element <nope>",
		`<add><field name="Qte"/><const name="absente"/></add>`: `unknown constant "absente"`,
	} {
		_, err := Parse("m.xml", []byte(strings.Replace(small, `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client"/><term bt="BT-113">`+x+`</term>`, 1)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", x, err, want)
		}
	}
}
