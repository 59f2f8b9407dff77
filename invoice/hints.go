package invoice

import "strings"

// codeHint suggests, for a code that list does not hold, the code that was most likely
// meant: a unit code in capitals (kgm → KGM), or the Recommendation 21 form of a package
// code, which EN 16931 writes with an X before it (BX box → XBX). It returns the French and
// English sentences that follow the rule's message, "" when there is nothing to suggest.
func codeHint(list, code string) (fr, en string) {
	if list != "REC20" {
		return "", ""
	}
	set := codeList(list)
	up := strings.ToUpper(code)
	switch {
	case up != code && set[up]:
		return " Les codes s'écrivent en majuscules : « " + up + " ».", " Codes are written in capitals: \"" + up + "\"."
	case len(up) == 2 && set["X"+up]:
		return " S'il s'agit d'un emballage (recommandation 21), le code est « X" + up + " ».",
			" If it is a package (Recommendation 21), the code is \"X" + up + "\"."
	}
	return "", ""
}
