package deposit

// chorusLabelsEN gives the English words of Chorus Pro's flux states and invoice statuses
// (ChorusLabels holds the French ones).
var chorusLabelsEN = map[string]string{
	"IN_RECU": "flow received", "IN_TRAITE_SE_CPP": "flow arrived in Chorus Pro",
	"IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP": "flow waiting to be processed",
	"IN_EN_ATTENTE_TRAITEMENT_CPP":                  "flow waiting to be processed",
	"IN_EN_COURS_TRAITEMENT_CPP":                    "flow being processed",
	"IN_EN_ATTENTE_RETRAITEMENT_CPP":                "flow blocked, waiting to be processed again",
	"IN_INCIDENTE":                                  "flow not processed: deposit it again whole",
	"IN_REJETE":                                     "flow rejected",
	"IN_INTEGRE":                                    "flow integrated",
	"IN_INTEGRE_PARTIEL":                            "flow partly integrated",
	"DEPOSEE":                                       "deposited", "EN_COURS_ACHEMINEMENT": "being routed",
	"MISE_A_DISPOSITION": "made available to the buyer", "A_RECYCLER": "to recycle (routing data to correct)",
	"SUSPENDUE": "suspended (to complete)", "REJETEE": "rejected", "SERVICE_FAIT": "service done",
	"MANDATEE": "payment ordered", "MISE_EN_PAIEMENT": "payment sent", "COMPTABILISEE": "booked",
	"MISE_A_DISPOSITION_COMPTABLE": "made available to the accountant", "COMPLETEE": "completed",
	"ABANDONNEE": "abandoned", "SUPPRIMEE": "deleted", "ASSOCIEE": "associated",
}

// labelsEN translates the French labels that are not a status code's own (set by the
// trackers for a particular case).
var labelsEN = map[string]string{"rejetée à l'intégration": "rejected at integration"}

// StatusLabel returns the words for a platform status in lang ("fr" or "en"): label is what
// was recorded with code (French, the platforms' language); in English the code's English
// label is given when one is known, and label otherwise.
func StatusLabel(code, label, lang string) string {
	if lang != "en" {
		if label == "" {
			label = frenchLabel(code)
		}
		return label
	}
	if en, ok := labelsEN[label]; ok {
		return en
	}
	for _, m := range []map[string]string{CDARLabelsEN, paAckLabelsEN, chorusLabelsEN} {
		if en, ok := m[code]; ok {
			return en
		}
	}
	return label
}

func frenchLabel(code string) string {
	for _, m := range []map[string]string{CDARLabels, paAckLabels, ChorusLabels} {
		if fr, ok := m[code]; ok {
			return fr
		}
	}
	return ""
}
