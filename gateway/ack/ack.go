// Package ack renders the acknowledgement of an input file: what became of the file and of
// each of its invoices, and why, in words an accountant can act on. An ack is always built
// from the journal, so it can be rewritten at any time and always agrees with it. Its schema
// is xsd/ack.xsd.
package ack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// Namespace of the acknowledgement document.
const Namespace = "urn:fluxgate:ack:1"

// Document is the acknowledgement of one input file, as its XML reads: a Renderer writes it
// one invoice at a time, and readers of acks (tests, tools) decode it whole.
type Document struct {
	XMLName   xml.Name  `xml:"urn:fluxgate:ack:1 Acknowledgement"`
	Language  string    `xml:"language,attr"`
	Generated string    `xml:"generated,attr"`
	File      File      `xml:"File"`
	Summary   Summary   `xml:"Summary"`
	Problems  []Problem `xml:"Problem"`
	Invoices  []Invoice `xml:"Invoice"`
}

// File describes the input file.
type File struct {
	Name     string `xml:"name,attr"`
	Source   string `xml:"source,attr"`
	SHA256   string `xml:"sha256,attr"`
	Size     int64  `xml:"size,attr"`
	Received string `xml:"received,attr"`
	Status   string `xml:"status,attr"`
	StoredAs string `xml:"storedAs,attr,omitempty"`
}

// Summary counts invoices per status.
type Summary struct {
	Invoices  int `xml:"invoices,attr"`
	Rejected  int `xml:"rejected,attr"`
	Queued    int `xml:"queued,attr"`
	Deposited int `xml:"deposited,attr"`
	Duplicate int `xml:"duplicate,attr"`
}

// Invoice is one invoice of the file.
type Invoice struct {
	Number    string    `xml:"number,attr"`
	Seq       int       `xml:"seq,attr"`
	IssueDate string    `xml:"issueDate,attr,omitempty"`
	Status    string    `xml:"status,attr"`
	FirstLine int       `xml:"firstLine,attr,omitempty"`
	LastLine  int       `xml:"lastLine,attr,omitempty"`
	Fluxes    []Flux    `xml:"Flux"`
	Problems  []Problem `xml:"Problem"`
}

// Flux is one flux file written for the invoice.
type Flux struct {
	Name        string `xml:"name,attr"`
	Syntax      string `xml:"syntax,attr"`
	Destination string `xml:"destination,attr"`
	Status      string `xml:"status,attr"`
	DepositedAt string `xml:"depositedAt,attr,omitempty"`
	Receipt     string `xml:"receipt,attr,omitempty"`
	Waiting     string `xml:"waiting,attr,omitempty"`     // why a queued flux is not deposited yet
	NextAttempt string `xml:"nextAttempt,attr,omitempty"` // when a queued flux is tried next, when known
	PausedUntil string `xml:"pausedUntil,attr,omitempty"` // its destination is paused until then
	// What the platform said since the deposit (Chorus Pro, approved platforms).
	PlatformID      string `xml:"platformId,attr,omitempty"`
	PlatformStatus  string `xml:"platformStatus,attr,omitempty"`
	PlatformLabel   string `xml:"platformLabel,attr,omitempty"`
	PlatformMessage string `xml:"platformMessage,attr,omitempty"`
	PlatformAt      string `xml:"platformAt,attr,omitempty"`
	PlatformFinal   bool   `xml:"platformFinal,attr,omitempty"`
}

// Problem is one reason for a rejection or a warning.
type Problem struct {
	Rule     string `xml:"rule,attr"`
	Severity string `xml:"severity,attr"`
	Line     int    `xml:"line,attr,omitempty"`
	Field    string `xml:"field,attr,omitempty"`
	BT       string `xml:"bt,attr,omitempty"`
	Mapping  int    `xml:"mappingLine,attr,omitempty"`
	Message  string `xml:",chardata"`
}

// EachInvoice calls yield with each invoice of a file in file order, and stops at the first
// error yield returns (journal.EachInvoice, bound to the file).
type EachInvoice func(yield func(journal.Invoice) error) error

// Renderer renders the journal's view of one file as its ack, one invoice at a time, so
// that the ack of a file of millions of invoices is written in bounded memory.
type Renderer struct {
	head  Document // the file, its summary and its problems: all the ack says before its invoices
	now   time.Time
	dests map[string]journal.DestinationState
}

// NewRenderer prepares the ack of f in lang ("fr" or "en"); counts holds how many of its
// invoices are in each status (journal.InvoiceCounts). dests, when given, says why the
// destinations' queued fluxes wait as a whole (paused, held by a platform).
func NewRenderer(f journal.File, counts map[string]int, lang string, now time.Time, dests map[string]journal.DestinationState) *Renderer {
	if lang != "en" {
		lang = "fr"
	}
	head := Document{
		Language:  lang,
		Generated: stamp(now),
		File: File{
			Name:     f.Name,
			Source:   f.Source,
			SHA256:   f.SHA256,
			Size:     f.Size,
			Received: stamp(f.Received),
			Status:   f.Status,
		},
		Summary:  summary(counts),
		Problems: problems(f.Problems, lang),
	}
	if f.State == journal.FileDone {
		head.File.StoredAs = f.StoredName
	}
	return &Renderer{head: head, now: now, dests: dests}
}

// summary sums the counts of invoices per status.
func summary(counts map[string]int) Summary {
	s := Summary{
		Rejected:  counts[journal.InvoiceRejected],
		Queued:    counts[journal.InvoiceQueued],
		Deposited: counts[journal.InvoiceDeposited],
		Duplicate: counts[journal.InvoiceDuplicate],
	}
	for _, n := range counts {
		s.Invoices += n
	}
	return s
}

// Render writes the ack in format (FormatXML or FormatCSV; encoding applies to CSV) to w.
func (r *Renderer) Render(w io.Writer, format, encoding string, each EachInvoice) error {
	switch format {
	case FormatXML:
		return r.XML(w, each)
	case FormatCSV:
		return r.CSV(w, encoding, each)
	}
	return CheckFormat(format)
}

// XML writes the ack to w as indented XML with its declaration (xsd/ack.xsd), encoding
// each invoice as each yields it.
func (r *Renderer) XML(w io.Writer, each EachInvoice) error {
	if err := r.xml(w, each); err != nil {
		return fmt.Errorf("ack: render %s: %w", r.head.File.Name, err)
	}
	return nil
}

func (r *Renderer) xml(w io.Writer, each EachInvoice) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	root := xml.StartElement{Name: xml.Name{Space: Namespace, Local: "Acknowledgement"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "language"}, Value: r.head.Language},
		{Name: xml.Name{Local: "generated"}, Value: r.head.Generated},
	}}
	if err := enc.EncodeToken(root); err != nil {
		return err
	}
	if err := enc.EncodeElement(r.head.File, element("File")); err != nil {
		return err
	}
	if err := enc.EncodeElement(r.head.Summary, element("Summary")); err != nil {
		return err
	}
	for _, p := range r.head.Problems {
		if err := enc.EncodeElement(p, element("Problem")); err != nil {
			return err
		}
	}
	err := each(func(inv journal.Invoice) error {
		return enc.EncodeElement(r.invoice(inv), element("Invoice"))
	})
	if err != nil {
		return err
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

func element(name string) xml.StartElement { return xml.StartElement{Name: xml.Name{Local: name}} }

// invoice is an invoice of the journal as its ack shows it.
func (r *Renderer) invoice(inv journal.Invoice) Invoice {
	lang := r.head.Language
	a := Invoice{
		Number:    inv.Number,
		Seq:       inv.Seq,
		IssueDate: inv.IssueDate,
		Status:    inv.Status,
		FirstLine: inv.FirstLine,
		LastLine:  inv.LastLine,
		Problems:  problems(inv.Problems, lang),
	}
	for _, fx := range inv.Fluxes {
		a.Fluxes = append(a.Fluxes, flux(fx, lang, r.now, r.dests[fx.Destination]))
	}
	return a
}

func flux(fx journal.Flux, lang string, now time.Time, dest journal.DestinationState) Flux {
	a := Flux{Name: fx.FinalName, Syntax: fx.Syntax, Destination: fx.Destination}
	switch fx.State {
	case journal.FluxDeposited:
		a.Status = journal.InvoiceDeposited
		a.DepositedAt = fx.DepositedAt.UTC().Format(time.RFC3339)
		a.Receipt = fx.Receipt
		if p := fx.Platform; p.Status != "" {
			a.PlatformID, a.PlatformStatus, a.PlatformMessage = p.ID, p.Status, p.Message
			a.PlatformLabel = deposit.StatusLabel(p.Status, p.Label, lang)
			a.PlatformFinal = !fx.Tracking
			if !p.At.IsZero() {
				a.PlatformAt = p.At.UTC().Format(time.RFC3339)
			}
		}
	case journal.FluxUncertain: // the deposit's outcome is unknown: asked for, not sent again blindly
		a.Status = journal.InvoiceQueued
		a.Waiting = fx.UncertainNote(lang)
		if !fx.Uncertain.NextCheck.IsZero() {
			a.NextAttempt = fx.Uncertain.NextCheck.UTC().Format(time.RFC3339)
		}
	case journal.FluxFailed:
		a.Status = journal.InvoiceRejected
		a.Waiting = pick(lang, "dépôt refusé par "+fx.Destination+" : ", "deposit refused by "+fx.Destination+": ") + fx.LastError
	default:
		a.Status = journal.InvoiceQueued
		a.Waiting, a.NextAttempt = waiting(fx, lang, now, dest)
		if dest.Paused(now) {
			a.PausedUntil = stamp(dest.PausedUntil)
		}
	}
	return a
}

// waiting says why a queued flux is not deposited yet, and when it is tried next when that
// is known: its own failure, its destination paused after repeated failures, a platform that
// asked to wait behind the retry of another flux, or the schedule.
func waiting(fx journal.Flux, lang string, now time.Time, dest journal.DestinationState) (why, next string) {
	var parts []string
	switch {
	case fx.LastError != "":
		w := pick(lang,
			fmt.Sprintf("dépôt vers %s en échec (essai %d) : %s", fx.Destination, fx.Attempts, fx.LastError),
			fmt.Sprintf("deposit to %s failed (attempt %d): %s", fx.Destination, fx.Attempts, fx.LastError))
		if !fx.NextAttempt.IsZero() {
			next = stamp(fx.NextAttempt)
			w += pick(lang, " ; prochain essai à ", "; next attempt at ") + next
		} else {
			w += pick(lang, " ; il sera réessayé", "; it will be tried again")
		}
		parts = append(parts, w)
	case dest.Held(now) && dest.HeldBy != "" && dest.HeldBy != fx.FinalName:
		next = stamp(dest.HeldUntil)
		parts = append(parts, pick(lang,
			fmt.Sprintf("en attente derrière un nouvel essai de %s : %s a demandé d'attendre ; prochain essai à %s", dest.HeldBy, fx.Destination, next),
			fmt.Sprintf("waiting behind a retry of %s: %s asked to wait; next attempt at %s", dest.HeldBy, fx.Destination, next)))
	case dest.Held(now):
		next = stamp(dest.HeldUntil)
		parts = append(parts, pick(lang,
			fmt.Sprintf("%s a demandé d'attendre ; prochain essai à %s", fx.Destination, next),
			fmt.Sprintf("%s asked to wait; next attempt at %s", fx.Destination, next)))
	case !dest.Paused(now):
		parts = append(parts, pick(lang, "en attente du prochain dépôt planifié vers "+fx.Destination,
			"waiting for the next scheduled deposit to "+fx.Destination))
	}
	if dest.Paused(now) {
		p := pick(lang,
			fmt.Sprintf("dépôts vers %s suspendus jusqu'à %s après des échecs répétés", fx.Destination, stamp(dest.PausedUntil)),
			fmt.Sprintf("deposits to %s paused until %s after repeated failures", fx.Destination, stamp(dest.PausedUntil)))
		if dest.PauseReason != "" {
			p += " (" + dest.PauseReason + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, pick(lang, " ; ", "; ")), next
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func pick(lang, fr, en string) string {
	if lang == "en" {
		return en
	}
	return fr
}

func problems(ps []journal.Problem, lang string) []Problem {
	var out []Problem
	for _, p := range ps {
		msg := p.FR
		if lang == "en" || msg == "" {
			msg = p.EN
		}
		out = append(out, Problem{
			Rule:     p.Rule,
			Severity: p.Severity,
			Line:     p.Line,
			Field:    p.Field,
			BT:       strings.Join(p.BT, " "),
			Mapping:  p.MappingLine,
			Message:  msg,
		})
	}
	return out
}

// MaxName is the longest file name, in bytes, that most file systems and SFTP servers take
// (NAME_MAX); an ack is written under a temporary name TempOverhead bytes longer first.
const (
	MaxName      = 255
	TempOverhead = 18 // folder.TempName: "." + name + ".<12 hex digits>.tmp"
)

// Name is the ack file name for an input file: its base name plus ".ack.xml", the base
// name shortened (ShortName) when the ack's name would be too long for a file system.
func Name(input string) string {
	const suffix = ".ack.xml"
	return ShortName(path.Base(input), MaxName-TempOverhead-len(suffix)) + suffix
}

// SupersededName is the ack name of a file when a later file was dropped under the same
// name (exports that always write "export.csv"): the plain name belongs to the latest, and
// news of the earlier one (a deposit, a platform status) goes beside it, dated, instead of
// overwriting the latest's ack.
func SupersededName(input string, received time.Time, id int64) string {
	const room = MaxName - TempOverhead - len(".20060102-150405-.ack.xml") - 19 // 19: an int64's digits
	return fmt.Sprintf("%s.%s-%d.ack.xml", ShortName(path.Base(input), room), received.UTC().Format("20060102-150405"), id)
}

// ShortName returns name when it holds at most max bytes, and otherwise a name of at most
// max bytes that still says which file it was: the beginning of name (cut between
// characters), "~", 8 hex digits of the whole name's SHA-256 (two long names that begin
// alike stay apart), and name's extension when it is short.
func ShortName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 || len(ext) == len(name) {
		ext = ""
	}
	sum := sha256.Sum256([]byte(name))
	tag := "~" + hex.EncodeToString(sum[:4])
	keep := max - len(tag) - len(ext)
	if keep < 0 {
		return tag[1:]
	}
	stem := name[:len(name)-len(ext)]
	keep = min(keep, len(stem))
	for keep > 0 && keep < len(stem) && !utf8.RuneStart(stem[keep]) {
		keep-- // not inside a character
	}
	return stem[:keep] + tag + ext
}
