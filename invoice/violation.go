package invoice

import "fmt"

// Severity of a finding, as the official artefacts flag their rules.
type Severity string

const (
	Fatal   Severity = "fatal"
	Warning Severity = "warning"
)

// Violation is one finding of a rule against an invoice.
type Violation struct {
	Rule     string   // official id: BR-16, BR-CO-10, BR-S-08, …
	Severity Severity // fatal or warning
	BT       []string // business terms or groups involved: "BT-131", "BG-23"
	// Path locates the finding in the model: "" for the document, "BG-25[2]" for the second
	// invoice line, "BG-23[1]" for the first VAT breakdown, "BG-20[1]" for an allowance,
	// "BG-25[2]/BG-27[1]" for a line allowance. Mappings use it to find the source position.
	Path string
	// Location is filled by whoever knows the concrete place: an XPath for a read document,
	// "file:line" for mapped data.
	Location string
	FR, EN   string // the message in French and in English
}

// Message returns the message in the language lang ("fr" by default, "en").
func (v Violation) Message(lang string) string {
	if lang == "en" {
		return v.EN
	}
	return v.FR
}

func (v Violation) String() string {
	where := v.Path
	if v.Location != "" {
		where = v.Location
	}
	if where == "" {
		return fmt.Sprintf("%s %s: %s", v.Severity, v.Rule, v.EN)
	}
	return fmt.Sprintf("%s %s at %s: %s", v.Severity, v.Rule, where, v.EN)
}

// HasFatal reports whether any violation is fatal.
func HasFatal(vs []Violation) bool {
	for _, v := range vs {
		if v.Severity == Fatal {
			return true
		}
	}
	return false
}

// LinePath is the Path of the i-th invoice line (0-based i).
func LinePath(i int) string {
	if i >= 0 && i < len(linePaths) {
		return linePaths[i]
	}
	return fmt.Sprintf("BG-25[%d]", i+1)
}

// linePaths are the paths of the first lines, which the rules name for every line they
// check (whether or not it breaks them), built once.
var linePaths = func() (paths [512]string) {
	for i := range paths {
		paths[i] = fmt.Sprintf("BG-25[%d]", i+1)
	}
	return paths
}()
