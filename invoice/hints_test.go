package invoice

import (
	"strings"
	"testing"
)

func TestUnitCodeHints(t *testing.T) {
	for code, want := range map[string][2]string{
		"BX":  {`If it is a package (Recommendation 21), the code is "XBX".`, "le code est « XBX »"},
		"kgm": {`Codes are written in capitals: "KGM".`, "majuscules : « KGM »"},
		"ZZZ": {"", ""},
	} {
		inv := &Invoice{Lines: []Line{{UnitCode: code}}}
		var got *Violation
		for _, v := range Check(inv, nil) {
			if v.Rule == "BR-CL-23" {
				got = &v
			}
		}
		if got == nil {
			t.Fatalf("%s: no BR-CL-23", code)
		}
		if want[0] == "" {
			if !strings.HasSuffix(got.EN, "Recommendation 20 or 21.") {
				t.Errorf("%s: %q", code, got.EN)
			}
			continue
		}
		if !strings.HasSuffix(got.EN, want[0]) || !strings.Contains(got.FR, want[1]) {
			t.Errorf("%s:\n%s\n%s", code, got.EN, got.FR)
		}
	}
}
