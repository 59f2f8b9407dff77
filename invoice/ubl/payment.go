package ubl

import (
	"github.com/fluxgate/fluxgate/internal/schematron"
	"github.com/fluxgate/fluxgate/internal/xmlw"
	"github.com/fluxgate/fluxgate/invoice"
)

// cardNetworkPlaceholder fills cac:CardAccount/cbc:NetworkID, which UBL 2.1 requires and
// EN 16931 does not define.
const cardNetworkPlaceholder = "NA"

const pathPayment = "BG-16"

// payment writes cac:PaymentMeans (BG-16: one per credit transfer account, each repeating
// BT-81..BT-83; the card and the mandate go in the first) and cac:PaymentTerms (BT-20). A
// CreditNote carries its due date (BT-9) in the first payment means, or, when it has none,
// in the payment terms.
func (w *writer) payment(root *xmlw.Element) {
	inv := w.inv
	dueInMeans := false
	if p := inv.Payment; p != nil {
		n := max(1, len(p.CreditTransfer))
		for i := range n {
			e := el(root, "cac:PaymentMeans")
			// BT-82 once: UBL-SR-46 allows one name attribute across the payment means.
			if code := text(e, "cbc:PaymentMeansCode", p.MeansCode); code != nil && p.MeansText != "" && i == 0 {
				code.CreateAttr("name", p.MeansText)
			}
			if i == 0 && w.credit {
				date(e, "cbc:PaymentDueDate", inv.DueDate)
				dueInMeans = true
			}
			text(e, "cbc:PaymentID", p.RemittanceInfo)
			if c := p.Card; i == 0 && c != nil && (c.PAN != "" || c.Holder != "") {
				ce := el(e, "cac:CardAccount")
				text(ce, "cbc:PrimaryAccountNumberID", c.PAN)
				text(ce, "cbc:NetworkID", cardNetworkPlaceholder)
				text(ce, "cbc:HolderName", c.Holder)
			}
			if i < len(p.CreditTransfer) {
				ct := p.CreditTransfer[i]
				if ct.AccountID != "" || ct.AccountName != "" || ct.ProviderID != "" {
					fa := el(e, "cac:PayeeFinancialAccount")
					text(fa, "cbc:ID", ct.AccountID)
					text(fa, "cbc:Name", ct.AccountName)
					if ct.ProviderID != "" {
						text(el(fa, "cac:FinancialInstitutionBranch"), "cbc:ID", ct.ProviderID)
					}
				}
			}
			if d := p.DirectDebit; i == 0 && d != nil && (d.MandateID != "" || d.DebitedAccount != "") {
				me := el(e, "cac:PaymentMandate")
				text(me, "cbc:ID", d.MandateID)
				if d.DebitedAccount != "" {
					text(el(me, "cac:PayerFinancialAccount"), "cbc:ID", d.DebitedAccount)
				}
			}
		}
	}
	dueInTerms := w.credit && !dueInMeans && !inv.DueDate.IsZero()
	if inv.PaymentTerms != "" || dueInTerms {
		e := el(root, "cac:PaymentTerms")
		text(e, "cbc:Note", inv.PaymentTerms)
		if dueInTerms {
			date(e, "cbc:PaymentDueDate", inv.DueDate)
		}
	}
}

// readPayment reads the payment means and terms.
func (r *reader) readPayment(root *schematron.Node) {
	inv := r.inv
	for i, e := range elements(root, "cac:PaymentMeans") {
		code := r.one(e, "cbc:PaymentMeansCode", pathPayment, "BT-81")
		if i == 0 {
			inv.Payment = &invoice.PaymentInstructions{
				MeansCode:      textOf(code),
				MeansText:      attr(code, "name"),
				RemittanceInfo: textOf(r.one(e, "cbc:PaymentID", pathPayment, "BT-83")),
			}
		} else if c := textOf(code); c != inv.Payment.MeansCode {
			r.finding(invoice.Warning, code, pathPayment,
				"payment means codes differ; the first ("+inv.Payment.MeansCode+") is kept",
				"les codes de moyen de paiement diffèrent ; le premier ("+inv.Payment.MeansCode+") est conservé", "BT-81")
		}
		p := inv.Payment
		if inv.DueDate.IsZero() {
			inv.DueDate = r.date(child(e, "cbc:PaymentDueDate"), pathPayment, "BT-9")
		}
		for _, fa := range elements(e, "cac:PayeeFinancialAccount") {
			p.CreditTransfer = append(p.CreditTransfer, invoice.CreditTransfer{
				AccountID:   textOf(child(fa, "cbc:ID")),
				AccountName: textOf(child(fa, "cbc:Name")),
				ProviderID:  textOf(child(fa, "cac:FinancialInstitutionBranch", "cbc:ID")),
			})
		}
		if c := child(e, "cac:CardAccount"); c != nil {
			if p.Card != nil {
				r.finding(invoice.Warning, c, pathPayment, "a second payment card is ignored",
					"une seconde carte de paiement est ignorée", "BG-18")
			} else {
				p.Card = &invoice.Card{
					PAN:    textOf(child(c, "cbc:PrimaryAccountNumberID")),
					Holder: textOf(child(c, "cbc:HolderName")),
				}
			}
		}
		if m := child(e, "cac:PaymentMandate"); m != nil {
			if p.DirectDebit == nil {
				p.DirectDebit = &invoice.DirectDebit{}
			}
			if p.DirectDebit.MandateID != "" || p.DirectDebit.DebitedAccount != "" {
				r.finding(invoice.Warning, m, pathPayment, "a second payment mandate is ignored",
					"un second mandat de prélèvement est ignoré", "BG-19")
			} else {
				p.DirectDebit.MandateID = textOf(child(m, "cbc:ID"))
				p.DirectDebit.DebitedAccount = textOf(child(m, "cac:PayerFinancialAccount", "cbc:ID"))
			}
		}
	}
	if e := r.one(root, "cac:PaymentTerms", "", "BT-20"); e != nil {
		inv.PaymentTerms = textOf(r.one(e, "cbc:Note", "", "BT-20"))
		if inv.DueDate.IsZero() {
			inv.DueDate = r.date(child(e, "cbc:PaymentDueDate"), "", "BT-9")
		}
	}
}
