package mapping

import (
	"strings"
	"testing"
)

// Lines that match the export to the cent (issue 13 point 3).

// naiveDiscount maps the export's net and its discount % as they are: the allowance is then
// computed as base × % / 100, rounded on its own.
const naiveDiscount = `<?xml version="1.0" encoding="UTF-8"?>
<mapping xmlns="urn:fluxgate:mapping:1" name="remise">
  <source format="csv" encoding="utf-8" delimiter=";" decimal=","/>
  <invoice group-by="No">
    <term bt="BT-1" column="No"/>
    <line>
      <term bt="BT-126" column="Ligne"/>
      <term bt="BT-153" column="Article"/>
      <term bt="BT-129" column="Qte"/>
      <term bt="BT-146" column="Prix"/>
      <term bt="BT-131" column="MontantHT"/>
      <term bt="BT-138" column="Remise"/>
      <term bt="BT-139" value="Remise"/>
    </line>
  </invoice>
</mapping>`

// The software rounds qty × price × (1 − % / 100) once: 0,50 × 0,85 = 0,425 → 0,43, while
// EN 16931's line is 0,50 − round(0,075) = 0,50 − 0,08 = 0,42.
const centExport = "No;Ligne;Article;Qte;Prix;Remise;MontantHT\n" +
	"F1;1;Vis;1;0,50;15;0,43\n" +
	"F1;2;Clou;3;19,99;12,5;52,47\n"

func TestLineNetDisagreementIsAWarning(t *testing.T) {
	res, err := mapAll(t, mustParse(t, naiveDiscount), []byte(centExport))
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if len(r.Problems) != 0 {
		t.Fatalf("a disagreement is not a mapping problem: %v", r.Problems)
	}
	if len(r.Warnings) != 1 {
		t.Fatalf("warnings %v", r.Warnings)
	}
	w := r.Warnings[0]
	if w.Rule != RuleLineNet || w.BT != "BT-131" || w.Position.Line != 2 || w.Position.Column != "MontantHT" || w.Position.MappingLine != 11 {
		t.Errorf("warning %+v", w)
	}
	if !strings.Contains(w.EN, "line 1 (BT-131) is 0.43 but quantity × net price − allowances + charges gives 0.42 (0.01 apart)") ||
		!strings.Contains(w.FR, "vaut 0,43 alors que quantité × prix net − remises + frais donne 0,42 (écart 0,01)") {
		t.Errorf("messages:\n%s\n%s", w.EN, w.FR)
	}
}

func TestLineNetRecipeAddsUp(t *testing.T) {
	// The recipe: the export's net, and the allowance derived from it.
	recipe := strings.Replace(naiveDiscount, `<term bt="BT-139" value="Remise"/>`, `<term bt="BT-139" value="Remise"/>
      <term bt="BT-136"><subtract><round scale="2"><multiply><field name="Qte"/><field name="Prix"/></multiply></round><field name="MontantHT"/></subtract></term>
      <term bt="BT-137"><round scale="2"><multiply><field name="Qte"/><field name="Prix"/></multiply></round></term>`, 1)
	res, err := mapAll(t, mustParse(t, recipe), []byte(centExport))
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if len(r.Problems) != 0 || len(r.Warnings) != 0 {
		t.Fatalf("problems %v, warnings %v", r.Problems, r.Warnings)
	}
	dec(t, r.Invoice.Lines[0].NetAmount, "0.43")
	dec(t, r.Invoice.Lines[0].Allowances[0].Amount, "0.07")
	dec(t, r.Invoice.Lines[1].Allowances[0].Amount, "7.50")
	dec(t, r.Invoice.Totals.LineTotal, "52.90")
}
