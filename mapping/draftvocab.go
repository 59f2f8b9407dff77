package mapping

import "strings"

// The vocabulary fluxgate mapping draft matches export columns with: the names French and
// English accounting software gives the business terms, and the codes it writes for
// countries, units, VAT rates, payment means and document types. Names are compared folded
// (foldName: no accents, case, spaces or punctuation).

// vocab is one business term and the names that say it. exact names must equal the folded
// column name; parts may be contained in it (longer, unambiguous words).
type vocab struct {
	bt    string
	line  bool   // a line term (else an invoice term)
	kind  string // what its values must look like: date, number, text, siret, vat, country, …
	exact []string
	parts []string
	party string // buyer, seller: the term belongs to that party (XML: the parent element says)
}

var vocabulary = []vocab{
	{bt: "BT-1", kind: "id", exact: []string{"numfacture", "nofacture", "numerofacture", "nfacture", "facture", "nopiece", "numpiece", "numeropiece", "npiece", "piece", "invoicenumber", "invoiceno", "invoiceid", "number", "numero", "docnumber", "documentnumber", "reffacture"}, parts: []string{"numfact", "numerofact", "invoicenum", "nopiece", "npiece", "numpiece"}},
	{bt: "BT-2", kind: "date", exact: []string{"datefacture", "datepiece", "date", "issuedate", "invoicedate", "datedocument", "dateemission", "datefact"}, parts: []string{"datefact", "datepiece", "issuedate", "invoicedate"}},
	{bt: "BT-3", kind: "code", exact: []string{"typepiece", "typefacture", "typedocument", "type", "kind", "doctype", "invoicetype", "sens", "nature"}, parts: []string{"typepiece", "typefact", "typedoc"}},
	{bt: "BT-5", kind: "currency", exact: []string{"devise", "currency", "monnaie", "currencycode"}},
	{bt: "BT-9", kind: "date", exact: []string{"echeance", "dateecheance", "duedate", "datelimite", "datereglement", "dateecheancereglement"}, parts: []string{"echeance", "duedate"}},
	{bt: "BT-10", kind: "text", exact: []string{"buyerref", "buyerreference", "refacheteur", "referenceacheteur", "codeservice", "service"}},
	{bt: "BT-13", kind: "text", exact: []string{"orderref", "commande", "nocommande", "numcommande", "bondecommande", "purchaseorder", "po", "refcommande"}, parts: []string{"commande", "orderref", "purchaseorder"}},
	{bt: "BT-25", kind: "id", exact: []string{"factureorigine", "factureinitiale", "facturecorrigee", "avoirsur", "originalinvoice", "precedinginvoice"}, parts: []string{"factureorig", "factureinit"}},
	{bt: "BT-44", kind: "text", party: "buyer", exact: []string{"raisonsociale", "nomclient", "client", "nom", "name", "customername", "buyername", "societe", "denomination", "libelleclient"}, parts: []string{"raisonsociale", "nomclient", "customername"}},
	{bt: "BT-46", kind: "text", party: "buyer", exact: []string{"codeclient", "numclient", "noclient", "refclient", "customercode", "customerid", "code", "compte", "comptetiers"}, parts: []string{"codeclient", "numclient"}},
	{bt: "BT-47", kind: "siret", party: "buyer", exact: []string{"siret", "siretclient", "nsiret", "nosiret"}, parts: []string{"siret"}},
	{bt: "BT-48", kind: "vat", party: "buyer", exact: []string{"tvaintra", "ntvaintra", "notvaintra", "numtva", "ntva", "tvaintracommunautaire", "vatid", "vatnumber", "vat", "identifianttva"}, parts: []string{"tvaintra", "vatid", "numtva"}},
	{bt: "BT-50", kind: "text", party: "buyer", exact: []string{"adresse", "adresse1", "rue", "street", "address", "address1", "addressline1", "voie"}, parts: []string{"adresse1"}},
	{bt: "BT-51", kind: "text", party: "buyer", exact: []string{"adresse2", "complementadresse", "address2", "addressline2", "complement"}},
	{bt: "BT-52", kind: "text", party: "buyer", exact: []string{"ville", "city", "localite", "commune"}},
	{bt: "BT-53", kind: "postcode", party: "buyer", exact: []string{"cp", "codepostal", "zip", "zipcode", "postcode", "postalcode"}, parts: []string{"codepostal", "postcode", "postalcode"}},
	{bt: "BT-55", kind: "country", party: "buyer", exact: []string{"pays", "country", "codepays", "countrycode"}},
	{bt: "BT-56", kind: "text", party: "buyer", exact: []string{"contact", "contactname"}},
	{bt: "BT-58", kind: "email", party: "buyer", exact: []string{"email", "mail", "courriel", "emailclient"}, parts: []string{"email", "courriel"}},
	{bt: "BT-72", kind: "date", exact: []string{"datelivraison", "deliverydate", "livraison", "datebl"}, parts: []string{"datelivr", "deliverydate"}},
	{bt: "BT-73", kind: "date", exact: []string{"debutperiode", "periodedebut", "from", "periodfrom", "datedebut"}},
	{bt: "BT-74", kind: "date", exact: []string{"finperiode", "periodefin", "to", "periodto", "datefin"}},
	{bt: "BT-80", kind: "country", exact: []string{"payslivraison", "deliverycountry"}},
	{bt: "BT-81", kind: "code", exact: []string{"modereglement", "modepaiement", "reglement", "paymentmeans", "moyenpaiement", "paiement"}, parts: []string{"reglement", "paiement", "paymentmeans"}},
	{bt: "BT-84", kind: "iban", exact: []string{"iban", "ibanclient"}},

	{bt: "BT-126", line: true, kind: "int", exact: []string{"numligne", "noligne", "ligne", "nligne", "lineno", "linenumber", "no", "ordre", "rang"}, parts: []string{"numligne", "noligne"}},
	{bt: "BT-129", line: true, kind: "number", exact: []string{"quantite", "qte", "qty", "quantity", "qt", "nombre", "nb"}, parts: []string{"quantit"}},
	{bt: "BT-130", line: true, kind: "unit", exact: []string{"unite", "unit", "uom", "u", "unitemesure", "unitedemesure"}, parts: []string{"unite"}},
	{bt: "BT-131", line: true, kind: "number", exact: []string{"montantht", "totalht", "montantligne", "totalligne", "netamount", "lineamount", "montant", "mtht", "montantnet", "linetotal"}, parts: []string{"montantht", "totalht", "montantnet"}},
	{bt: "BT-138", line: true, kind: "number", exact: []string{"remise", "remisepct", "remisepourcent", "tauxremise", "discount", "discountpercent", "percent", "escompte", "rem"}, parts: []string{"remise", "discount"}},
	{bt: "BT-146", line: true, kind: "number", exact: []string{"puht", "prixunitaireht", "prixunitaire", "prixht", "prix", "pu", "unitprice", "price", "netprice", "tarif"}, parts: []string{"prixunit", "unitprice", "puht"}},
	{bt: "BT-148", line: true, kind: "number", exact: []string{"prixbrut", "grossprice", "prixbrutht"}},
	{bt: "BT-151", line: true, kind: "category", exact: []string{"codetva", "categorietva", "categorie", "taxcode", "code", "vatcategory", "categorytva"}, parts: []string{"codetva", "categorietva", "taxcode"}},
	{bt: "BT-152", line: true, kind: "rate", exact: []string{"tauxtva", "tva", "taux", "rate", "vatrate", "taxrate", "tx", "txtva"}, parts: []string{"tauxtva", "vatrate", "taxrate"}},
	{bt: "BT-153", line: true, kind: "text", exact: []string{"designation", "libelle", "description", "article", "produit", "label", "itemname", "name", "intitule"}, parts: []string{"designation", "libelle"}},
	{bt: "BT-155", line: true, kind: "text", exact: []string{"codearticle", "refarticle", "reference", "ref", "sku", "code", "article", "codeproduit", "itemcode", "refproduit"}, parts: []string{"codearticle", "refarticle", "codeproduit"}},
}

// countries maps country names as exports write them (folded) to ISO 3166-1 codes.
var countries = map[string]string{
	"france": "FR", "belgique": "BE", "belgium": "BE", "luxembourg": "LU", "suisse": "CH", "switzerland": "CH",
	"allemagne": "DE", "germany": "DE", "deutschland": "DE", "espagne": "ES", "spain": "ES", "italie": "IT", "italy": "IT",
	"paysbas": "NL", "netherlands": "NL", "royaumeuni": "GB", "unitedkingdom": "GB", "portugal": "PT", "autriche": "AT",
	"austria": "AT", "irlande": "IE", "ireland": "IE", "monaco": "MC", "fr": "FR", "be": "BE", "lu": "LU", "ch": "CH",
	"de": "DE", "es": "ES", "it": "IT", "nl": "NL", "gb": "GB", "pt": "PT",
}

// units maps unit codes and names of exports (folded) to UN/ECE Recommendation 20 codes.
var units = map[string]string{
	"u": "C62", "un": "C62", "unite": "C62", "unit": "C62", "ea": "C62", "each": "C62", "pce": "H87", "pc": "H87", "piece": "H87",
	"kg": "KGM", "kgm": "KGM", "g": "GRM", "gr": "GRM", "t": "TNE", "l": "LTR", "ltr": "LTR", "litre": "LTR", "m": "MTR", "ml": "MLT",
	"m2": "MTK", "m3": "MTQ", "h": "HUR", "hur": "HUR", "heure": "HUR", "hour": "HUR", "j": "DAY", "jour": "DAY", "day": "DAY",
	"f": "LS", "forf": "LS", "forfait": "LS", "ls": "LS", "lot": "LO", "c62": "C62", "h87": "H87", "mois": "MON", "month": "MON",
}

// paymentMeans maps payment means of exports (folded) to UNTDID 4461 codes.
var paymentMeans = map[string]string{
	"vir": "30", "virement": "30", "transfer": "30", "sepa": "58", "virsepa": "58", "prlv": "59", "prelevement": "59",
	"directdebit": "59", "chq": "20", "cheque": "20", "check": "20", "cb": "48", "carte": "48", "card": "48",
	"esp": "10", "especes": "10", "cash": "10", "lcr": "20", "traite": "20",
}

// typeCodes maps document types of exports (folded) to UNTDID 1001 codes.
var typeCodes = map[string]string{
	"f": "380", "fa": "380", "fac": "380", "facture": "380", "inv": "380", "invoice": "380", "380": "380",
	"a": "381", "av": "381", "avo": "381", "avoir": "381", "crn": "381", "cn": "381", "creditnote": "381", "381": "381",
}

// vatCategories maps VAT category codes of exports (folded) to UNTDID 5305.
var vatCategories = map[string]string{
	"s": "S", "n": "S", "normal": "S", "r": "S", "reduit": "S", "z": "Z", "e": "E", "exo": "E", "exonere": "E",
	"k": "K", "ic": "K", "g": "G", "export": "G", "ae": "AE", "autoliquidation": "AE", "o": "O",
}

// exemptions gives a VAT category that needs an exemption reason (BT-120, BT-121) a code and
// a French reason, when one is standard.
var exemptions = map[string][2]string{
	"K":  {"VATEX-EU-IC", "Livraison intracommunautaire exonérée (article 262 ter I du CGI)"},
	"G":  {"VATEX-EU-G", "Exportation hors Union européenne exonérée (article 262 I du CGI)"},
	"AE": {"VATEX-EU-AE", "Autoliquidation"},
	"O":  {"VATEX-EU-O", "Hors du champ de la TVA"},
	"E":  {"", "Exonération de TVA (TODO : citez l'article du CGI)"},
}

// matchVocab returns the vocabulary entries a column name says, the exact ones first.
func matchVocab(name string) []vocab {
	k := foldName(name)
	var exact, part []vocab
	for _, v := range vocabulary {
		for _, e := range v.exact {
			if k == e {
				exact = append(exact, v)
				break
			}
		}
	}
	for _, v := range vocabulary {
		for _, p := range v.parts {
			if strings.Contains(k, p) {
				part = append(part, v)
				break
			}
		}
	}
	return append(exact, part...)
}
