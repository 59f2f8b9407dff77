// Package invoice is the EN 16931 semantic model of an invoice, its computations and its
// business rules. It knows nothing about files, transports or XML syntaxes: invoice/ubl and
// invoice/cii bind it to UBL 2.1 and CII D16B.
//
// Each field names its business term (BT) or group (BG) in a comment. Amounts, quantities,
// prices and rates are exact decimals; a nil *decimal.Decimal means the term is absent, which
// the rules must be able to tell from zero.
package invoice

import (
	"github.com/shopspring/decimal"
)

// Type codes (UNTDID 1001) the gateway writes most.
const (
	TypeCommercialInvoice = "380"
	TypeCreditNote        = "381"
)

// SpecEN16931 is the specification identifier (BT-24) of the core EN 16931 profile.
const SpecEN16931 = "urn:cen.eu:en16931:2017"

// SpecExtendedCTCFR is the specification identifier (BT-24) that declares the French
// EXTENDED-CTC-FR profile (XP Z12-012), for invoices that carry its extra terms (EXT-FR-FE-*).
const SpecExtendedCTCFR = "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr"

// Invoice is one EN 16931 invoice or credit note.
type Invoice struct {
	Number                   string // BT-1
	IssueDate                Date   // BT-2
	TypeCode                 string // BT-3 (UNTDID 1001)
	Currency                 string // BT-5 (ISO 4217)
	TaxCurrency              string // BT-6
	TaxPointDate             Date   // BT-7
	TaxPointDateCode         string // BT-8 (UNTDID 2005)
	DueDate                  Date   // BT-9
	BuyerReference           string // BT-10
	ProjectReference         string // BT-11
	ContractReference        string // BT-12
	PurchaseOrderReference   string // BT-13
	SalesOrderReference      string // BT-14
	ReceivingAdviceReference string // BT-15
	DespatchAdviceReference  string // BT-16
	TenderOrLotReference     string // BT-17
	InvoicedObject           ID     // BT-18, BT-18-1
	BuyerAccountingReference string // BT-19
	PaymentTerms             string // BT-20

	Notes             []Note             // BG-1
	BusinessProcess   string             // BG-2 BT-23
	Specification     string             // BG-2 BT-24
	PrecedingInvoices []PrecedingInvoice // BG-3

	Seller            Party              // BG-4 (BG-5 address, BG-6 contact)
	Buyer             Party              // BG-7 (BG-8 address, BG-9 contact)
	Payee             *Payee             // BG-10
	TaxRepresentative *TaxRepresentative // BG-11 (BG-12 address)
	Delivery          *Delivery          // BG-13 (BG-15 address)
	InvoicingPeriod   *Period            // BG-14
	Payment           *PaymentInstructions

	Allowances []AllowanceCharge // BG-20
	Charges    []AllowanceCharge // BG-21
	Totals     Totals            // BG-22
	VAT        []VATBreakdown    // BG-23
	Documents  []Document        // BG-24
	Lines      []Line            // BG-25
}

// ID is an identifier with its optional scheme (the BT-n-1 attribute).
type ID struct {
	Value  string
	Scheme string
}

// IsZero reports whether the identifier is absent.
func (id ID) IsZero() bool { return id.Value == "" && id.Scheme == "" }

// Note is BG-1.
type Note struct {
	SubjectCode string // BT-21 (UNTDID 4451)
	Text        string // BT-22
}

// PrecedingInvoice is BG-3.
type PrecedingInvoice struct {
	Number    string // BT-25
	IssueDate Date   // BT-26
}

// Party holds the seller (BG-4) or the buyer (BG-7). Terms that EN 16931 defines for one of
// them only stay empty for the other (the comment names both BT ids, seller first).
type Party struct {
	Name              string   // BT-27 / BT-44
	TradingName       string   // BT-28 / BT-45
	IDs               []ID     // BT-29 with scheme BT-29-1 (0..n) / BT-46 with BT-46-1 (0..1)
	LegalID           ID       // BT-30 / BT-47, with scheme BT-30-1 / BT-47-1
	VATID             string   // BT-31 / BT-48
	TaxRegistrationID string   // BT-32 (seller only)
	LegalInfo         string   // BT-33 (seller only)
	ElectronicAddress ID       // BT-34 / BT-49, scheme BT-34-1 / BT-49-1
	Address           *Address // BG-5 / BG-8; nil when absent, non-nil (possibly empty) when given
	Contact           *Contact
}

// Address is a postal address (BG-5, BG-8, BG-12, BG-15). Groups hold it by pointer: nil
// means the group is absent, while an address without any term is present (the official
// rules tell the two apart: BR-08 accepts an empty seller address, BR-09 then fires).
type Address struct {
	Line1       string // BT-35 / BT-50 / BT-64 / BT-75
	Line2       string // BT-36 / BT-51 / BT-65 / BT-76
	Line3       string // BT-162 / BT-163 / BT-164 / BT-165
	City        string // BT-37 / BT-52 / BT-66 / BT-77
	PostCode    string // BT-38 / BT-53 / BT-67 / BT-78
	Subdivision string // BT-39 / BT-54 / BT-68 / BT-79
	Country     string // BT-40 / BT-55 / BT-69 / BT-80 (ISO 3166-1 alpha-2)
}

// IsZero reports whether no address term is given (a nil address has none).
func (a *Address) IsZero() bool { return a == nil || *a == Address{} }

// CountryOf is the country code of a (BT-40, BT-55, BT-69, BT-80), "" for a nil address.
func (a *Address) CountryOf() string {
	if a == nil {
		return ""
	}
	return a.Country
}

// Contact is BG-6 or BG-9.
type Contact struct {
	Name  string // BT-41 / BT-56
	Phone string // BT-42 / BT-57
	Email string // BT-43 / BT-58
}

// Payee is BG-10.
type Payee struct {
	Name    string // BT-59
	ID      ID     // BT-60, BT-60-1
	LegalID ID     // BT-61, BT-61-1
}

// TaxRepresentative is BG-11.
type TaxRepresentative struct {
	Name    string   // BT-62
	VATID   string   // BT-63
	Address *Address // BG-12; nil when absent
}

// Delivery is BG-13.
type Delivery struct {
	PartyName  string   // BT-70
	LocationID ID       // BT-71, BT-71-1
	Date       Date     // BT-72
	Address    *Address // BG-15
}

// Period is an invoicing period (BG-14) or a line period (BG-26).
type Period struct {
	Start Date // BT-73 / BT-134
	End   Date // BT-74 / BT-135
}

// PaymentInstructions is BG-16.
type PaymentInstructions struct {
	MeansCode      string           // BT-81 (UNTDID 4461)
	MeansText      string           // BT-82
	RemittanceInfo string           // BT-83
	CreditTransfer []CreditTransfer // BG-17
	Card           *Card            // BG-18
	DirectDebit    *DirectDebit     // BG-19
}

// CreditTransfer is BG-17.
type CreditTransfer struct {
	AccountID   string // BT-84 (IBAN)
	AccountName string // BT-85
	ProviderID  string // BT-86 (BIC)
}

// Card is BG-18.
type Card struct {
	PAN    string // BT-87 (last digits only, BR-51)
	Holder string // BT-88
}

// DirectDebit is BG-19.
type DirectDebit struct {
	MandateID      string // BT-89
	CreditorID     string // BT-90
	DebitedAccount string // BT-91
}

// AllowanceCharge is a document allowance (BG-20) or charge (BG-21); the comments name the
// allowance BT first, then the charge BT.
type AllowanceCharge struct {
	Amount      *decimal.Decimal // BT-92 / BT-99
	BaseAmount  *decimal.Decimal // BT-93 / BT-100
	Percentage  *decimal.Decimal // BT-94 / BT-101
	VATCategory string           // BT-95 / BT-102 (UNTDID 5305)
	VATRate     *decimal.Decimal // BT-96 / BT-103
	Reason      string           // BT-97 / BT-104
	ReasonCode  string           // BT-98 / BT-105 (UNTDID 5189 / 7161)
}

// Totals is BG-22.
type Totals struct {
	LineTotal        *decimal.Decimal // BT-106
	AllowanceTotal   *decimal.Decimal // BT-107
	ChargeTotal      *decimal.Decimal // BT-108
	TaxExclusive     *decimal.Decimal // BT-109
	TaxTotal         *decimal.Decimal // BT-110
	TaxTotalAcctCurr *decimal.Decimal // BT-111 (in BT-6)
	TaxInclusive     *decimal.Decimal // BT-112
	Paid             *decimal.Decimal // BT-113
	Rounding         *decimal.Decimal // BT-114
	Payable          *decimal.Decimal // BT-115
}

// VATBreakdown is BG-23.
type VATBreakdown struct {
	TaxableAmount       *decimal.Decimal // BT-116
	TaxAmount           *decimal.Decimal // BT-117
	Category            string           // BT-118 (UNTDID 5305)
	Rate                *decimal.Decimal // BT-119
	ExemptionReason     string           // BT-120
	ExemptionReasonCode string           // BT-121 (VATEX)
}

// Document is BG-24.
type Document struct {
	ID          string      // BT-122
	Description string      // BT-123
	URI         string      // BT-124
	Attachment  *Attachment // BT-125
}

// Attachment is an embedded binary object (BT-125).
type Attachment struct {
	Content  []byte // BT-125 (base64 in XML)
	MIMEType string // BT-125-1
	Filename string // BT-125-2
}

// Line is BG-25.
type Line struct {
	ID                       string            // BT-126
	Note                     string            // BT-127
	ObjectID                 ID                // BT-128, BT-128-1
	Quantity                 *decimal.Decimal  // BT-129
	UnitCode                 string            // BT-130 (UN/ECE Rec 20/21)
	NetAmount                *decimal.Decimal  // BT-131
	OrderLineReference       string            // BT-132
	BuyerAccountingReference string            // BT-133
	Period                   *Period           // BG-26
	Allowances               []AllowanceCharge // BG-27: Amount BT-136, BaseAmount BT-137, Percentage BT-138, Reason BT-139, ReasonCode BT-140
	Charges                  []AllowanceCharge // BG-28: Amount BT-141, BaseAmount BT-142, Percentage BT-143, Reason BT-144, ReasonCode BT-145
	Price                    Price             // BG-29
	VATCategory              string            // BG-30 BT-151
	VATRate                  *decimal.Decimal  // BG-30 BT-152
	Item                     Item              // BG-31
	// PrecedingInvoice is the invoice this line corrects (EXTENDED-CTC-FR: EXT-FR-FE-136
	// number, EXT-FR-FE-138 date): a credit note correcting several invoices names them per
	// line (BR-FR-CO-05). Nil when absent.
	PrecedingInvoice *PrecedingInvoice
}

// Price is BG-29.
type Price struct {
	Net          *decimal.Decimal // BT-146
	Discount     *decimal.Decimal // BT-147
	Gross        *decimal.Decimal // BT-148
	BaseQuantity *decimal.Decimal // BT-149
	BaseUnitCode string           // BT-150
}

// Item is BG-31 with its attributes (BG-32).
type Item struct {
	Name            string           // BT-153
	Description     string           // BT-154
	SellerID        string           // BT-155
	BuyerID         string           // BT-156
	StandardID      ID               // BT-157, BT-157-1
	Classifications []Classification // BT-158
	OriginCountry   string           // BT-159
	Attributes      []Attribute      // BG-32
}

// Classification is one BT-158 with its scheme (BT-158-1) and scheme version (BT-158-2).
type Classification struct {
	Code          string
	Scheme        string
	SchemeVersion string
}

// Attribute is BG-32.
type Attribute struct {
	Name  string // BT-160
	Value string // BT-161
}

// IsCreditNote reports whether the type code is one UBL writes as a CreditNote document.
func (inv *Invoice) IsCreditNote() bool {
	switch inv.TypeCode {
	case "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532":
		return true
	}
	return false
}

// Dec returns a pointer to the decimal that s spells; it panics on a malformed literal, so it
// is meant for constants and tests.
func Dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// Ptr returns a pointer to a copy of d.
func Ptr(d decimal.Decimal) *decimal.Decimal { return &d }
