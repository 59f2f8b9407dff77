package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

// The views below are what both the pages and the JSON API show: read from the journal
// and the gateway's state at each request.

type fileView struct {
	ID          int64             `json:"id"`
	Source      string            `json:"source"`
	Name        string            `json:"name"`
	SHA256      string            `json:"sha256"`
	Size        int64             `json:"size"`
	State       string            `json:"state"`  // claimed, processed, done
	Status      string            `json:"status"` // ACCEPTED, PARTIAL, REJECTED, DUPLICATE; empty while processing
	StoredAs    string            `json:"storedAs,omitempty"`
	Received    time.Time         `json:"received"`
	Updated     time.Time         `json:"updated"`
	ReprocessOf int64             `json:"reprocessOf,omitempty"`
	Problems    []journal.Problem `json:"problems"`
	Links       fileLinks         `json:"links"`
}

type fileLinks struct {
	API   string `json:"api"`
	Page  string `json:"page"`
	Ack   string `json:"ack"`
	Input string `json:"input,omitempty"`
}

func newFileView(f journal.File) fileView {
	id := strconv.FormatInt(f.ID, 10)
	v := fileView{ID: f.ID, Source: f.Source, Name: f.Name, SHA256: f.SHA256, Size: f.Size, State: f.State, Status: f.Status,
		StoredAs: f.StoredName, Received: f.Received, Updated: f.Updated, ReprocessOf: f.ReprocessOf, Problems: nonNil(f.Problems),
		Links: fileLinks{API: "/api/v1/files/" + id, Page: "/files/" + id, Ack: "/files/" + id + "/ack"}}
	if f.State != journal.FileDone {
		v.Status = ""
	}
	if f.State == journal.FileDone && f.StoredName != "" {
		v.Links.Input = "/files/" + id + "/input"
	}
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type invoiceView struct {
	ID        int64             `json:"id"`
	FileID    int64             `json:"fileId"`
	Seq       int               `json:"seq"`
	Number    string            `json:"number"`
	IssueDate string            `json:"issueDate,omitempty"`
	Seller    string            `json:"seller,omitempty"`
	Status    string            `json:"status"`
	FirstLine int               `json:"firstLine"`
	LastLine  int               `json:"lastLine"`
	Problems  []journal.Problem `json:"problems"`
	Fluxes    []fluxView        `json:"fluxes"`
	Source    string            `json:"source,omitempty"`   // in lists across files
	FileName  string            `json:"fileName,omitempty"` // in lists across files
}

type fluxView struct {
	ID          int64         `json:"id"`
	Destination string        `json:"destination"`
	Syntax      string        `json:"syntax"`
	Name        string        `json:"name"`
	State       string        `json:"state"`
	Attempts    int           `json:"attempts"`
	LastError   string        `json:"lastError,omitempty"`
	NextAttempt *time.Time    `json:"nextAttempt,omitempty"`
	Receipt     string        `json:"receipt,omitempty"`
	DepositedAt *time.Time    `json:"depositedAt,omitempty"`
	Platform    *platformView `json:"platform,omitempty"`
}

type platformView struct {
	ID      string     `json:"id,omitempty"`
	Status  string     `json:"status"`
	Label   string     `json:"label,omitempty"`
	Message string     `json:"message,omitempty"`
	At      *time.Time `json:"at,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func newInvoiceView(inv journal.Invoice) invoiceView {
	v := invoiceView{ID: inv.ID, FileID: inv.FileID, Seq: inv.Seq, Number: inv.Number, IssueDate: inv.IssueDate, Seller: inv.Seller,
		Status: inv.Status, FirstLine: inv.FirstLine, LastLine: inv.LastLine, Problems: nonNil(inv.Problems), Fluxes: []fluxView{}}
	for _, fx := range inv.Fluxes {
		fv := fluxView{ID: fx.ID, Destination: fx.Destination, Syntax: fx.Syntax, Name: fx.FinalName, State: fx.State, Attempts: fx.Attempts,
			LastError: fx.LastError, NextAttempt: timePtr(fx.NextAttempt), Receipt: fx.Receipt, DepositedAt: timePtr(fx.DepositedAt)}
		if fx.State == journal.FluxDeposited {
			fv.LastError, fv.NextAttempt = "", nil
		}
		if p := fx.Platform; p.Status != "" {
			fv.Platform = &platformView{ID: p.ID, Status: p.Status, Label: p.Label, Message: p.Message, At: timePtr(p.At)}
		}
		v.Fluxes = append(v.Fluxes, fv)
	}
	return v
}

type eventView struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	FluxID int64     `json:"fluxId,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

type alertView struct {
	At      time.Time `json:"at"`
	Rule    string    `json:"rule"`
	FileID  int64     `json:"fileId,omitempty"`
	Subject string    `json:"subject"`
	Message string    `json:"message"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
}

func newAlertViews(as []journal.AlertRecord) []alertView {
	out := []alertView{}
	for _, a := range as {
		out = append(out, alertView{At: a.At, Rule: a.Rule, FileID: a.FileID, Subject: a.Subject, Message: a.Message, Outcome: a.Outcome, Detail: a.Detail})
	}
	return out
}

// fileDetail is a file's journey: the file, a page of its invoices with their findings
// and fluxes, how many it has in each status, the start of the audit trail, and the alerts
// it raised. A file of a million invoices is shown a page at a time, never loaded whole.
type fileDetail struct {
	fileView
	// InvoiceCount is how many invoices the file has; InvoiceCounts, how many in each status.
	InvoiceCount  int            `json:"invoiceCount"`
	InvoiceCounts map[string]int `json:"invoiceCounts"`
	// Invoices is the page asked for: at most limit invoices after the one of id after.
	Invoices []invoiceView `json:"invoices"`
	// NextInvoices is the path (of the page, or of the API) that shows the next invoices,
	// when there are more; FirstInvoices that of the first ones, when these are not.
	NextInvoices  string      `json:"nextInvoices,omitempty"`
	FirstInvoices string      `json:"firstInvoices,omitempty"`
	Events        []eventView `json:"events"`
	// EventCount is how many events the trail holds: more than Events when it is cut.
	EventCount int         `json:"eventCount"`
	MoreEvents int         `json:"-"` // how many are not shown
	Alerts     []alertView `json:"alerts"`
	// Retryable: some flux failed or waits out a back-off (the retry action applies).
	Retryable bool `json:"retryable"`
}

// invoicePage says which invoices of a file to show: those after the invoice of id After,
// at most Limit.
type invoicePage struct {
	After int64
	Limit int
}

// maxEvents is how much of a file's audit trail is shown: its start (claimed, processed,
// moved, the first deposits); the ack has every invoice's outcome.
const maxEvents = 500

// defaultInvoicePage is how many invoices a file's page shows unless asked otherwise.
const defaultInvoicePage = 100

// pageOf reads the invoice page a file's page or API is asked for: ?after=ID&limit=N (other
// parameters are ignored, as they were before pages).
func pageOf(q url.Values) (invoicePage, error) {
	after, err := intParam(q, "after", 0, 0, math.MaxInt)
	if err != nil {
		return invoicePage{}, err
	}
	limit, err := intParam(q, "limit", defaultInvoicePage, 1, 1000)
	return invoicePage{After: int64(after), Limit: limit}, err
}

func (s *Server) fileDetail(ctx context.Context, id int64, page invoicePage, base string) (fileDetail, error) {
	f, err := s.j.File(ctx, id)
	if errors.Is(err, journal.ErrNotFound) {
		return fileDetail{}, badInput(http.StatusNotFound, "no file %d in the journal", id)
	}
	if err != nil {
		return fileDetail{}, err
	}
	d := fileDetail{fileView: newFileView(f), Invoices: []invoiceView{}, Events: []eventView{}}
	if d.InvoiceCounts, err = s.j.InvoiceCounts(ctx, id); err != nil {
		return d, err
	}
	for _, n := range d.InvoiceCounts {
		d.InvoiceCount += n
	}
	invs, err := s.j.InvoicePage(ctx, id, page.After, page.Limit+1) // one more says whether there are more
	if err != nil {
		return d, err
	}
	more := len(invs) > page.Limit
	invs = invs[:min(len(invs), page.Limit)]
	for _, inv := range invs {
		d.Invoices = append(d.Invoices, newInvoiceView(inv))
	}
	link := func(after int64) string {
		q := url.Values{}
		if after > 0 {
			q.Set("after", strconv.FormatInt(after, 10))
		}
		if page.Limit != defaultInvoicePage {
			q.Set("limit", strconv.Itoa(page.Limit))
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	if more {
		d.NextInvoices = link(invs[len(invs)-1].ID)
	}
	if page.After > 0 {
		d.FirstInvoices = link(0)
	}
	if d.Retryable, err = s.j.Retryable(ctx, id); err != nil {
		return d, err
	}
	evs, n, err := s.j.FirstEvents(ctx, id, maxEvents)
	if err != nil {
		return d, err
	}
	d.EventCount, d.MoreEvents = n, n-len(evs)
	for _, e := range evs {
		d.Events = append(d.Events, eventView{At: e.At, Kind: e.Kind, FluxID: e.FluxID, Detail: e.Detail})
	}
	as, err := s.j.FileAlerts(ctx, id)
	if err != nil {
		return d, err
	}
	d.Alerts = newAlertViews(as)
	return d, nil
}

// fileID reads the {id} of the path.
func fileID(r *http.Request) (int64, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, badInput(http.StatusBadRequest, "%q is not a file id: a positive number, as /api/v1/files lists", raw)
	}
	return id, nil
}

// fileFilter reads the filters of the files list: source, status, from, to (dates,
// 2026-11-30, or RFC 3339 times), q (text in the name or an invoice number), limit, offset.
func (s *Server) fileFilter(q url.Values) (journal.FileFilter, error) {
	var f journal.FileFilter
	for key := range q {
		if !slices.Contains([]string{"source", "status", "from", "to", "q", "limit", "offset", "lang"}, key) {
			return f, badInput(http.StatusBadRequest, "unknown filter %q: use source, status, from, to, q, limit, offset", key)
		}
	}
	f.Source = q.Get("source")
	if f.Source != "" && !slices.ContainsFunc(s.g.Config().Sources, func(sc config.SourceConfig) bool { return sc.Name == f.Source }) {
		return f, badInput(http.StatusBadRequest, "unknown source %q", f.Source)
	}
	f.Status = strings.ToUpper(q.Get("status"))
	if f.Status == strings.ToUpper(journal.ProcessingStatus) {
		f.Status = journal.ProcessingStatus
	}
	if f.Status != "" && !slices.Contains(journal.FileStatuses, f.Status) {
		return f, badInput(http.StatusBadRequest, "unknown status %q: use one of %s", q.Get("status"), strings.Join(journal.FileStatuses, ", "))
	}
	var err error
	if f.From, err = parseDate(q.Get("from"), false); err != nil {
		return f, badInput(http.StatusBadRequest, "from: %v", err)
	}
	if f.To, err = parseDate(q.Get("to"), true); err != nil {
		return f, badInput(http.StatusBadRequest, "to: %v", err)
	}
	f.Text = q.Get("q")
	if len(f.Text) > 200 {
		return f, badInput(http.StatusBadRequest, "q: at most 200 characters")
	}
	if f.Limit, err = intParam(q, "limit", 100, 1, 1000); err != nil {
		return f, err
	}
	if f.Offset, err = intParam(q, "offset", 0, 0, 1<<30); err != nil {
		return f, err
	}
	return f, nil
}

// parseDate reads a day (2026-11-30, local time) or an RFC 3339 time. A day given as an end
// means the end of that day.
func parseDate(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date: write 2026-11-30 or 2026-11-30T08:00:00Z", s)
}

func intParam(q url.Values, key string, def, lo, hi int) (int, error) {
	raw := q.Get(key)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, badInput(http.StatusBadRequest, "%s: %q is not a number from %d to %d", key, raw, lo, hi)
	}
	return n, nil
}

type sourceView struct {
	Name        string                `json:"name"`
	Folder      string                `json:"folder"`
	Destination string                `json:"destination"`
	State       string                `json:"state"` // up, down, unknown (not listed yet)
	LastScan    *time.Time            `json:"lastScan,omitempty"`
	DownSince   *time.Time            `json:"downSince,omitempty"`
	LastError   string                `json:"lastError,omitempty"`
	HostKey     bool                  `json:"hostKeyRefused,omitempty"`
	Today       map[string]int64      `json:"today"` // files received today, by status
	Waiting     []gateway.WaitingFile `json:"waiting"`
}

func (s *Server) sources(ctx context.Context) ([]sourceView, error) {
	now := time.Now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	tally, err := s.j.FileTally(ctx, midnight)
	if err != nil {
		return nil, err
	}
	out := []sourceView{}
	for _, st := range s.g.Sources() {
		v := sourceView{Name: st.Name, Folder: st.Folder, Destination: st.Destination, State: "unknown", LastScan: timePtr(st.LastScan),
			DownSince: timePtr(st.DownSince), LastError: st.LastError, HostKey: st.HostKeyRefused, Today: map[string]int64{}, Waiting: nonNil(st.Waiting)}
		switch {
		case st.Scanned && st.Up:
			v.State = "up"
		case st.Scanned:
			v.State = "down"
		}
		for _, t := range tally {
			if t.Group == st.Name {
				v.Today[t.Status] = t.N
			}
		}
		out = append(out, v)
	}
	return out, nil
}

type destinationView struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	Schedule    string     `json:"schedule"`
	State       string     `json:"state"` // ok, failing, paused
	Paused      bool       `json:"paused"`
	PausedUntil *time.Time `json:"pausedUntil,omitempty"`
	Failures    int        `json:"failedRounds"`
	Queue       int64      `json:"queue"` // fluxes waiting for their deposit
	Failed      int64      `json:"failed"`
	Deposited   int64      `json:"deposited"`
	LastDeposit *time.Time `json:"lastDeposit,omitempty"`
	NextDeposit *time.Time `json:"nextDeposit,omitempty"` // when fluxes wait
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
	HostKey     bool       `json:"hostKeyRefused,omitempty"`
}

func (s *Server) destinations(ctx context.Context) ([]destinationView, error) {
	tally, err := s.j.FluxTally(ctx)
	if err != nil {
		return nil, err
	}
	act, err := s.j.Activity(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := []destinationView{}
	for _, st := range s.g.Destinations() {
		v := destinationView{Name: st.Name, Kind: st.Kind, Schedule: st.Schedule, State: "ok", Paused: st.Paused(), PausedUntil: timePtr(st.PausedUntil),
			Failures: st.Failures, HostKey: st.HostKeyRefused}
		for _, t := range tally {
			if t.Group != st.Name {
				continue
			}
			switch t.Status {
			case journal.FluxQueued, journal.FluxDepositing:
				v.Queue += t.N
			case journal.FluxFailed:
				v.Failed += t.N
			case journal.FluxDeposited:
				v.Deposited += t.N
			}
		}
		a := act[st.Name]
		v.LastDeposit = timePtr(a.LastDeposit)
		v.LastError, v.LastErrorAt = a.LastError, timePtr(a.LastErrorAt)
		if st.LastError != "" && !st.LastCallOK && st.LastCall.After(a.LastErrorAt) {
			v.LastError, v.LastErrorAt = st.LastError, timePtr(st.LastCall)
		}
		if v.Queue > 0 {
			next := now
			if !st.NextTick.IsZero() {
				next = st.NextTick
			}
			if at, ok, err := s.j.NextAttempt(ctx, st.Name); err == nil && ok && at.After(next) && v.Queue == 1 {
				next = at
			}
			if st.Paused() && st.PausedUntil.After(next) {
				next = st.PausedUntil
			}
			v.NextDeposit = &next
		}
		switch {
		case st.Paused():
			v.State = "paused"
		case st.Failures > 0 || (v.LastError != "" && v.Queue > 0):
			v.State = "failing"
		}
		out = append(out, v)
	}
	return out, nil
}
