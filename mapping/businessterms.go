package mapping

import (
	"github.com/shopspring/decimal"

	"github.com/fluxgate/fluxgate/invoice"
)

// This file is the table that makes every business term of the model addressable from a
// mapping: BT id → kind of value, where it lives (invoice, line, or a repeatable group) and
// the setter that stores it. Adding a term to the model means adding one row here.

type kind int

const (
	kText   kind = iota
	kNumber      // amounts, quantities, prices, percentages, rates
	kDate
)

type level int

const (
	lvlInvoice level = iota // once per invoice, from the invoice's first row
	lvlLine                 // once per invoice line (BG-25), from the line's row
)

// value is one mapped value, already parsed for the kind of its term.
type value struct {
	s      string
	d      decimal.Decimal
	date   invoice.Date
	scheme string
	att    *invoice.Attachment // BT-125
}

type setFn func(dst any, v *value)

// btDef describes one business term.
type btDef struct {
	id     string
	kind   kind
	level  level
	group  string // repeatable group (BG id) the term belongs to, "" when none
	scheme bool   // the term has a BT-n-1 scheme attribute
	multi  bool   // the term itself repeats (BT-29, BT-158): each <term> adds one
	fr, en string // short name, for messages an accountant reads
	set    setFn
}

// groupDef describes a repeatable group: each instance is built, then added to its parent
// (the invoice, or the line) when at least one of its terms had a value.
type groupDef struct {
	id     string
	level  level
	fr, en string
	new    func() any
	add    func(parent, inst any)
}

type (
	inv  = invoice.Invoice
	line = invoice.Line
	ac   = invoice.AllowanceCharge
)

func txt[T any](f func(*T) *string) setFn {
	return func(d any, v *value) { *f(d.(*T)) = v.s }
}

func num[T any](f func(*T) **decimal.Decimal) setFn {
	return func(d any, v *value) { x := v.d; *f(d.(*T)) = &x }
}

func dat[T any](f func(*T) *invoice.Date) setFn {
	return func(d any, v *value) { *f(d.(*T)) = v.date }
}

func sid[T any](f func(*T) *invoice.ID) setFn {
	return func(d any, v *value) { *f(d.(*T)) = invoice.ID{Value: v.s, Scheme: v.scheme} }
}

// Lazily created optional parts of the invoice: a part exists as soon as one of its terms
// has a value, never empty.
func contact(c **invoice.Contact) *invoice.Contact {
	if *c == nil {
		*c = &invoice.Contact{}
	}
	return *c
}

func payee(i *inv) *invoice.Payee {
	if i.Payee == nil {
		i.Payee = &invoice.Payee{}
	}
	return i.Payee
}

func taxRep(i *inv) *invoice.TaxRepresentative {
	if i.TaxRepresentative == nil {
		i.TaxRepresentative = &invoice.TaxRepresentative{}
	}
	return i.TaxRepresentative
}

func delivery(i *inv) *invoice.Delivery {
	if i.Delivery == nil {
		i.Delivery = &invoice.Delivery{}
	}
	return i.Delivery
}

// addr returns the postal address *a points to, creating it on first use: an address
// (BG-5, BG-8, BG-12) exists once the mapping gives one of its terms.
func addr(a **invoice.Address) *invoice.Address {
	if *a == nil {
		*a = &invoice.Address{}
	}
	return *a
}

func deliveryAddr(i *inv) *invoice.Address {
	d := delivery(i)
	if d.Address == nil {
		d.Address = &invoice.Address{}
	}
	return d.Address
}

func period(p **invoice.Period) *invoice.Period {
	if *p == nil {
		*p = &invoice.Period{}
	}
	return *p
}

func linePreceding(l *line) *invoice.PrecedingInvoice {
	if l.PrecedingInvoice == nil {
		l.PrecedingInvoice = &invoice.PrecedingInvoice{}
	}
	return l.PrecedingInvoice
}

func payment(i *inv) *invoice.PaymentInstructions {
	if i.Payment == nil {
		i.Payment = &invoice.PaymentInstructions{}
	}
	return i.Payment
}

func card(i *inv) *invoice.Card {
	p := payment(i)
	if p.Card == nil {
		p.Card = &invoice.Card{}
	}
	return p.Card
}

func debit(i *inv) *invoice.DirectDebit {
	p := payment(i)
	if p.DirectDebit == nil {
		p.DirectDebit = &invoice.DirectDebit{}
	}
	return p.DirectDebit
}

var groups = map[string]*groupDef{}

var terms = map[string]*btDef{}

func init() {
	for _, g := range []*groupDef{
		{"BG-1", lvlInvoice, "note de facture", "invoice note",
			func() any { return &invoice.Note{} },
			func(p, x any) { i := p.(*inv); i.Notes = append(i.Notes, *x.(*invoice.Note)) }},
		{"BG-3", lvlInvoice, "facture antérieure", "preceding invoice",
			func() any { return &invoice.PrecedingInvoice{} },
			func(p, x any) {
				i := p.(*inv)
				i.PrecedingInvoices = append(i.PrecedingInvoices, *x.(*invoice.PrecedingInvoice))
			}},
		{"BG-17", lvlInvoice, "virement", "credit transfer",
			func() any { return &invoice.CreditTransfer{} },
			func(p, x any) {
				pay := payment(p.(*inv))
				pay.CreditTransfer = append(pay.CreditTransfer, *x.(*invoice.CreditTransfer))
			}},
		{"BG-20", lvlInvoice, "remise au niveau du document", "document level allowance",
			func() any { return &ac{} },
			func(p, x any) { i := p.(*inv); i.Allowances = append(i.Allowances, *x.(*ac)) }},
		{"BG-21", lvlInvoice, "frais au niveau du document", "document level charge",
			func() any { return &ac{} },
			func(p, x any) { i := p.(*inv); i.Charges = append(i.Charges, *x.(*ac)) }},
		{"BG-23", lvlInvoice, "ventilation de la TVA", "VAT breakdown",
			func() any { return &invoice.VATBreakdown{} },
			func(p, x any) { i := p.(*inv); i.VAT = append(i.VAT, *x.(*invoice.VATBreakdown)) }},
		{"BG-24", lvlInvoice, "document justificatif", "supporting document",
			func() any { return &invoice.Document{} },
			func(p, x any) { i := p.(*inv); i.Documents = append(i.Documents, *x.(*invoice.Document)) }},
		{"BG-27", lvlLine, "remise sur la ligne", "line allowance",
			func() any { return &ac{} },
			func(p, x any) { l := p.(*line); l.Allowances = append(l.Allowances, *x.(*ac)) }},
		{"BG-28", lvlLine, "frais sur la ligne", "line charge",
			func() any { return &ac{} },
			func(p, x any) { l := p.(*line); l.Charges = append(l.Charges, *x.(*ac)) }},
		{"BG-32", lvlLine, "attribut de l'article", "item attribute",
			func() any { return &invoice.Attribute{} },
			func(p, x any) {
				l := p.(*line)
				l.Item.Attributes = append(l.Item.Attributes, *x.(*invoice.Attribute))
			}},
	} {
		groups[g.id] = g
	}

	I, L := lvlInvoice, lvlLine
	type note = invoice.Note
	type prec = invoice.PrecedingInvoice
	type ct = invoice.CreditTransfer
	type vat = invoice.VATBreakdown
	type doc = invoice.Document
	type attr = invoice.Attribute
	for _, d := range []*btDef{
		// Invoice header.
		{id: "BT-1", level: I, fr: "numéro de facture", en: "invoice number", set: txt(func(i *inv) *string { return &i.Number })},
		{id: "BT-2", kind: kDate, level: I, fr: "date de facture", en: "invoice issue date", set: dat(func(i *inv) *invoice.Date { return &i.IssueDate })},
		{id: "BT-3", level: I, fr: "type de facture", en: "invoice type code", set: txt(func(i *inv) *string { return &i.TypeCode })},
		{id: "BT-5", level: I, fr: "devise de la facture", en: "invoice currency code", set: txt(func(i *inv) *string { return &i.Currency })},
		{id: "BT-6", level: I, fr: "devise de comptabilisation de la TVA", en: "VAT accounting currency code", set: txt(func(i *inv) *string { return &i.TaxCurrency })},
		{id: "BT-7", kind: kDate, level: I, fr: "date d'exigibilité de la TVA", en: "VAT point date", set: dat(func(i *inv) *invoice.Date { return &i.TaxPointDate })},
		{id: "BT-8", level: I, fr: "code de date d'exigibilité de la TVA", en: "VAT point date code", set: txt(func(i *inv) *string { return &i.TaxPointDateCode })},
		{id: "BT-9", kind: kDate, level: I, fr: "date d'échéance", en: "payment due date", set: dat(func(i *inv) *invoice.Date { return &i.DueDate })},
		{id: "BT-10", level: I, fr: "référence acheteur", en: "buyer reference", set: txt(func(i *inv) *string { return &i.BuyerReference })},
		{id: "BT-11", level: I, fr: "référence de projet", en: "project reference", set: txt(func(i *inv) *string { return &i.ProjectReference })},
		{id: "BT-12", level: I, fr: "référence de contrat", en: "contract reference", set: txt(func(i *inv) *string { return &i.ContractReference })},
		{id: "BT-13", level: I, fr: "référence du bon de commande", en: "purchase order reference", set: txt(func(i *inv) *string { return &i.PurchaseOrderReference })},
		{id: "BT-14", level: I, fr: "référence de la commande client", en: "sales order reference", set: txt(func(i *inv) *string { return &i.SalesOrderReference })},
		{id: "BT-15", level: I, fr: "référence de l'avis de réception", en: "receiving advice reference", set: txt(func(i *inv) *string { return &i.ReceivingAdviceReference })},
		{id: "BT-16", level: I, fr: "référence de l'avis d'expédition", en: "despatch advice reference", set: txt(func(i *inv) *string { return &i.DespatchAdviceReference })},
		{id: "BT-17", level: I, fr: "référence de l'appel d'offres ou du lot", en: "tender or lot reference", set: txt(func(i *inv) *string { return &i.TenderOrLotReference })},
		{id: "BT-18", level: I, scheme: true, fr: "identifiant de l'objet facturé", en: "invoiced object identifier", set: sid(func(i *inv) *invoice.ID { return &i.InvoicedObject })},
		{id: "BT-19", level: I, fr: "référence comptable de l'acheteur", en: "buyer accounting reference", set: txt(func(i *inv) *string { return &i.BuyerAccountingReference })},
		{id: "BT-20", level: I, fr: "conditions de paiement", en: "payment terms", set: txt(func(i *inv) *string { return &i.PaymentTerms })},
		{id: "BT-21", level: I, group: "BG-1", fr: "code du sujet de la note", en: "invoice note subject code", set: txt(func(n *note) *string { return &n.SubjectCode })},
		{id: "BT-22", level: I, group: "BG-1", fr: "note de facture", en: "invoice note", set: txt(func(n *note) *string { return &n.Text })},
		{id: "BT-23", level: I, fr: "type de processus métier", en: "business process type", set: txt(func(i *inv) *string { return &i.BusinessProcess })},
		{id: "BT-24", level: I, fr: "identifiant de spécification", en: "specification identifier", set: txt(func(i *inv) *string { return &i.Specification })},
		{id: "BT-25", level: I, group: "BG-3", fr: "référence de la facture antérieure", en: "preceding invoice reference", set: txt(func(p *prec) *string { return &p.Number })},
		{id: "BT-26", kind: kDate, level: I, group: "BG-3", fr: "date de la facture antérieure", en: "preceding invoice issue date", set: dat(func(p *prec) *invoice.Date { return &p.IssueDate })},

		// Seller (BG-4, BG-5, BG-6).
		{id: "BT-27", level: I, fr: "nom du vendeur", en: "seller name", set: txt(func(i *inv) *string { return &i.Seller.Name })},
		{id: "BT-28", level: I, fr: "nom commercial du vendeur", en: "seller trading name", set: txt(func(i *inv) *string { return &i.Seller.TradingName })},
		{id: "BT-29", level: I, scheme: true, multi: true, fr: "identifiant du vendeur", en: "seller identifier", set: func(d any, v *value) {
			i := d.(*inv)
			i.Seller.IDs = append(i.Seller.IDs, invoice.ID{Value: v.s, Scheme: v.scheme})
		}},
		{id: "BT-30", level: I, scheme: true, fr: "immatriculation légale du vendeur", en: "seller legal registration identifier", set: sid(func(i *inv) *invoice.ID { return &i.Seller.LegalID })},
		{id: "BT-31", level: I, fr: "numéro de TVA du vendeur", en: "seller VAT identifier", set: txt(func(i *inv) *string { return &i.Seller.VATID })},
		{id: "BT-32", level: I, fr: "identifiant fiscal du vendeur", en: "seller tax registration identifier", set: txt(func(i *inv) *string { return &i.Seller.TaxRegistrationID })},
		{id: "BT-33", level: I, fr: "informations juridiques du vendeur", en: "seller additional legal information", set: txt(func(i *inv) *string { return &i.Seller.LegalInfo })},
		{id: "BT-34", level: I, scheme: true, fr: "adresse électronique du vendeur", en: "seller electronic address", set: sid(func(i *inv) *invoice.ID { return &i.Seller.ElectronicAddress })},
		{id: "BT-35", level: I, fr: "adresse du vendeur (ligne 1)", en: "seller address line 1", set: txt(func(i *inv) *string { return &addr(&i.Seller.Address).Line1 })},
		{id: "BT-36", level: I, fr: "adresse du vendeur (ligne 2)", en: "seller address line 2", set: txt(func(i *inv) *string { return &addr(&i.Seller.Address).Line2 })},
		{id: "BT-162", level: I, fr: "adresse du vendeur (ligne 3)", en: "seller address line 3", set: txt(func(i *inv) *string { return &addr(&i.Seller.Address).Line3 })},
		{id: "BT-37", level: I, fr: "ville du vendeur", en: "seller city", set: txt(func(i *inv) *string { return &addr(&i.Seller.Address).City })},
		{id: "BT-38", level: I, fr: "code postal du vendeur", en: "seller post code", set: txt(func(i *inv) *string { return &addr(&i.Seller.Address).PostCode })},
		{id: "BT-39", level: I, fr: "subdivision du pays du vendeur", en: "seller country subdivision", set: txt(func(i *inv) *string { return &addr(&i.Seller.Address).Subdivision })},
		{id: "BT-40", level: I, fr: "code pays du vendeur", en: "seller country code", set: txt(func(i *inv) *string { return &addr(&i.Seller.Address).Country })},
		{id: "BT-41", level: I, fr: "contact du vendeur", en: "seller contact point", set: txt(func(i *inv) *string { return &contact(&i.Seller.Contact).Name })},
		{id: "BT-42", level: I, fr: "téléphone du contact du vendeur", en: "seller contact telephone number", set: txt(func(i *inv) *string { return &contact(&i.Seller.Contact).Phone })},
		{id: "BT-43", level: I, fr: "e-mail du contact du vendeur", en: "seller contact email address", set: txt(func(i *inv) *string { return &contact(&i.Seller.Contact).Email })},

		// Buyer (BG-7, BG-8, BG-9).
		{id: "BT-44", level: I, fr: "nom de l'acheteur", en: "buyer name", set: txt(func(i *inv) *string { return &i.Buyer.Name })},
		{id: "BT-45", level: I, fr: "nom commercial de l'acheteur", en: "buyer trading name", set: txt(func(i *inv) *string { return &i.Buyer.TradingName })},
		{id: "BT-46", level: I, scheme: true, fr: "identifiant de l'acheteur", en: "buyer identifier", set: func(d any, v *value) {
			d.(*inv).Buyer.IDs = []invoice.ID{{Value: v.s, Scheme: v.scheme}}
		}},
		{id: "BT-47", level: I, scheme: true, fr: "immatriculation légale de l'acheteur", en: "buyer legal registration identifier", set: sid(func(i *inv) *invoice.ID { return &i.Buyer.LegalID })},
		{id: "BT-48", level: I, fr: "numéro de TVA de l'acheteur", en: "buyer VAT identifier", set: txt(func(i *inv) *string { return &i.Buyer.VATID })},
		{id: "BT-49", level: I, scheme: true, fr: "adresse électronique de l'acheteur", en: "buyer electronic address", set: sid(func(i *inv) *invoice.ID { return &i.Buyer.ElectronicAddress })},
		{id: "BT-50", level: I, fr: "adresse de l'acheteur (ligne 1)", en: "buyer address line 1", set: txt(func(i *inv) *string { return &addr(&i.Buyer.Address).Line1 })},
		{id: "BT-51", level: I, fr: "adresse de l'acheteur (ligne 2)", en: "buyer address line 2", set: txt(func(i *inv) *string { return &addr(&i.Buyer.Address).Line2 })},
		{id: "BT-163", level: I, fr: "adresse de l'acheteur (ligne 3)", en: "buyer address line 3", set: txt(func(i *inv) *string { return &addr(&i.Buyer.Address).Line3 })},
		{id: "BT-52", level: I, fr: "ville de l'acheteur", en: "buyer city", set: txt(func(i *inv) *string { return &addr(&i.Buyer.Address).City })},
		{id: "BT-53", level: I, fr: "code postal de l'acheteur", en: "buyer post code", set: txt(func(i *inv) *string { return &addr(&i.Buyer.Address).PostCode })},
		{id: "BT-54", level: I, fr: "subdivision du pays de l'acheteur", en: "buyer country subdivision", set: txt(func(i *inv) *string { return &addr(&i.Buyer.Address).Subdivision })},
		{id: "BT-55", level: I, fr: "code pays de l'acheteur", en: "buyer country code", set: txt(func(i *inv) *string { return &addr(&i.Buyer.Address).Country })},
		{id: "BT-56", level: I, fr: "contact de l'acheteur", en: "buyer contact point", set: txt(func(i *inv) *string { return &contact(&i.Buyer.Contact).Name })},
		{id: "BT-57", level: I, fr: "téléphone du contact de l'acheteur", en: "buyer contact telephone number", set: txt(func(i *inv) *string { return &contact(&i.Buyer.Contact).Phone })},
		{id: "BT-58", level: I, fr: "e-mail du contact de l'acheteur", en: "buyer contact email address", set: txt(func(i *inv) *string { return &contact(&i.Buyer.Contact).Email })},

		// Payee (BG-10), tax representative (BG-11, BG-12).
		{id: "BT-59", level: I, fr: "nom du bénéficiaire", en: "payee name", set: txt(func(i *inv) *string { return &payee(i).Name })},
		{id: "BT-60", level: I, scheme: true, fr: "identifiant du bénéficiaire", en: "payee identifier", set: sid(func(i *inv) *invoice.ID { return &payee(i).ID })},
		{id: "BT-61", level: I, scheme: true, fr: "immatriculation légale du bénéficiaire", en: "payee legal registration identifier", set: sid(func(i *inv) *invoice.ID { return &payee(i).LegalID })},
		{id: "BT-62", level: I, fr: "nom du représentant fiscal", en: "tax representative name", set: txt(func(i *inv) *string { return &taxRep(i).Name })},
		{id: "BT-63", level: I, fr: "numéro de TVA du représentant fiscal", en: "tax representative VAT identifier", set: txt(func(i *inv) *string { return &taxRep(i).VATID })},
		{id: "BT-64", level: I, fr: "adresse du représentant fiscal (ligne 1)", en: "tax representative address line 1", set: txt(func(i *inv) *string { return &addr(&taxRep(i).Address).Line1 })},
		{id: "BT-65", level: I, fr: "adresse du représentant fiscal (ligne 2)", en: "tax representative address line 2", set: txt(func(i *inv) *string { return &addr(&taxRep(i).Address).Line2 })},
		{id: "BT-164", level: I, fr: "adresse du représentant fiscal (ligne 3)", en: "tax representative address line 3", set: txt(func(i *inv) *string { return &addr(&taxRep(i).Address).Line3 })},
		{id: "BT-66", level: I, fr: "ville du représentant fiscal", en: "tax representative city", set: txt(func(i *inv) *string { return &addr(&taxRep(i).Address).City })},
		{id: "BT-67", level: I, fr: "code postal du représentant fiscal", en: "tax representative post code", set: txt(func(i *inv) *string { return &addr(&taxRep(i).Address).PostCode })},
		{id: "BT-68", level: I, fr: "subdivision du pays du représentant fiscal", en: "tax representative country subdivision", set: txt(func(i *inv) *string { return &addr(&taxRep(i).Address).Subdivision })},
		{id: "BT-69", level: I, fr: "code pays du représentant fiscal", en: "tax representative country code", set: txt(func(i *inv) *string { return &addr(&taxRep(i).Address).Country })},

		// Delivery (BG-13, BG-15), invoicing period (BG-14).
		{id: "BT-70", level: I, fr: "nom du destinataire de la livraison", en: "deliver to party name", set: txt(func(i *inv) *string { return &delivery(i).PartyName })},
		{id: "BT-71", level: I, scheme: true, fr: "identifiant du lieu de livraison", en: "deliver to location identifier", set: sid(func(i *inv) *invoice.ID { return &delivery(i).LocationID })},
		{id: "BT-72", kind: kDate, level: I, fr: "date de livraison", en: "actual delivery date", set: dat(func(i *inv) *invoice.Date { return &delivery(i).Date })},
		{id: "BT-73", kind: kDate, level: I, fr: "début de la période de facturation", en: "invoicing period start date", set: dat(func(i *inv) *invoice.Date { return &period(&i.InvoicingPeriod).Start })},
		{id: "BT-74", kind: kDate, level: I, fr: "fin de la période de facturation", en: "invoicing period end date", set: dat(func(i *inv) *invoice.Date { return &period(&i.InvoicingPeriod).End })},
		{id: "BT-75", level: I, fr: "adresse de livraison (ligne 1)", en: "deliver to address line 1", set: txt(func(i *inv) *string { return &deliveryAddr(i).Line1 })},
		{id: "BT-76", level: I, fr: "adresse de livraison (ligne 2)", en: "deliver to address line 2", set: txt(func(i *inv) *string { return &deliveryAddr(i).Line2 })},
		{id: "BT-165", level: I, fr: "adresse de livraison (ligne 3)", en: "deliver to address line 3", set: txt(func(i *inv) *string { return &deliveryAddr(i).Line3 })},
		{id: "BT-77", level: I, fr: "ville de livraison", en: "deliver to city", set: txt(func(i *inv) *string { return &deliveryAddr(i).City })},
		{id: "BT-78", level: I, fr: "code postal de livraison", en: "deliver to post code", set: txt(func(i *inv) *string { return &deliveryAddr(i).PostCode })},
		{id: "BT-79", level: I, fr: "subdivision du pays de livraison", en: "deliver to country subdivision", set: txt(func(i *inv) *string { return &deliveryAddr(i).Subdivision })},
		{id: "BT-80", level: I, fr: "code pays de livraison", en: "deliver to country code", set: txt(func(i *inv) *string { return &deliveryAddr(i).Country })},

		// Payment (BG-16 … BG-19).
		{id: "BT-81", level: I, fr: "code du moyen de paiement", en: "payment means type code", set: txt(func(i *inv) *string { return &payment(i).MeansCode })},
		{id: "BT-82", level: I, fr: "libellé du moyen de paiement", en: "payment means text", set: txt(func(i *inv) *string { return &payment(i).MeansText })},
		{id: "BT-83", level: I, fr: "référence du paiement", en: "remittance information", set: txt(func(i *inv) *string { return &payment(i).RemittanceInfo })},
		{id: "BT-84", level: I, group: "BG-17", fr: "compte de paiement (IBAN)", en: "payment account identifier", set: txt(func(c *ct) *string { return &c.AccountID })},
		{id: "BT-85", level: I, group: "BG-17", fr: "nom du compte de paiement", en: "payment account name", set: txt(func(c *ct) *string { return &c.AccountName })},
		{id: "BT-86", level: I, group: "BG-17", fr: "identifiant du prestataire de paiement (BIC)", en: "payment service provider identifier", set: txt(func(c *ct) *string { return &c.ProviderID })},
		{id: "BT-87", level: I, fr: "numéro de carte de paiement", en: "payment card primary account number", set: txt(func(i *inv) *string { return &card(i).PAN })},
		{id: "BT-88", level: I, fr: "titulaire de la carte", en: "payment card holder name", set: txt(func(i *inv) *string { return &card(i).Holder })},
		{id: "BT-89", level: I, fr: "référence du mandat", en: "mandate reference identifier", set: txt(func(i *inv) *string { return &debit(i).MandateID })},
		{id: "BT-90", level: I, fr: "identifiant créancier SEPA", en: "bank assigned creditor identifier", set: txt(func(i *inv) *string { return &debit(i).CreditorID })},
		{id: "BT-91", level: I, fr: "compte débité", en: "debited account identifier", set: txt(func(i *inv) *string { return &debit(i).DebitedAccount })},

		// Document level allowances (BG-20) and charges (BG-21).
		{id: "BT-92", kind: kNumber, level: I, group: "BG-20", fr: "montant de la remise", en: "document level allowance amount", set: num(func(a *ac) **decimal.Decimal { return &a.Amount })},
		{id: "BT-93", kind: kNumber, level: I, group: "BG-20", fr: "assiette de la remise", en: "document level allowance base amount", set: num(func(a *ac) **decimal.Decimal { return &a.BaseAmount })},
		{id: "BT-94", kind: kNumber, level: I, group: "BG-20", fr: "pourcentage de la remise", en: "document level allowance percentage", set: num(func(a *ac) **decimal.Decimal { return &a.Percentage })},
		{id: "BT-95", level: I, group: "BG-20", fr: "catégorie de TVA de la remise", en: "document level allowance VAT category code", set: txt(func(a *ac) *string { return &a.VATCategory })},
		{id: "BT-96", kind: kNumber, level: I, group: "BG-20", fr: "taux de TVA de la remise", en: "document level allowance VAT rate", set: num(func(a *ac) **decimal.Decimal { return &a.VATRate })},
		{id: "BT-97", level: I, group: "BG-20", fr: "motif de la remise", en: "document level allowance reason", set: txt(func(a *ac) *string { return &a.Reason })},
		{id: "BT-98", level: I, group: "BG-20", fr: "code du motif de la remise", en: "document level allowance reason code", set: txt(func(a *ac) *string { return &a.ReasonCode })},
		{id: "BT-99", kind: kNumber, level: I, group: "BG-21", fr: "montant des frais", en: "document level charge amount", set: num(func(a *ac) **decimal.Decimal { return &a.Amount })},
		{id: "BT-100", kind: kNumber, level: I, group: "BG-21", fr: "assiette des frais", en: "document level charge base amount", set: num(func(a *ac) **decimal.Decimal { return &a.BaseAmount })},
		{id: "BT-101", kind: kNumber, level: I, group: "BG-21", fr: "pourcentage des frais", en: "document level charge percentage", set: num(func(a *ac) **decimal.Decimal { return &a.Percentage })},
		{id: "BT-102", level: I, group: "BG-21", fr: "catégorie de TVA des frais", en: "document level charge VAT category code", set: txt(func(a *ac) *string { return &a.VATCategory })},
		{id: "BT-103", kind: kNumber, level: I, group: "BG-21", fr: "taux de TVA des frais", en: "document level charge VAT rate", set: num(func(a *ac) **decimal.Decimal { return &a.VATRate })},
		{id: "BT-104", level: I, group: "BG-21", fr: "motif des frais", en: "document level charge reason", set: txt(func(a *ac) *string { return &a.Reason })},
		{id: "BT-105", level: I, group: "BG-21", fr: "code du motif des frais", en: "document level charge reason code", set: txt(func(a *ac) *string { return &a.ReasonCode })},

		// Totals (BG-22): normally computed; mappable for exports that carry them (BT-113 paid
		// amount, BT-114 rounding).
		{id: "BT-106", kind: kNumber, level: I, fr: "total des montants nets des lignes", en: "sum of invoice line net amounts", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.LineTotal })},
		{id: "BT-107", kind: kNumber, level: I, fr: "total des remises", en: "sum of allowances on document level", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.AllowanceTotal })},
		{id: "BT-108", kind: kNumber, level: I, fr: "total des frais", en: "sum of charges on document level", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.ChargeTotal })},
		{id: "BT-109", kind: kNumber, level: I, fr: "total HT", en: "invoice total amount without VAT", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.TaxExclusive })},
		{id: "BT-110", kind: kNumber, level: I, fr: "total de la TVA", en: "invoice total VAT amount", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.TaxTotal })},
		{id: "BT-111", kind: kNumber, level: I, fr: "total de la TVA en devise de comptabilisation", en: "invoice total VAT amount in accounting currency", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.TaxTotalAcctCurr })},
		{id: "BT-112", kind: kNumber, level: I, fr: "total TTC", en: "invoice total amount with VAT", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.TaxInclusive })},
		{id: "BT-113", kind: kNumber, level: I, fr: "montant déjà payé", en: "paid amount", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.Paid })},
		{id: "BT-114", kind: kNumber, level: I, fr: "arrondi", en: "rounding amount", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.Rounding })},
		{id: "BT-115", kind: kNumber, level: I, fr: "montant à payer", en: "amount due for payment", set: num(func(i *inv) **decimal.Decimal { return &i.Totals.Payable })},

		// VAT breakdown (BG-23): normally computed; mappable for the exemption reasons.
		{id: "BT-116", kind: kNumber, level: I, group: "BG-23", fr: "base HT de la catégorie de TVA", en: "VAT category taxable amount", set: num(func(v *vat) **decimal.Decimal { return &v.TaxableAmount })},
		{id: "BT-117", kind: kNumber, level: I, group: "BG-23", fr: "montant de TVA de la catégorie", en: "VAT category tax amount", set: num(func(v *vat) **decimal.Decimal { return &v.TaxAmount })},
		{id: "BT-118", level: I, group: "BG-23", fr: "code de la catégorie de TVA", en: "VAT category code", set: txt(func(v *vat) *string { return &v.Category })},
		{id: "BT-119", kind: kNumber, level: I, group: "BG-23", fr: "taux de la catégorie de TVA", en: "VAT category rate", set: num(func(v *vat) **decimal.Decimal { return &v.Rate })},
		{id: "BT-120", level: I, group: "BG-23", fr: "motif d'exonération de TVA", en: "VAT exemption reason text", set: txt(func(v *vat) *string { return &v.ExemptionReason })},
		{id: "BT-121", level: I, group: "BG-23", fr: "code du motif d'exonération de TVA", en: "VAT exemption reason code", set: txt(func(v *vat) *string { return &v.ExemptionReasonCode })},

		// Supporting documents (BG-24); BT-125 reads a file or base64 (attachments.go).
		{id: "BT-122", level: I, group: "BG-24", fr: "référence du document justificatif", en: "supporting document reference", set: txt(func(d *doc) *string { return &d.ID })},
		{id: "BT-123", level: I, group: "BG-24", fr: "description du document justificatif", en: "supporting document description", set: txt(func(d *doc) *string { return &d.Description })},
		{id: "BT-124", level: I, group: "BG-24", fr: "adresse du document externe", en: "external document location", set: txt(func(d *doc) *string { return &d.URI })},
		{id: "BT-125", level: I, group: "BG-24", fr: "document joint", en: "attached document", set: func(d any, v *value) { d.(*doc).Attachment = v.att }},

		// Invoice line (BG-25 … BG-32).
		{id: "BT-126", level: L, fr: "numéro de ligne", en: "invoice line identifier", set: txt(func(l *line) *string { return &l.ID })},
		{id: "BT-127", level: L, fr: "note de ligne", en: "invoice line note", set: txt(func(l *line) *string { return &l.Note })},
		{id: "BT-128", level: L, scheme: true, fr: "identifiant d'objet de la ligne", en: "invoice line object identifier", set: sid(func(l *line) *invoice.ID { return &l.ObjectID })},
		{id: "BT-129", kind: kNumber, level: L, fr: "quantité facturée", en: "invoiced quantity", set: num(func(l *line) **decimal.Decimal { return &l.Quantity })},
		{id: "BT-130", level: L, fr: "unité de quantité", en: "invoiced quantity unit of measure", set: txt(func(l *line) *string { return &l.UnitCode })},
		{id: "BT-131", kind: kNumber, level: L, fr: "montant net de la ligne", en: "invoice line net amount", set: num(func(l *line) **decimal.Decimal { return &l.NetAmount })},
		{id: "BT-132", level: L, fr: "référence de ligne de commande", en: "referenced purchase order line reference", set: txt(func(l *line) *string { return &l.OrderLineReference })},
		{id: "BT-133", level: L, fr: "référence comptable de la ligne", en: "invoice line buyer accounting reference", set: txt(func(l *line) *string { return &l.BuyerAccountingReference })},
		{id: "BT-134", kind: kDate, level: L, fr: "début de la période de la ligne", en: "invoice line period start date", set: dat(func(l *line) *invoice.Date { return &period(&l.Period).Start })},
		{id: "BT-135", kind: kDate, level: L, fr: "fin de la période de la ligne", en: "invoice line period end date", set: dat(func(l *line) *invoice.Date { return &period(&l.Period).End })},
		// EXTENDED-CTC-FR: the invoice a line corrects (a credit note for several invoices).
		{id: "EXT-FR-FE-136", level: L, fr: "facture antérieure de la ligne", en: "invoice line preceding invoice reference", set: txt(func(l *line) *string { return &linePreceding(l).Number })},
		{id: "EXT-FR-FE-138", kind: kDate, level: L, fr: "date de la facture antérieure de la ligne", en: "invoice line preceding invoice issue date", set: dat(func(l *line) *invoice.Date { return &linePreceding(l).IssueDate })},
		{id: "BT-136", kind: kNumber, level: L, group: "BG-27", fr: "montant de la remise sur la ligne", en: "invoice line allowance amount", set: num(func(a *ac) **decimal.Decimal { return &a.Amount })},
		{id: "BT-137", kind: kNumber, level: L, group: "BG-27", fr: "assiette de la remise sur la ligne", en: "invoice line allowance base amount", set: num(func(a *ac) **decimal.Decimal { return &a.BaseAmount })},
		{id: "BT-138", kind: kNumber, level: L, group: "BG-27", fr: "pourcentage de remise sur la ligne", en: "invoice line allowance percentage", set: num(func(a *ac) **decimal.Decimal { return &a.Percentage })},
		{id: "BT-139", level: L, group: "BG-27", fr: "motif de la remise sur la ligne", en: "invoice line allowance reason", set: txt(func(a *ac) *string { return &a.Reason })},
		{id: "BT-140", level: L, group: "BG-27", fr: "code du motif de la remise sur la ligne", en: "invoice line allowance reason code", set: txt(func(a *ac) *string { return &a.ReasonCode })},
		{id: "BT-141", kind: kNumber, level: L, group: "BG-28", fr: "montant des frais sur la ligne", en: "invoice line charge amount", set: num(func(a *ac) **decimal.Decimal { return &a.Amount })},
		{id: "BT-142", kind: kNumber, level: L, group: "BG-28", fr: "assiette des frais sur la ligne", en: "invoice line charge base amount", set: num(func(a *ac) **decimal.Decimal { return &a.BaseAmount })},
		{id: "BT-143", kind: kNumber, level: L, group: "BG-28", fr: "pourcentage des frais sur la ligne", en: "invoice line charge percentage", set: num(func(a *ac) **decimal.Decimal { return &a.Percentage })},
		{id: "BT-144", level: L, group: "BG-28", fr: "motif des frais sur la ligne", en: "invoice line charge reason", set: txt(func(a *ac) *string { return &a.Reason })},
		{id: "BT-145", level: L, group: "BG-28", fr: "code du motif des frais sur la ligne", en: "invoice line charge reason code", set: txt(func(a *ac) *string { return &a.ReasonCode })},
		{id: "BT-146", kind: kNumber, level: L, fr: "prix unitaire net", en: "item net price", set: num(func(l *line) **decimal.Decimal { return &l.Price.Net })},
		{id: "BT-147", kind: kNumber, level: L, fr: "remise sur le prix unitaire", en: "item price discount", set: num(func(l *line) **decimal.Decimal { return &l.Price.Discount })},
		{id: "BT-148", kind: kNumber, level: L, fr: "prix unitaire brut", en: "item gross price", set: num(func(l *line) **decimal.Decimal { return &l.Price.Gross })},
		{id: "BT-149", kind: kNumber, level: L, fr: "quantité de base du prix", en: "item price base quantity", set: num(func(l *line) **decimal.Decimal { return &l.Price.BaseQuantity })},
		{id: "BT-150", level: L, fr: "unité de la quantité de base du prix", en: "item price base quantity unit of measure", set: txt(func(l *line) *string { return &l.Price.BaseUnitCode })},
		{id: "BT-151", level: L, fr: "catégorie de TVA de la ligne", en: "invoiced item VAT category code", set: txt(func(l *line) *string { return &l.VATCategory })},
		{id: "BT-152", kind: kNumber, level: L, fr: "taux de TVA de la ligne", en: "invoiced item VAT rate", set: num(func(l *line) **decimal.Decimal { return &l.VATRate })},
		{id: "BT-153", level: L, fr: "désignation de l'article", en: "item name", set: txt(func(l *line) *string { return &l.Item.Name })},
		{id: "BT-154", level: L, fr: "description de l'article", en: "item description", set: txt(func(l *line) *string { return &l.Item.Description })},
		{id: "BT-155", level: L, fr: "référence article du vendeur", en: "item seller's identifier", set: txt(func(l *line) *string { return &l.Item.SellerID })},
		{id: "BT-156", level: L, fr: "référence article de l'acheteur", en: "item buyer's identifier", set: txt(func(l *line) *string { return &l.Item.BuyerID })},
		{id: "BT-157", level: L, scheme: true, fr: "identifiant standard de l'article", en: "item standard identifier", set: sid(func(l *line) *invoice.ID { return &l.Item.StandardID })},
		{id: "BT-158", level: L, scheme: true, multi: true, fr: "classification de l'article", en: "item classification identifier", set: func(d any, v *value) {
			l := d.(*line)
			l.Item.Classifications = append(l.Item.Classifications, invoice.Classification{Code: v.s, Scheme: v.scheme})
		}},
		{id: "BT-159", level: L, fr: "pays d'origine de l'article", en: "item country of origin", set: txt(func(l *line) *string { return &l.Item.OriginCountry })},
		{id: "BT-160", level: L, group: "BG-32", fr: "nom de l'attribut de l'article", en: "item attribute name", set: txt(func(a *attr) *string { return &a.Name })},
		{id: "BT-161", level: L, group: "BG-32", fr: "valeur de l'attribut de l'article", en: "item attribute value", set: txt(func(a *attr) *string { return &a.Value })},
	} {
		if _, dup := terms[d.id]; dup {
			panic("mapping: duplicate term " + d.id)
		}
		if g := d.group; g != "" && (groups[g] == nil || groups[g].level != d.level) {
			panic("mapping: bad group for " + d.id)
		}
		terms[d.id] = d
	}
}

// percentLike reports whether a number term is a rate or percentage, where a trailing "%"
// in the source is tolerated.
func percentLike(bt string) bool {
	switch bt {
	case "BT-94", "BT-96", "BT-101", "BT-103", "BT-119", "BT-138", "BT-143", "BT-152":
		return true
	}
	return false
}

// groupCount is the number of instances of group g that parent (the invoice or a line)
// holds: the 1-based index of the instance just added.
func groupCount(g string, parent any) int {
	switch p := parent.(type) {
	case *inv:
		switch g {
		case "BG-1":
			return len(p.Notes)
		case "BG-3":
			return len(p.PrecedingInvoices)
		case "BG-17":
			if p.Payment == nil {
				return 0
			}
			return len(p.Payment.CreditTransfer)
		case "BG-20":
			return len(p.Allowances)
		case "BG-21":
			return len(p.Charges)
		case "BG-23":
			return len(p.VAT)
		case "BG-24":
			return len(p.Documents)
		}
	case *line:
		switch g {
		case "BG-27":
			return len(p.Allowances)
		case "BG-28":
			return len(p.Charges)
		case "BG-32":
			return len(p.Item.Attributes)
		}
	}
	return 0
}
