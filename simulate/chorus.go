package simulate

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Chorus Pro answers in Paris time, wherever the simulator runs
)

// Chorus API paths the simulator serves (under its base URL), and its token path.
const (
	ChorusTokenPath = "/api/oauth/token"
	chorusDeposit   = "/cpro/factures/v1/deposer/flux"
	chorusCR        = "/cpro/transverses/v1/consulterCRDetaille"
	chorusSearch    = "/cpro/factures/v1/rechercher/fournisseur"
	chorusHistory   = "/cpro/factures/v1/consulter/historique"
	chorusHealth    = "/cpro/transverses/v1/health-check"
)

// Default account of the simulator's cpro-account header.
const (
	DefaultChorusLogin    = "TECH_1_fluxgate@cpro.fr"
	DefaultChorusPassword = "fluxgate-sim"
)

// ChorusStatus is one step of an invoice's life on the simulated Chorus Pro.
type ChorusStatus struct {
	Code    string // DEPOSEE, MISE_A_DISPOSITION, SUSPENDUE, REJETEE, MANDATEE, MISE_EN_PAIEMENT…
	Comment string // histoStatutCommentaire
}

// DefaultChorusPath is the life of an invoice nobody planned otherwise.
var DefaultChorusPath = []ChorusStatus{{Code: "DEPOSEE"}, {Code: "MISE_A_DISPOSITION"}, {Code: "MANDATEE"}, {Code: "MISE_EN_PAIEMENT"}}

// chorusFluxStates is the road of a flux through integration, one step per consultation;
// the last step is IN_INTEGRE, IN_INTEGRE_PARTIEL or IN_REJETE as its invoices decide.
var chorusFluxStates = []string{"IN_RECU", "IN_EN_COURS_TRAITEMENT_CPP"}

// paris is the clock of Chorus Pro's answers: local times of Paris, without an offset.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("simulate: Europe/Paris missing from time/tzdata: " + err.Error())
	}
	return loc
}()

// parisTime writes t as Chorus Pro does: Paris local time, no offset.
func parisTime(t time.Time) string { return t.In(paris).Format("2006-01-02T15:04:05.000") }

// Chorus simulates the Chorus Pro API of a supplier: deposit of flux, detailed integration
// report, search of the supplier's invoices, history of an invoice.
//
// A deposit is integrated on the third consultation of its report, or, once
// SetIntegrationDelay is called, when that delay has passed since the deposit, whoever
// asks. Only then are its invoices searchable (rechercher/fournisseur), and only then is an
// invoice whose number the supplier used already refused, in the report's listeErreurDP, as
// a duplicate ("Doublon") — as Chorus Pro does. The answer of a deposit can be lost after
// it was processed (LoseNextAnswers, LoseAnswersAtRandom).
type Chorus struct {
	base
	account string // expected cpro-account header

	fluxes   map[string]*cFlux
	invoices []*cInvoice
	nextFlux int
	nextInv  int64

	rejects        map[string]string // invoice number → libelleErreurDP at integration
	rejectContains string            // invoices whose number contains it are rejected too
	paths          map[string][]ChorusStatus
	businessErrors []chorusBusinessError
	now            func() time.Time

	order          []*cFlux       // deposits in the order received, for integration by the clock
	integrateAfter time.Duration  // with timed: delay between a deposit and its integration
	timed          bool           // integration by the clock rather than by consultations
	deposits       map[string]int // invoice number → deposits processed that carried it
	losses         AnswerLoser    // lost answers of deposits
}

type chorusBusinessError struct {
	code    int
	libelle string
}

type cFlux struct {
	numero, nom, syntaxe string
	step                 int // index in chorusFluxStates; len means final
	final                string
	errors               []map[string]any
	invoices             []*cInvoice
	deposited            time.Time
	numbers              []string // invoice numbers read from the files, to integrate
	integrated           bool
}

type cInvoice struct {
	id      int64
	number  string
	flux    string
	path    []ChorusStatus
	step    int // index in path of the current status
	history []map[string]any
}

// NewChorus returns a simulated Chorus Pro with the default credentials and account.
func NewChorus() *Chorus {
	c := &Chorus{base: newBase(), fluxes: map[string]*cFlux{}, rejects: map[string]string{},
		paths: map[string][]ChorusStatus{}, nextFlux: 1000, nextInv: 5000, now: time.Now, deposits: map[string]int{}}
	c.SetAccount(DefaultChorusLogin, DefaultChorusPassword)
	return c
}

// SetAccount sets the technical account the cpro-account header must carry.
func (c *Chorus) SetAccount(login, password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.account = base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
}

// RejectAtIntegration makes the invoice numbered number fail integration with libelle: its
// flux ends IN_INTEGRE_PARTIEL (IN_REJETE when none of its invoices passes) and the invoice
// is listed in listeErreurDP.
func (c *Chorus) RejectAtIntegration(number, libelle string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rejects[number] = libelle
}

// RejectContaining rejects at integration every invoice whose number contains s (for a
// demonstration from the command line).
func (c *Chorus) RejectContaining(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rejectContains = s
}

// PlanInvoice sets the statuses the invoice numbered number goes through once integrated,
// one step each time the supplier searches its flux's invoices.
func (c *Chorus) PlanInvoice(number string, path ...ChorusStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths[number] = path
}

// BusinessErrorNext makes the next deposit answer HTTP 200 with codeRetour code.
func (c *Chorus) BusinessErrorNext(code int, libelle string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.businessErrors = append(c.businessErrors, chorusBusinessError{code, libelle})
}

// SetIntegrationDelay makes deposits integrate d after they were received, whether or not
// their report is consulted (a deposit whose answer was lost is integrated all the same);
// until then its report says IN_RECU, then IN_EN_COURS_TRAITEMENT_CPP, and a search does
// not find its invoices.
func (c *Chorus) SetIntegrationDelay(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.integrateAfter, c.timed = d, true
}

// SetClock makes the simulator read the time from now instead of the system clock, so
// that a test moves integration delays on by hand.
func (c *Chorus) SetClock(now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// LoseNextAnswers processes the next n deposits and loses their answers, how.
func (c *Chorus) LoseNextAnswers(n int, how Loss) { c.losses.LoseNext(n, how) }

// LoseAnswersAtRandom processes every deposit and loses its answer with probability p.
func (c *Chorus) LoseAnswersAtRandom(p float64) { c.losses.LoseAtRandom(p) }

// SetMaxHang bounds how long a deposit whose answer is lost by hanging keeps the
// connection silent (default 5 minutes).
func (c *Chorus) SetMaxHang(d time.Duration) { c.losses.SetMaxHang(d) }

// LostAnswers returns how many deposit answers were lost.
func (c *Chorus) LostAnswers() int { return c.losses.Lost() }

// InvoiceDeposits returns, per invoice number, how many processed deposits carried it
// (duplicates refused at integration included): 1 everywhere means nothing was doubled.
func (c *Chorus) InvoiceDeposits() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.deposits))
	for k, v := range c.deposits {
		out[k] = v
	}
	return out
}

// Handler serves the token endpoint and the API on one mux.
func (c *Chorus) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(ChorusTokenPath, c.token)
	mux.Handle(chorusDeposit, c.losses.Wrap(c.api(c.deposit)))
	mux.HandleFunc(chorusCR, c.api(c.consulterCR))
	mux.HandleFunc(chorusSearch, c.api(c.search))
	mux.HandleFunc(chorusHistory, c.api(c.history))
	mux.HandleFunc(chorusHealth, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": "OK (simulateur)"})
	})
	return mux
}

// api wraps an endpoint: method, faults, token, then the cpro-account header.
func (c *Chorus) api(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if !c.guard(w, r) {
			return
		}
		c.mu.Lock()
		ok := r.Header.Get("cpro-account") == c.account
		c.catchUp()
		c.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusForbidden, map[string]any{"codeRetour": 403, "libelle": "compte technique (cpro-account) absent ou invalide"})
			return
		}
		h(w, r)
	}
}

func businessError(w http.ResponseWriter, code int, libelle string) {
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": code, "libelle": libelle})
}

var chorusSyntaxes = []string{"IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII_16B", "IN_DP_E1_CII_FACTURX", "IN_DP_E2_CII_FACTURX", "IN_DP_E1_XCBL", "IN_DP_E1_PES_FACTURE"}

func (c *Chorus) deposit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		FichierFlux   string `json:"fichierFlux"`
		NomFichier    string `json:"nomFichier"`
		SyntaxeFlux   string `json:"syntaxeFlux"`
		AvecSignature bool   `json:"avecSignature"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"codeRetour": 400, "libelle": "requête illisible : " + err.Error()})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.businessErrors) > 0 {
		e := c.businessErrors[0]
		c.businessErrors = c.businessErrors[1:]
		businessError(w, e.code, e.libelle)
		return
	}
	if !slices.Contains(chorusSyntaxes, req.SyntaxeFlux) {
		businessError(w, 20001, "syntaxeFlux inconnue : "+req.SyntaxeFlux)
		return
	}
	if req.NomFichier == "" {
		businessError(w, 20002, "nomFichier obligatoire")
		return
	}
	data, err := base64.StdEncoding.DecodeString(req.FichierFlux)
	if err != nil || len(data) == 0 {
		businessError(w, 20003, "fichierFlux vide ou non encodé en base64")
		return
	}
	files, err := unpack(req.NomFichier, data)
	if err != nil {
		businessError(w, 20004, "archive illisible : "+err.Error())
		return
	}
	c.nextFlux++
	numero := fmt.Sprintf("CPP%012d", c.nextFlux)
	f := &cFlux{numero: numero, nom: req.NomFichier, syntaxe: req.SyntaxeFlux, deposited: c.now()}
	for _, file := range files {
		number, err := InvoiceNumber(file)
		if err != nil {
			f.errors = append(f.errors, map[string]any{"numeroDP": "", "libelleErreurDP": "facture illisible : " + err.Error()})
			continue
		}
		f.numbers = append(f.numbers, number)
		c.deposits[number]++
	}
	c.fluxes[numero] = f
	c.order = append(c.order, f)
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": "GCU_MSG_01_000", "numeroFluxDepot": numero,
		"dateDepot": f.deposited.In(paris).Format("2006-01-02"), "syntaxeFlux": req.SyntaxeFlux})
}

// integrate integrates a deposit: each invoice is refused (planned, or a duplicate of a live
// invoice, decided now, against what is integrated now) or becomes visible to searches at
// its first status. Called with c.mu held.
func (c *Chorus) integrate(f *cFlux) {
	if f.integrated {
		return
	}
	f.integrated = true
	for _, number := range f.numbers {
		if msg, ok := c.rejectionOf(number); ok {
			f.errors = append(f.errors, map[string]any{"numeroDP": number, "libelleErreurDP": msg})
			continue
		}
		c.nextInv++
		path := c.paths[number]
		if len(path) == 0 {
			path = DefaultChorusPath
		}
		inv := &cInvoice{id: c.nextInv, number: number, flux: f.numero, path: path}
		f.invoices = append(f.invoices, inv)
		c.invoices = append(c.invoices, inv)
		inv.history = append(inv.history, c.histo(inv))
	}
	switch {
	case len(f.invoices) == 0:
		f.final = "IN_REJETE"
	case len(f.errors) > 0:
		f.final = "IN_INTEGRE_PARTIEL"
	default:
		f.final = "IN_INTEGRE"
	}
}

// catchUp integrates, in the order received, the deposits whose integration delay is over.
// Called with c.mu held.
func (c *Chorus) catchUp() {
	if !c.timed {
		return
	}
	now := c.now()
	for _, f := range c.order {
		if !f.integrated && !now.Before(f.deposited.Add(c.integrateAfter)) {
			c.integrate(f)
		}
	}
}

// rejectionOf says whether an invoice fails integration, and why: planned, or a duplicate
// of a live invoice.
func (c *Chorus) rejectionOf(number string) (string, bool) {
	if msg, ok := c.rejects[number]; ok {
		return msg, true
	}
	if c.rejectContains != "" && strings.Contains(number, c.rejectContains) {
		return "Le SIRET du destinataire est inconnu de Chorus Pro (simulateur).", true
	}
	for _, inv := range c.invoices {
		if inv.number == number && inv.path[inv.step].Code != "REJETEE" {
			return fmt.Sprintf("Doublon : la facture %s a déjà été déposée par ce fournisseur.", number), true
		}
	}
	return "", false
}

// unpack returns the files of a deposit: the one file, or those of a tar.gz.
func unpack(name string, data []byte) ([][]byte, error) {
	if !strings.HasSuffix(strings.ToLower(name), ".tar.gz") && !strings.HasSuffix(strings.ToLower(name), ".tgz") {
		return [][]byte{data}, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	var files [][]byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files = append(files, b)
	}
}

func (c *Chorus) consulterCR(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NumeroFluxDepot string `json:"numeroFluxDepot"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"codeRetour": 400, "libelle": err.Error()})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.fluxes[req.NumeroFluxDepot]
	if !ok {
		businessError(w, 20010, "flux "+req.NumeroFluxDepot+" inconnu")
		return
	}
	var state string
	switch {
	case f.integrated:
		state = f.final
	case c.timed: // integrated by the clock (catchUp), not by this consultation
		state = chorusFluxStates[min(f.step, len(chorusFluxStates)-1)]
		f.step++
	case f.step < len(chorusFluxStates):
		state = chorusFluxStates[f.step]
		f.step++
	default:
		c.integrate(f)
		state = f.final
	}
	ans := map[string]any{"codeRetour": 0, "libelle": "GCU_MSG_01_000", "nomFichier": f.nom,
		"dateDepotFlux": parisTime(f.deposited), "codeInterfaceDepotFlux": interfaceOf(f.syntaxe),
		"etatCourantDepotFlux": state, "dateHeureEtatCourantFlux": parisTime(c.now())}
	if f.integrated {
		ans["listeErreurDP"] = f.errors
		if state == "IN_REJETE" {
			ans["listeErreurTechnique"] = []map[string]any{{"codeErreur": "REJ_FLUX", "libelleErreur": "aucune facture du flux n'a pu être intégrée", "natureErreur": "FONCTIONNELLE"}}
		}
	}
	writeJSON(w, http.StatusOK, ans)
}

func (c *Chorus) histo(inv *cInvoice) map[string]any {
	s := inv.path[inv.step]
	return map[string]any{"histoStatutCode": s.Code, "histoStatutDatePassage": parisTime(c.now()),
		"histoStatutCommentaire": s.Comment, "histoStatutId": len(inv.history) + 1}
}

func interfaceOf(syntaxe string) string {
	switch syntaxe {
	case "IN_DP_E1_UBL_INVOICE":
		return "FSO1100A"
	case "IN_DP_E1_CII_16B":
		return "FSO1106A"
	}
	return "FSO1117A"
}

func (c *Chorus) search(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NumeroFluxDepot string `json:"numeroFluxDepot"`
		NumeroFacture   string `json:"numeroFacture"`
		Pagination      struct {
			Page    int `json:"pageResultatDemandee"`
			PerPage int `json:"nbResultatsParPage"`
		} `json:"rechercheFactureParFournisseur"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"codeRetour": 400, "libelle": err.Error()})
		return
	}
	page, per := max(1, req.Pagination.Page), req.Pagination.PerPage
	if per <= 0 {
		per = 10 // the documented default
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var found []*cInvoice
	for _, inv := range c.invoices {
		if (req.NumeroFluxDepot == "" || inv.flux == req.NumeroFluxDepot) && (req.NumeroFacture == "" || inv.number == req.NumeroFacture) {
			found = append(found, inv)
		}
	}
	pages := (len(found) + per - 1) / per
	var list []map[string]any
	for i := (page - 1) * per; i < min(len(found), page*per); i++ {
		inv := found[i]
		list = append(list, map[string]any{"identifiantFactureCPP": inv.id, "numeroFacture": inv.number,
			"statut": inv.path[inv.step].Code, "numeroFluxDepot": inv.flux})
	}
	// Statuses move on one step each time the supplier has read its flux's last page: they
	// change "over time" as seen by a poller, without any clock.
	if req.NumeroFluxDepot != "" && page >= pages {
		for _, inv := range found {
			if inv.step < len(inv.path)-1 {
				c.advance(inv)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": "GCU_MSG_01_000", "listeFactures": list,
		"parametresRetour": map[string]any{"pageCourante": page, "pages": pages, "nbResultatsParPage": per, "total": len(found)}})
}

// advance moves an invoice to its next status. Called with c.mu held.
func (c *Chorus) advance(inv *cInvoice) {
	inv.step++
	inv.history = append(inv.history, c.histo(inv))
}

func (c *Chorus) history(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDFacture int64 `json:"idFacture"`
	}
	if err := readJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"codeRetour": 400, "libelle": err.Error()})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, inv := range c.invoices {
		if inv.id == req.IDFacture {
			writeJSON(w, http.StatusOK, map[string]any{"codeRetour": 0, "libelle": "GCU_MSG_01_000",
				"idFacture": inv.id, "numeroFacture": inv.number, "statutCourantCode": inv.path[inv.step].Code,
				"historiquesDesStatuts": map[string]any{"histoStatut": inv.history}})
			return
		}
	}
	businessError(w, 20020, fmt.Sprintf("facture %d inconnue", req.IDFacture))
}
