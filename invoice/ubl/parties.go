package ubl

import (
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// Tax scheme identifiers of cac:PartyTaxScheme: VAT for BT-31/BT-48/BT-63, anything else
// for the seller tax registration (BT-32); the EN 16931 test files use TAX.
const (
	schemeVAT      = "VAT"
	schemeTaxReg   = "TAX"
	schemeSEPA     = "SEPA" // schemeID of the creditor identifier BT-90
	partySeller    = "BG-4"
	partyBuyer     = "BG-7"
	partyPayee     = "BG-10"
	partyTaxRep    = "BG-11"
	partyDeliverTo = "BG-13"
)

// parties writes the seller, buyer, payee and tax representative.
func (w *writer) parties(root *xmlw.Element) {
	inv := w.inv
	var sepa string
	if p := inv.Payment; p != nil && p.DirectDebit != nil {
		sepa = p.DirectDebit.CreditorID
	}
	w.party(el(el(root, "cac:AccountingSupplierParty"), "cac:Party"), &inv.Seller, sepa)
	w.party(el(el(root, "cac:AccountingCustomerParty"), "cac:Party"), &inv.Buyer, "")
	if p := inv.Payee; p != nil && (p.Name != "" || !p.ID.IsZero() || !p.LegalID.IsZero()) {
		e := el(root, "cac:PayeeParty")
		if !p.ID.IsZero() {
			id(el(e, "cac:PartyIdentification"), "cbc:ID", p.ID)
		}
		if p.Name != "" {
			text(el(e, "cac:PartyName"), "cbc:Name", p.Name)
		}
		if !p.LegalID.IsZero() {
			id(el(e, "cac:PartyLegalEntity"), "cbc:CompanyID", p.LegalID)
		}
	}
	if t := inv.TaxRepresentative; t != nil && (t.Name != "" || t.VATID != "" || t.Address != nil) {
		e := el(root, "cac:TaxRepresentativeParty")
		if t.Name != "" {
			text(el(e, "cac:PartyName"), "cbc:Name", t.Name)
		}
		address(e, "cac:PostalAddress", t.Address)
		partyTaxScheme(e, t.VATID, schemeVAT)
	}
}

// party writes the content of a seller or buyer cac:Party; sepa is the creditor identifier
// (BT-90) the seller carries.
func (w *writer) party(e *xmlw.Element, p *invoice.Party, sepa string) {
	id(e, "cbc:EndpointID", p.ElectronicAddress)
	for _, v := range p.IDs {
		id(el(e, "cac:PartyIdentification"), "cbc:ID", v)
	}
	if sepa != "" {
		id(el(e, "cac:PartyIdentification"), "cbc:ID", invoice.ID{Value: sepa, Scheme: schemeSEPA})
	}
	if p.TradingName != "" {
		text(el(e, "cac:PartyName"), "cbc:Name", p.TradingName)
	}
	address(e, "cac:PostalAddress", p.Address)
	partyTaxScheme(e, p.VATID, schemeVAT)
	partyTaxScheme(e, p.TaxRegistrationID, schemeTaxReg)
	if p.Name != "" || !p.LegalID.IsZero() || p.LegalInfo != "" {
		le := el(e, "cac:PartyLegalEntity")
		text(le, "cbc:RegistrationName", p.Name)
		id(le, "cbc:CompanyID", p.LegalID)
		text(le, "cbc:CompanyLegalForm", p.LegalInfo)
	}
	if c := p.Contact; c != nil && (c.Name != "" || c.Phone != "" || c.Email != "") {
		ce := el(e, "cac:Contact")
		text(ce, "cbc:Name", c.Name)
		text(ce, "cbc:Telephone", c.Phone)
		text(ce, "cbc:ElectronicMail", c.Email)
	}
}

func partyTaxScheme(parent *xmlw.Element, companyID, scheme string) {
	if companyID == "" {
		return
	}
	e := el(parent, "cac:PartyTaxScheme")
	text(e, "cbc:CompanyID", companyID)
	taxScheme(e, scheme)
}

// address writes a postal address (BG-5, BG-8, BG-12, BG-15) unless it is absent (nil);
// an address without any term is written as an empty element, which the rules tell from
// none (BR-08, BR-09).
func address(parent *xmlw.Element, tag string, a *invoice.Address) {
	if a == nil {
		return
	}
	e := el(parent, tag)
	text(e, "cbc:StreetName", a.Line1)
	text(e, "cbc:AdditionalStreetName", a.Line2)
	text(e, "cbc:CityName", a.City)
	text(e, "cbc:PostalZone", a.PostCode)
	text(e, "cbc:CountrySubentity", a.Subdivision)
	if a.Line3 != "" {
		text(el(e, "cac:AddressLine"), "cbc:Line", a.Line3)
	}
	if a.Country != "" {
		text(el(e, "cac:Country"), "cbc:IdentificationCode", a.Country)
	}
}

// delivery writes cac:Delivery (BG-13).
func (w *writer) delivery(root *xmlw.Element) {
	d := w.inv.Delivery
	if d == nil {
		return
	}
	hasAddr := d.Address != nil
	if d.PartyName == "" && d.LocationID.IsZero() && d.Date.IsZero() && !hasAddr {
		return
	}
	e := el(root, "cac:Delivery")
	date(e, "cbc:ActualDeliveryDate", d.Date)
	if !d.LocationID.IsZero() || hasAddr {
		loc := el(e, "cac:DeliveryLocation")
		id(loc, "cbc:ID", d.LocationID)
		if hasAddr {
			address(loc, "cac:Address", d.Address)
		}
	}
	if d.PartyName != "" {
		text(el(el(e, "cac:DeliveryParty"), "cac:PartyName"), "cbc:Name", d.PartyName)
	}
}

// readParties reads the seller, buyer, payee and tax representative.
func (r *reader) readParties(root *schematron.Node) {
	inv := r.inv
	if e := child(r.one(root, "cac:AccountingSupplierParty", partySeller, partySeller), "cac:Party"); e != nil {
		inv.Seller = r.readParty(e, partySeller)
	}
	if e := child(r.one(root, "cac:AccountingCustomerParty", partyBuyer, partyBuyer), "cac:Party"); e != nil {
		inv.Buyer = r.readParty(e, partyBuyer)
	}
	if e := r.one(root, "cac:PayeeParty", partyPayee, partyPayee); e != nil {
		p := &invoice.Payee{
			Name:    textOf(child(r.one(e, "cac:PartyName", partyPayee, "BT-59"), "cbc:Name")),
			LegalID: idOf(child(e, "cac:PartyLegalEntity", "cbc:CompanyID")),
		}
		for _, pi := range elements(e, "cac:PartyIdentification") {
			v := idOf(child(pi, "cbc:ID"))
			if r.creditorID(v) {
				continue
			}
			if p.ID.IsZero() {
				p.ID = v
			} else {
				r.finding(invoice.Warning, pi, partyPayee, "a second payee identifier is ignored",
					"un second identifiant du bénéficiaire est ignoré", "BT-60")
			}
		}
		inv.Payee = p
	}
	if e := r.one(root, "cac:TaxRepresentativeParty", partyTaxRep, partyTaxRep); e != nil {
		t := &invoice.TaxRepresentative{
			Name:    textOf(child(r.one(e, "cac:PartyName", partyTaxRep, "BT-62"), "cbc:Name")),
			Address: r.readAddress(r.one(e, "cac:PostalAddress", partyTaxRep, "BG-12")),
		}
		// Only a VAT scheme holds BT-63, as the official BR-56 reads it.
		for _, s := range elements(e, "cac:PartyTaxScheme") {
			scheme := strings.ToUpper(textOf(child(s, "cac:TaxScheme", "cbc:ID")))
			switch {
			case scheme != schemeVAT:
				r.finding(invoice.Warning, s, partyTaxRep,
					fmt.Sprintf("tax representative PartyTaxScheme with TaxScheme %q is not a VAT identifier (BT-63); ignored", scheme),
					fmt.Sprintf("PartyTaxScheme du représentant fiscal de TaxScheme « %s » : ce n'est pas un numéro de TVA (BT-63) ; ignoré", scheme), "BT-63")
			case t.VATID == "":
				t.VATID = textOf(child(s, "cbc:CompanyID"))
			}
		}
		inv.TaxRepresentative = t
	}
}

// creditorID takes v as the SEPA creditor identifier (BT-90) when it has that scheme and
// the invoice has payment instructions; it reports whether it did.
func (r *reader) creditorID(v invoice.ID) bool {
	p := r.inv.Payment
	if v.Scheme != schemeSEPA || p == nil {
		return false
	}
	if p.DirectDebit == nil {
		p.DirectDebit = &invoice.DirectDebit{}
	}
	if p.DirectDebit.CreditorID == "" {
		p.DirectDebit.CreditorID = v.Value
	}
	return true
}

// readParty reads a seller or buyer cac:Party.
func (r *reader) readParty(e *schematron.Node, path string) invoice.Party {
	seller := path == partySeller
	p := invoice.Party{
		ElectronicAddress: idOf(r.one(e, "cbc:EndpointID", path, "BT-34")),
		TradingName:       textOf(child(r.one(e, "cac:PartyName", path, "BT-28"), "cbc:Name")),
		Address:           r.readAddress(r.one(e, "cac:PostalAddress", path, "BG-5")),
	}
	for _, pi := range elements(e, "cac:PartyIdentification") {
		v := idOf(child(pi, "cbc:ID"))
		if seller && r.creditorID(v) {
			continue
		}
		p.IDs = append(p.IDs, v)
	}
	for _, s := range elements(e, "cac:PartyTaxScheme") {
		company := textOf(child(s, "cbc:CompanyID"))
		isVAT := textOf(child(s, "cac:TaxScheme", "cbc:ID")) == schemeVAT
		switch {
		case isVAT && p.VATID == "":
			p.VATID = company
		case !isVAT && seller && p.TaxRegistrationID == "":
			p.TaxRegistrationID = company
		default:
			r.finding(invoice.Warning, s, path, "a further party tax scheme is ignored",
				"un régime fiscal supplémentaire de la partie est ignoré", "BT-31", "BT-32", "BT-48")
		}
	}
	if le := r.one(e, "cac:PartyLegalEntity", path, "BT-30"); le != nil {
		p.Name = textOf(child(le, "cbc:RegistrationName"))
		p.LegalID = idOf(child(le, "cbc:CompanyID"))
		p.LegalInfo = textOf(child(le, "cbc:CompanyLegalForm"))
	}
	if c := r.one(e, "cac:Contact", path, "BG-6"); c != nil {
		ct := invoice.Contact{
			Name:  textOf(child(c, "cbc:Name")),
			Phone: textOf(child(c, "cbc:Telephone")),
			Email: textOf(child(c, "cbc:ElectronicMail")),
		}
		if ct != (invoice.Contact{}) {
			p.Contact = &ct
		}
	}
	return p
}

// readAddress reads a postal address; a nil element is an absent address (nil), an empty
// element an address without terms.
func (r *reader) readAddress(e *schematron.Node) *invoice.Address {
	if e == nil {
		return nil
	}
	return &invoice.Address{
		Line1:       textOf(child(e, "cbc:StreetName")),
		Line2:       textOf(child(e, "cbc:AdditionalStreetName")),
		Line3:       textOf(child(r.one(e, "cac:AddressLine", "", "BT-162"), "cbc:Line")),
		City:        textOf(child(e, "cbc:CityName")),
		PostCode:    textOf(child(e, "cbc:PostalZone")),
		Subdivision: textOf(child(e, "cbc:CountrySubentity")),
		Country:     textOf(child(e, "cac:Country", "cbc:IdentificationCode")),
	}
}

// readDelivery reads cac:Delivery (BG-13).
func (r *reader) readDelivery(root *schematron.Node) {
	e := r.one(root, "cac:Delivery", partyDeliverTo, partyDeliverTo)
	if e == nil {
		return
	}
	d := &invoice.Delivery{
		Date:      r.date(child(e, "cbc:ActualDeliveryDate"), partyDeliverTo, "BT-72"),
		PartyName: textOf(child(e, "cac:DeliveryParty", "cac:PartyName", "cbc:Name")),
	}
	if loc := child(e, "cac:DeliveryLocation"); loc != nil {
		d.LocationID = idOf(child(loc, "cbc:ID"))
		d.Address = r.readAddress(child(loc, "cac:Address"))
	}
	r.inv.Delivery = d
}
