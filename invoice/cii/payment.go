package cii

import (
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"strings"

	"github.com/fluxgate/fluxgate/invoice"
)

// Payment: instructions (BG-16) with credit transfers (BG-17), card (BG-18) and direct debit
// (BG-19), the payment terms (BT-20) and the due date (BT-9).
//
// CII repeats ram:SpecifiedTradeSettlementPaymentMeans once per credit transfer account,
// each with the same type code and text (CII-SR-467, CII-SR-468); the card and the debited
// account go in the first one.

// creditorAndReference writes BT-90 and BT-83, the first two elements of the settlement.
func (w *writer) creditorAndReference(s *xmlw.Element) {
	p := w.inv.Payment
	if p == nil {
		return
	}
	if p.DirectDebit != nil {
		text(s, "ram:CreditorReferenceID", p.DirectDebit.CreditorID)
	}
	text(s, "ram:PaymentReference", p.RemittanceInfo)
}

func (w *writer) paymentMeans(s *xmlw.Element) {
	p := w.inv.Payment
	if p == nil {
		return
	}
	debited := ""
	if p.DirectDebit != nil {
		debited = p.DirectDebit.DebitedAccount
	}
	card := p.Card != nil && (p.Card.PAN != "" || p.Card.Holder != "")
	if p.MeansCode == "" && p.MeansText == "" && len(p.CreditTransfer) == 0 && !card && debited == "" {
		return
	}
	transfers := p.CreditTransfer
	if len(transfers) == 0 {
		transfers = []invoice.CreditTransfer{{}}
	}
	for i, ct := range transfers {
		m := s.CreateElement("ram:SpecifiedTradeSettlementPaymentMeans")
		text(m, "ram:TypeCode", p.MeansCode)
		text(m, "ram:Information", p.MeansText)
		if i == 0 && card {
			c := m.CreateElement("ram:ApplicableTradeSettlementFinancialCard")
			text(c, "ram:ID", p.Card.PAN)
			text(c, "ram:CardholderName", p.Card.Holder)
		}
		if i == 0 && debited != "" {
			text(m.CreateElement("ram:PayerPartyDebtorFinancialAccount"), "ram:IBANID", debited)
		}
		if ct.AccountID != "" || ct.AccountName != "" {
			a := m.CreateElement("ram:PayeePartyCreditorFinancialAccount")
			if isIBAN(ct.AccountID) {
				text(a, "ram:IBANID", ct.AccountID)
				text(a, "ram:AccountName", ct.AccountName)
			} else {
				text(a, "ram:AccountName", ct.AccountName)
				text(a, "ram:ProprietaryID", ct.AccountID)
			}
		}
		if ct.ProviderID != "" {
			text(m.CreateElement("ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", ct.ProviderID)
		}
	}
}

// isIBAN tells an IBAN (country letters, check digits, alphanumerics) from a proprietary
// account number, which CII writes in ram:ProprietaryID.
func isIBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i, c := range s {
		switch {
		case i < 2 && (c < 'A' || c > 'Z'):
			return false
		case i >= 2 && i < 4 && (c < '0' || c > '9'):
			return false
		case i >= 4 && !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'):
			return false
		}
	}
	return true
}

func (w *writer) paymentTerms(s *xmlw.Element) {
	inv := w.inv
	mandate := ""
	if inv.Payment != nil && inv.Payment.DirectDebit != nil {
		mandate = inv.Payment.DirectDebit.MandateID
	}
	if inv.PaymentTerms == "" && inv.DueDate.IsZero() && mandate == "" {
		return
	}
	t := s.CreateElement("ram:SpecifiedTradePaymentTerms")
	text(t, "ram:Description", inv.PaymentTerms)
	dateTime(t, "ram:DueDateDateTime", inv.DueDate)
	text(t, "ram:DirectDebitMandateID", mandate)
}

// payment reads BT-83, BT-90, BG-16..BG-19, BT-9 and BT-20 from the header settlement.
func (r *reader) payment(s *schematron.Node, inv *invoice.Invoice) {
	p := &invoice.PaymentInstructions{}
	dd := &invoice.DirectDebit{CreditorID: textOf(s, "CreditorReferenceID")}
	ref := r.firstOf(s, "PaymentReference", invoice.Fatal, "CII-SR-469", []string{"BT-83"},
		"la référence de paiement (BT-83) ne doit apparaître qu'une fois ; les suivantes sont ignorées",
		"Payment reference (BT-83) shall occur at most once in the document; the others are ignored")
	if ref != nil {
		p.RemittanceInfo = value(ref)
	}
	for i, m := range children(s, "SpecifiedTradeSettlementPaymentMeans") {
		r.means(m, i, p, dd)
	}
	terms := children(s, "SpecifiedTradePaymentTerms")
	if len(terms) > 1 {
		r.finding(terms[1], invoice.Warning, "CII-SR-452", []string{"BT-20"},
			"une seule condition de paiement devrait être présente ; les textes sont joints",
			"only one SpecifiedTradePaymentTerms should be present; the texts are joined")
	}
	var descs []string
	for _, t := range terms {
		for _, d := range children(t, "Description") {
			descs = append(descs, value(d))
		}
		if e := child(t, "DueDateDateTime"); e != nil && inv.DueDate.IsZero() {
			inv.DueDate = r.date(e, "BT-9")
		}
		if m := textOf(t, "DirectDebitMandateID"); m != "" && dd.MandateID == "" {
			dd.MandateID = m
		}
	}
	inv.PaymentTerms = strings.Join(descs, "\n")
	if *dd != (invoice.DirectDebit{}) {
		p.DirectDebit = dd
	}
	if p.MeansCode != "" || p.MeansText != "" || p.RemittanceInfo != "" || len(p.CreditTransfer) > 0 || p.Card != nil || p.DirectDebit != nil {
		inv.Payment = p
	}
}

// means reads the i-th ram:SpecifiedTradeSettlementPaymentMeans into p.
func (r *reader) means(m *schematron.Node, i int, p *invoice.PaymentInstructions, dd *invoice.DirectDebit) {
	code := textOf(m, "TypeCode")
	var infos []string
	for _, e := range children(m, "Information") {
		infos = append(infos, value(e))
	}
	info := strings.Join(infos, "\n")
	if i == 0 {
		p.MeansCode, p.MeansText = code, info
	} else {
		if code != "" && code != p.MeansCode {
			r.finding(m, invoice.Fatal, "CII-SR-467", []string{"BT-81"},
				"tous les codes de moyen de paiement (BT-81) doivent être identiques ; seul le premier est gardé",
				"all payment means type codes (BT-81) shall have the same value; only the first is kept")
		}
		if info != "" && info != p.MeansText {
			r.finding(m, invoice.Fatal, "CII-SR-468", []string{"BT-82"},
				"tous les textes de moyen de paiement (BT-82) doivent être identiques ; seul le premier est gardé",
				"all payment means texts (BT-82) shall have the same value; only the first is kept")
		}
	}
	if c := child(m, "ApplicableTradeSettlementFinancialCard"); c != nil {
		if p.Card != nil {
			r.finding(c, invoice.Warning, "", []string{"BG-18"}, "une seule carte de paiement est admise ; les suivantes sont ignorées",
				"only one payment card is allowed; the others are ignored")
		} else {
			p.Card = &invoice.Card{PAN: textOf(c, "ID"), Holder: textOf(c, "CardholderName")}
		}
	}
	if d := child(m, "PayerPartyDebtorFinancialAccount"); d != nil {
		acc := textOf(d, "IBANID")
		if acc == "" {
			acc = textOf(d, "ProprietaryID")
		}
		if dd.DebitedAccount == "" {
			dd.DebitedAccount = acc
		} else if acc != dd.DebitedAccount {
			r.finding(d, invoice.Warning, "", []string{"BT-91"}, "un seul compte débité est admis ; les suivants sont ignorés",
				"only one debited account is allowed; the others are ignored")
		}
	}
	var ct invoice.CreditTransfer
	if a := child(m, "PayeePartyCreditorFinancialAccount"); a != nil {
		iban, prop := textOf(a, "IBANID"), textOf(a, "ProprietaryID")
		ct.AccountID, ct.AccountName = iban, textOf(a, "AccountName")
		if iban == "" {
			ct.AccountID = prop
		} else if prop != "" {
			r.finding(a, invoice.Fatal, "CII-SR-470", []string{"BT-84"},
				"IBAN et identifiant propriétaire (BT-84) ne peuvent pas être présents ensemble ; l'IBAN est gardé",
				"either the IBAN or a Proprietary ID (BT-84) shall be used; the IBAN is kept")
		}
	}
	ct.ProviderID = textOf(child(m, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID")
	if ct != (invoice.CreditTransfer{}) {
		p.CreditTransfer = append(p.CreditTransfer, ct)
	}
}
