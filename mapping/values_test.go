package mapping

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Values as an integrator expects (issue 13 point 5).

func TestLookupMatchesNumbersAsNumbers(t *testing.T) {
	src := strings.Replace(small, `<invoice group-by="No">`, `<lookup name="cat"><entry key="20">S</entry><entry key="5,5">S</entry><entry key="0">Z</entry></lookup>
  <invoice group-by="No">`, 1)
	src = strings.Replace(src, `<term bt="BT-146" column="Prix"/>`, `<term bt="BT-146" column="Prix"/><term bt="BT-151" column="Taux" lookup="cat"/><term bt="BT-152" column="Taux"/>`, 1)
	data := "No;Date;Client;Article;Qte;Prix;Taux\n" +
		"F1;01/11/2026;A;B;1;1;20,00\n" +
		"F1;01/11/2026;A;B;1;1;5,50\n" +
		"F1;01/11/2026;A;B;1;1;20\n" +
		"F1;01/11/2026;A;B;1;1;0,0 %\n"
	res, err := mapAll(t, mustParse(t, src), []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Problems) > 0 {
		t.Fatal(res[0].Problems)
	}
	var cats []string
	for _, l := range res[0].Invoice.Lines {
		cats = append(cats, l.VATCategory)
	}
	if strings.Join(cats, ",") != "S,S,S,Z" {
		t.Errorf("categories %v", cats)
	}
	// match="text": only the same text matches.
	res, err = mapAll(t, mustParse(t, strings.Replace(src, `<lookup name="cat">`, `<lookup name="cat" match="text">`, 1)), []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if p := res[0].Problems; len(p) != 3 || p[0].Rule != RuleLookup || !strings.Contains(p[0].EN, `"20,00" is not a value expected`) {
		t.Errorf("problems %v", p)
	}
	// The expression form matches numbers the same way.
	expr := strings.Replace(src, `<term bt="BT-151" column="Taux" lookup="cat"/>`, `<term bt="BT-151"><lookup table="cat"><field name="Taux"/></lookup></term>`, 1)
	res, err = mapAll(t, mustParse(t, expr), []byte(data))
	if err != nil || len(res[0].Problems) > 0 || res[0].Invoice.Lines[0].VATCategory != "S" {
		t.Errorf("expression lookup: %v %v", err, res[0].Problems)
	}
	// Two keys that are one number make the table ambiguous.
	_, err = Parse("m.xml", []byte(strings.Replace(src, `<entry key="0">Z</entry>`, `<entry key="0">Z</entry><entry key="20,0">S</entry>`, 1)))
	if err == nil || !strings.Contains(err.Error(), `keys "20" and "20,0" are the same number; add match="text"`) {
		t.Errorf("got %v", err)
	}
}

func TestImpliedDecimalsAreTheNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"000038250", 3, "38,250"}, {"-00004500", 3, "-4,500"}, {"00004500-", 3, "-4,500"},
		{"0550", 2, "5,50"}, {"5", 2, "0,05"}, {"0000", 2, "0,00"}, {"-0000", 2, "0,00"}, {"12", 0, "12"},
		{"12a4", 2, "12,a4"},
	} {
		if got := impliedDecimals(c.in, c.n, ','); got != c.want {
			t.Errorf("impliedDecimals(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	// The DOS example's VAT code lookup could test the rate: 0550 is 5,50, which finds 5,5.
	orig, err := os.ReadFile(fixedMapping)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(orig), `<term bt="BT-151" column="CodeTVA" lookup="code-tva"/>`, `<term bt="BT-151" column="Taux" lookup="taux"/>`, 1)
	src = strings.Replace(src, `<lookup name="unite">`, `<lookup name="taux"><entry key="5,5">S</entry><entry key="20">S</entry></lookup>
  <lookup name="unite">`, 1)
	m, err := Parse(fixedMapping, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(fixedExport)
	defer f.Close()
	err = m.MapWith(context.Background(), f, "dos.txt", Options{Explain: true}, func(r *Result) error {
		if len(r.Problems) > 0 {
			t.Errorf("%s: %v", r.Key, r.Problems)
		}
		if r.Key == "F000004512" {
			for _, l := range r.Explain() {
				if l.BT == "BT-129" && l.Path == "BG-25[1]" && l.Steps[0] != `Quantite = "38,250"` {
					t.Errorf("steps %v", l.Steps)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSchemeFromAColumn(t *testing.T) {
	src := strings.Replace(small, `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client"/><term bt="BT-46" column="Ident" scheme-column="Schema" scheme="0009"/>`, 1)
	data := "No;Date;Client;Article;Qte;Prix;Ident;Schema\n" +
		"F1;01/11/2026;A;B;1;1;FR38784120396;9957\n" +
		"F2;01/11/2026;A;B;1;1;78412039600113;\n"
	res, err := mapAll(t, mustParse(t, src), []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if id := res[0].Invoice.Buyer.IDs[0]; id.Value != "FR38784120396" || id.Scheme != "9957" {
		t.Errorf("F1 %+v", id)
	}
	if id := res[1].Invoice.Buyer.IDs[0]; id.Scheme != "0009" {
		t.Errorf("F2: an empty scheme column falls back to scheme=: %+v", id)
	}
	for x, want := range map[string]string{
		`<term bt="BT-45" column="Ident" scheme-column="Schema"/>`: "has no scheme",
		`<term bt="BT-46" value="X" scheme-column="Schema"/>`:      "scheme-column applies to a value read from the source",
	} {
		_, err := Parse("m.xml", []byte(strings.Replace(small, `<term bt="BT-44" column="Client"/>`, x, 1)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", x, err)
		}
	}
}

func TestAttachments(t *testing.T) {
	dir := t.TempDir()
	pdf := []byte("%PDF-1.4\n% a tiny document\n")
	os.Mkdir(filepath.Join(dir, "pieces"), 0o755)
	os.WriteFile(filepath.Join(dir, "pieces", "bl-17.pdf"), pdf, 0o644)
	os.WriteFile(filepath.Join(dir, "secret.pdf"), pdf, 0o644)
	src := strings.Replace(small, `<term bt="BT-44" column="Client"/>`, `<term bt="BT-44" column="Client"/>
    <group bg="BG-24"><term bt="BT-122" column="Piece"/><term bt="BT-125" column="Piece" attachment="file" folder="pieces"/></group>
    <group bg="BG-24"><term bt="BT-122" value="B64"/><term bt="BT-125" column="Contenu" attachment="base64"/></group>`, 1)
	m, err := parse(filepath.Join(dir, "m.xml"), []byte(src), false)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(pdf)
	data := "No;Date;Client;Article;Qte;Prix;Piece;Contenu\n" +
		"F1;01/11/2026;A;B;1;1;bl-17.pdf;" + b64 + "\n" +
		"F2;01/11/2026;A;B;1;1;absent.pdf;\n" +
		"F3;01/11/2026;A;B;1;1;../secret.pdf;pas du base64 !\n"
	res, err := mapAll(t, m, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	docs := res[0].Invoice.Documents
	if len(res[0].Problems) > 0 || len(docs) != 2 {
		t.Fatalf("F1: %v, %d documents", res[0].Problems, len(docs))
	}
	if a := docs[0].Attachment; a == nil || !bytes.Equal(a.Content, pdf) || a.MIMEType != "application/pdf" || a.Filename != "bl-17.pdf" {
		t.Errorf("file attachment %+v", a)
	}
	if a := docs[1].Attachment; a == nil || !bytes.Equal(a.Content, pdf) || a.MIMEType != "application/pdf" || a.Filename != "document.pdf" {
		t.Errorf("base64 attachment %+v", a)
	}
	if p := res[1].Problems; len(p) != 1 || p[0].Rule != RuleAttachment || !strings.Contains(p[0].EN, `the file "absent.pdf" is not in the attachments folder`) || p[0].Position.Column != "Piece" {
		t.Errorf("F2 problems %v", p)
	}
	var got []string
	for _, p := range res[2].Problems {
		got = append(got, p.EN)
	}
	if len(got) != 2 || !strings.Contains(got[0], `"../secret.pdf" is not a file name inside the attachments folder`) || !strings.Contains(got[1], "not base64") {
		t.Errorf("F3 problems %v", got)
	}
	for x, want := range map[string]string{
		`<term bt="BT-125" column="Piece"/>`:                                     "needs attachment=",
		`<term bt="BT-125" column="Piece" attachment="file"/>`:                   "needs folder=",
		`<term bt="BT-125" column="Piece" attachment="url"/>`:                    `attachment="url" must be`,
		`<term bt="BT-122" column="Piece" attachment="base64"/>`:                 "applies to BT-125",
		`<term bt="BT-125" value="nope.pdf" attachment="file" folder="pieces"/>`: `the file "nope.pdf" is not in the attachments folder`,
	} {
		_, err := Parse(filepath.Join(dir, "m.xml"), []byte(strings.Replace(small, `<term bt="BT-44" column="Client"/>`, `<group bg="BG-24"><term bt="BT-122" value="X"/>`+x+`</group>`, 1)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", x, err)
		}
	}
}
