package cii

import (
	"fmt"
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"

	"github.com/fluxgate/fluxgate/invoice"
)

// Parties: seller (BG-4..BG-6), buyer (BG-7..BG-9), payee (BG-10), seller tax
// representative (BG-11, BG-12) and the postal address shared by all of them (and by the
// delivery, BG-15).

// Tax registration schemes of ram:SpecifiedTaxRegistration/ram:ID/@schemeID.
const (
	taxSchemeVAT    = "VA" // BT-31, BT-48, BT-63
	taxSchemeFiscal = "FC" // BT-32
)

// party writes a ram:TradePartyType (seller or buyer) in schema order.
func (w *writer) party(parent *xmlw.Element, tag string, p *invoice.Party, seller bool) {
	if p.Name == "" && p.TradingName == "" && len(p.IDs) == 0 && p.LegalID.IsZero() && p.VATID == "" &&
		p.TaxRegistrationID == "" && p.LegalInfo == "" && p.ElectronicAddress.IsZero() && p.Address.IsZero() && p.Contact == nil {
		return
	}
	e := parent.CreateElement(tag)
	partyIDs(e, p.IDs)
	text(e, "ram:Name", p.Name)
	if seller {
		text(e, "ram:Description", p.LegalInfo)
	} else if p.LegalInfo != "" || p.TaxRegistrationID != "" {
		w.cannot("BT-33 and BT-32 exist for the seller only")
	}
	w.legalOrganization(e, p.LegalID, p.TradingName, tag)
	contact(e, p.Contact)
	address(e, p.Address)
	if p.ElectronicAddress.Value != "" {
		idElem(e.CreateElement("ram:URIUniversalCommunication"), "ram:URIID", p.ElectronicAddress)
	} else if p.ElectronicAddress.Scheme != "" {
		w.cannot("%s: electronic address scheme without an address", tag)
	}
	taxRegistration(e, p.VATID, taxSchemeVAT)
	taxRegistration(e, p.TaxRegistrationID, taxSchemeFiscal)
}

func (r *reader) party(e *schematron.Node, seller bool) invoice.Party {
	var p invoice.Party
	if e == nil {
		return p
	}
	p.IDs = r.partyIDs(e)
	if !seller && len(p.IDs) > 1 {
		r.finding(e, invoice.Warning, "CII-SR-450", []string{"BT-46"},
			"un seul identifiant de l'acheteur devrait être présent (ID ou GlobalID)",
			"only one buyer identifier should be present (either the ID or the Global ID)")
	}
	p.Name = textOf(e, "Name")
	if seller {
		p.LegalInfo = textOf(e, "Description")
	}
	if lo := child(e, "SpecifiedLegalOrganization"); lo != nil {
		p.LegalID = idOf(child(lo, "ID"))
		p.TradingName = textOf(lo, "TradingBusinessName")
	}
	bt, rule := "BT-56", "CII-SR-456"
	if seller {
		bt, rule = "BT-41", "CII-SR-455"
	}
	contact := r.firstOf(e, "DefinedTradeContact", invoice.Fatal, rule, []string{bt},
		"DefinedTradeContact ne doit apparaître qu'une fois ; les suivants sont ignorés",
		"DefinedTradeContact shall exist maximum once; the others are ignored")
	if contact != nil {
		p.Contact = readContact(contact)
	}
	p.Address = readAddress(child(e, "PostalTradeAddress"))
	uriRule := "CII-SR-460"
	if seller {
		uriRule = "CII-SR-459"
	}
	uri := r.firstOf(e, "URIUniversalCommunication", invoice.Fatal, uriRule, []string{"BT-34"},
		"URIUniversalCommunication ne doit apparaître qu'une fois ; les suivants sont ignorés",
		"URIUniversalCommunication should exist maximum once; the others are ignored")
	if uri != nil {
		p.ElectronicAddress = idOf(child(uri, "URIID"))
	}
	for _, tr := range children(e, "SpecifiedTaxRegistration") {
		id := child(tr, "ID")
		switch scheme := attr(id, "schemeID"); {
		case scheme == taxSchemeVAT && p.VATID == "":
			p.VATID = value(id)
		case scheme == taxSchemeFiscal && seller && p.TaxRegistrationID == "":
			p.TaxRegistrationID = value(id)
		default:
			r.finding(tr, invoice.Warning, "", []string{"BT-31", "BT-32", "BT-48"},
				fmt.Sprintf("identifiant fiscal %q (schéma %q) ignoré : le modèle ne le porte pas", value(id), scheme),
				fmt.Sprintf("tax registration %q (scheme %q) ignored: the model has no place for it", value(id), scheme))
		}
	}
	return p
}

// partyIDs writes identifiers: ram:ID without a scheme, then ram:GlobalID with one (the
// schema puts every ID before every GlobalID).
func partyIDs(e *xmlw.Element, ids []invoice.ID) {
	for _, id := range ids {
		if id.Scheme == "" {
			text(e, "ram:ID", id.Value)
		}
	}
	for _, id := range ids {
		if id.Scheme != "" {
			idElem(e, "ram:GlobalID", id)
		}
	}
}

// partyID writes a single identifier (BT-60, BT-71).
func partyID(e *xmlw.Element, id invoice.ID) {
	if id.Value != "" {
		partyIDs(e, []invoice.ID{id})
	}
}

func (r *reader) partyIDs(e *schematron.Node) []invoice.ID {
	var ids []invoice.ID
	for _, c := range children(e, "ID") {
		if id := idOf(c); !id.IsZero() {
			ids = append(ids, id)
		}
	}
	for _, c := range children(e, "GlobalID") {
		id := idOf(c)
		if id.IsZero() {
			continue
		}
		if id.Scheme == "" {
			r.finding(c, invoice.Fatal, "CII-SR-046", nil, "schemeID est obligatoire sur GlobalID", "schemeID must be present if GlobalID is present")
		}
		ids = append(ids, id)
	}
	return ids
}

// singlePartyID reads the one identifier a party may carry (payee BT-60, delivery BT-71).
func (r *reader) singlePartyID(e *schematron.Node, rule, bt string) invoice.ID {
	ids := r.partyIDs(e)
	if len(ids) == 0 {
		return invoice.ID{}
	}
	if len(ids) > 1 {
		r.finding(e, invoice.Warning, rule, []string{bt},
			"un seul identifiant devrait être présent (ID ou GlobalID) ; les suivants sont ignorés",
			"only one identifier should be present (either the ID or the Global ID); the others are ignored")
	}
	return ids[0]
}

func (w *writer) legalOrganization(e *xmlw.Element, id invoice.ID, tradingName, tag string) {
	if id.Value == "" && tradingName == "" {
		if id.Scheme != "" {
			w.cannot("%s: legal registration scheme without an identifier", tag)
		}
		return
	}
	lo := e.CreateElement("ram:SpecifiedLegalOrganization")
	idElem(lo, "ram:ID", id)
	text(lo, "ram:TradingBusinessName", tradingName)
}

func contact(e *xmlw.Element, c *invoice.Contact) {
	if c == nil || *c == (invoice.Contact{}) {
		return
	}
	ce := e.CreateElement("ram:DefinedTradeContact")
	text(ce, "ram:PersonName", c.Name)
	if c.Phone != "" {
		text(ce.CreateElement("ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", c.Phone)
	}
	if c.Email != "" {
		text(ce.CreateElement("ram:EmailURIUniversalCommunication"), "ram:URIID", c.Email)
	}
}

func readContact(ce *schematron.Node) *invoice.Contact {
	c := invoice.Contact{
		Name:  textOf(ce, "PersonName"),
		Phone: textOf(child(ce, "TelephoneUniversalCommunication"), "CompleteNumber"),
		Email: textOf(child(ce, "EmailURIUniversalCommunication"), "URIID"),
	}
	if c.Name == "" {
		c.Name = textOf(ce, "DepartmentName") // the binding allows BT-41/BT-56 here too
	}
	if c == (invoice.Contact{}) {
		return nil
	}
	return &c
}

// address writes ram:PostalTradeAddress in schema order unless the address is absent
// (nil); an address without any term is written as an empty element, which the rules tell
// from none (BR-08, BR-09).
func address(e *xmlw.Element, a *invoice.Address) {
	if a == nil {
		return
	}
	ae := e.CreateElement("ram:PostalTradeAddress")
	text(ae, "ram:PostcodeCode", a.PostCode)
	text(ae, "ram:LineOne", a.Line1)
	text(ae, "ram:LineTwo", a.Line2)
	text(ae, "ram:LineThree", a.Line3)
	text(ae, "ram:CityName", a.City)
	text(ae, "ram:CountryID", a.Country)
	text(ae, "ram:CountrySubDivisionName", a.Subdivision)
}

// readAddress reads ram:PostalTradeAddress: nil when absent, an address without terms when
// the element is empty.
func readAddress(ae *schematron.Node) *invoice.Address {
	if ae == nil {
		return nil
	}
	return &invoice.Address{
		Line1:       textOf(ae, "LineOne"),
		Line2:       textOf(ae, "LineTwo"),
		Line3:       textOf(ae, "LineThree"),
		City:        textOf(ae, "CityName"),
		PostCode:    textOf(ae, "PostcodeCode"),
		Subdivision: textOf(ae, "CountrySubDivisionName"),
		Country:     textOf(ae, "CountryID"),
	}
}

func taxRegistration(e *xmlw.Element, id, scheme string) {
	if id == "" {
		return
	}
	idElem(e.CreateElement("ram:SpecifiedTaxRegistration"), "ram:ID", invoice.ID{Value: id, Scheme: scheme})
}

// payee writes ram:PayeeTradeParty (BG-10).
func (w *writer) payee(s *xmlw.Element) {
	p := w.inv.Payee
	if p == nil || (p.Name == "" && p.ID.Value == "" && p.LegalID.Value == "") {
		return
	}
	e := s.CreateElement("ram:PayeeTradeParty")
	partyID(e, p.ID)
	text(e, "ram:Name", p.Name)
	w.legalOrganization(e, p.LegalID, "", "ram:PayeeTradeParty")
}

func (r *reader) payee(e *schematron.Node, inv *invoice.Invoice) {
	if e == nil {
		return
	}
	p := &invoice.Payee{Name: textOf(e, "Name"), ID: r.singlePartyID(e, "CII-SR-451", "BT-60")}
	if lo := child(e, "SpecifiedLegalOrganization"); lo != nil {
		p.LegalID = idOf(child(lo, "ID"))
	}
	if p.Name != "" || !p.ID.IsZero() || !p.LegalID.IsZero() {
		inv.Payee = p
	}
}

// taxRepresentative writes ram:SellerTaxRepresentativeTradeParty (BG-11).
func (w *writer) taxRepresentative(ag *xmlw.Element) {
	t := w.inv.TaxRepresentative
	if t == nil || (t.Name == "" && t.VATID == "" && t.Address == nil) {
		return
	}
	e := ag.CreateElement("ram:SellerTaxRepresentativeTradeParty")
	text(e, "ram:Name", t.Name)
	address(e, t.Address)
	taxRegistration(e, t.VATID, taxSchemeVAT)
}

func (r *reader) taxRepresentative(e *schematron.Node, inv *invoice.Invoice) {
	if e == nil {
		return
	}
	t := &invoice.TaxRepresentative{Name: textOf(e, "Name")}
	t.Address = readAddress(child(e, "PostalTradeAddress"))
	for _, tr := range children(e, "SpecifiedTaxRegistration") {
		if id := child(tr, "ID"); attr(id, "schemeID") == taxSchemeVAT && t.VATID == "" {
			t.VATID = value(id)
		} else {
			r.finding(tr, invoice.Warning, "", []string{"BT-63"},
				"identifiant fiscal du représentant ignoré (seul un numéro de TVA, schéma VA, est prévu)",
				"tax representative registration ignored (only a VAT identifier, scheme VA, is expected)")
		}
	}
	if t.Name != "" || t.VATID != "" || t.Address != nil {
		inv.TaxRepresentative = t
	}
}
