package deposit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// CDARStatus is one invoice status read from a CDAR lifecycle message (UN/CEFACT
// CrossDomainAcknowledgementAndResponse D22B, "Flux 6").
type CDARStatus struct {
	Invoice string    // IssuerAssignedID of the referenced document: the invoice number (BT-1)
	Seller  string    // IssuerTradeParty/GlobalID: the seller's SIREN, when given
	Code    string    // ProcessConditionCode (MDT-105): 200 … 213, 501, …
	Reason  string    // SpecifiedDocumentStatus/ReasonCode: REJ_SEMAN, JUSTIF_ABS, …
	Message string    // SpecifiedDocumentStatus/Reason: the platform's or buyer's words
	At      time.Time // the message's issue date and time, when it gives one
}

// CDARLabels gives the French label of the lifecycle status codes (MDT-105) the spec confirms.
var CDARLabels = map[string]string{
	"200": "Déposée", "201": "Émise", "202": "Reçue", "203": "Mise à disposition", "204": "Prise en charge",
	"205": "Approuvée", "206": "Approuvée partiellement", "207": "En litige", "208": "Suspendue",
	"209": "Complétée", "210": "Refusée", "211": "Paiement transmis", "212": "Encaissée", "213": "Rejetée",
	"501": "Irrecevable",
}

// CDARLabelsEN gives the English label of the same codes, for acks in English.
var CDARLabelsEN = map[string]string{
	"200": "Submitted", "201": "Issued", "202": "Received", "203": "Made available", "204": "Taken over",
	"205": "Approved", "206": "Partly approved", "207": "Disputed", "208": "Suspended",
	"209": "Completed", "210": "Refused", "211": "Payment sent", "212": "Collected", "213": "Rejected",
	"501": "Inadmissible",
}

// cdarFinal are the statuses that end an invoice's lifecycle as its seller follows it
// (211 "paiement transmis" is the buyer's last word: 212 "encaissée" is the seller's own);
// cdarRejected those that mean the invoice was refused.
var (
	cdarFinal    = map[string]bool{"210": true, "211": true, "212": true, "213": true, "501": true}
	cdarRejected = map[string]bool{"210": true, "213": true, "501": true}
)

// ParseCDAR reads the statuses of a CDAR message: one per ReferenceReferencedDocument of its
// AcknowledgementDocument (the French profile sends one status per message).
func ParseCDAR(data []byte) ([]CDARStatus, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var (
		stack   []string
		out     []CDARStatus
		cur     *CDARStatus
		issued  time.Time
		sawRoot bool
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				if t.Name.Local != "CrossDomainAcknowledgementAndResponse" {
					return nil, errors.New("not a CDAR message (root " + t.Name.Local + ")")
				}
				sawRoot = true
			}
			stack = append(stack, t.Name.Local)
			if t.Name.Local == "ReferenceReferencedDocument" && cur == nil {
				out = append(out, CDARStatus{})
				cur = &out[len(out)-1]
			}
		case xml.EndElement:
			if t.Name.Local == "ReferenceReferencedDocument" && cur != nil && !inside(stack[:len(stack)-1], "ReferenceReferencedDocument") {
				cur = nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			s := strings.TrimSpace(string(t))
			if s == "" || len(stack) == 0 {
				continue
			}
			name := stack[len(stack)-1]
			parent := ""
			if len(stack) > 1 {
				parent = stack[len(stack)-2]
			}
			if cur == nil {
				if name == "DateTimeString" && inside(stack, "AcknowledgementDocument") && inside(stack, "IssueDateTime") {
					issued = parseCDARTime(s)
				}
				continue
			}
			switch {
			case name == "IssuerAssignedID" && parent == "ReferenceReferencedDocument":
				cur.Invoice = s
			case name == "ProcessConditionCode" && parent == "ReferenceReferencedDocument": // not MDT-115 of a reason block
				cur.Code = s
			case name == "ReasonCode" && parent == "SpecifiedDocumentStatus":
				cur.Reason = s
			case name == "Reason" && parent == "SpecifiedDocumentStatus":
				cur.Message = s
			case name == "GlobalID" && parent == "IssuerTradeParty":
				cur.Seller = s
			}
		}
	}
	if !sawRoot {
		return nil, errors.New("empty CDAR message")
	}
	for i := range out {
		out[i].At = issued
	}
	return out, nil
}

func inside(stack []string, name string) bool {
	for _, s := range stack {
		if s == name {
			return true
		}
	}
	return false
}

// parseCDARTime reads a UN/CEFACT date-time (format 204 "20261126214000", 102 "20261126")
// or an ISO one.
func parseCDARTime(s string) time.Time {
	for _, layout := range []string{"20060102150405", "20060102", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
