package invoice

import (
	"fmt"
	"slices"
	"strings"
)

// ArtefactsVersion is the version of the official EN 16931 validation artefacts the core
// rules follow.
const ArtefactsVersion = "1.3.16"

// Profile is a named rule set (the core EN 16931 rules, or a CIUS that adds to them), stamped
// with the version of the artefacts it follows so that a report can say which rules judged a
// file.
type Profile struct {
	Name    string
	Version string
	Rules   []Rule
}

// Rule returns the rule of the profile with the given id.
func (p *Profile) Rule(id string) (Rule, bool) {
	i := slices.IndexFunc(p.Rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return p.Rules[i], true
}

// HasDocumentRules reports whether some rules of p judge the document itself (Rule.Document),
// so that checking the model alone is not enough.
func (p *Profile) HasDocumentRules() bool {
	return p != nil && slices.ContainsFunc(p.Rules, func(r Rule) bool { return r.Document })
}

// ProfileNames lists the names ProfileByName knows.
func ProfileNames() []string {
	return []string{"en16931", "chorus-pro", "fr-ctc", "fr-ctc-warning"}
}

// ProfileByName returns a fresh copy of the named profile ("en16931"); callers may extend it.
func ProfileByName(name string) (*Profile, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "en16931":
		return EN16931(), nil
	case "chorus-pro":
		return ChorusPro(ChorusOptions{}), nil
	case "fr-ctc":
		return FRCTC(), nil
	case "fr-ctc-warning":
		return FRCTCWarning(), nil
	}
	return nil, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
}

// EN16931 returns the core profile: the semantic business rules of EN 16931-1 (BR-*, BR-CO-*,
// BR-DEC-*, the VAT category rules and the BR-CL code-list rules), in the order reports list
// them.
func EN16931() *Profile {
	var rules []Rule
	rules = append(rules, coreRules()...)
	rules = append(rules, consistencyRules()...)
	rules = append(rules, decimalRules()...)
	rules = append(rules, vatCategoryRules()...)
	rules = append(rules, codeListRules()...)
	return &Profile{Name: "en16931", Version: ArtefactsVersion, Rules: rules}
}
