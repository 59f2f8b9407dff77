package httpapi

import (
	"net/http"
	"strings"
)

// messages are the words of the pages, French first: the people reading them are
// accountants and their IT person, in France for the most part.
var messages = map[string][2]string{ // key → {fr, en}
	"dashboard":       {"Tableau de bord", "Dashboard"},
	"files":           {"Fichiers", "Files"},
	"rejections":      {"Rejets par règle", "Rejections by rule"},
	"alerts":          {"Alertes", "Alerts"},
	"sources":         {"Sources", "Sources"},
	"destinations":    {"Destinations", "Destinations"},
	"source":          {"Source", "Source"},
	"destination":     {"Destination", "Destination"},
	"state":           {"État", "State"},
	"last scan":       {"Dernière lecture du dossier", "Last scan"},
	"today":           {"Aujourd'hui", "Today"},
	"waiting":         {"En attente", "Waiting"},
	"waiting files":   {"Fichiers non pris (et pourquoi)", "Files not taken (and why)"},
	"no waiting":      {"Aucun fichier en attente.", "No file waiting."},
	"up":              {"joignable", "reachable"},
	"down":            {"injoignable", "unreachable"},
	"unknown":         {"pas encore lu", "not listed yet"},
	"since":           {"depuis", "since"},
	"breaker":         {"Disjoncteur", "Breaker"},
	"failed rounds":   {"tournées échouées d'affilée", "failed rounds in a row"},
	"next deposit":    {"Prochain dépôt", "Next deposit"},
	"last deposit":    {"Dernier dépôt", "Last deposit"},
	"queue":           {"File d'attente", "Queue"},
	"schedule":        {"Calendrier", "Schedule"},
	"ok":              {"normal", "ok"},
	"failing":         {"en échec", "failing"},
	"paused":          {"en pause", "paused"},
	"paused until":    {"en pause jusqu'à", "paused until"},
	"resume":          {"Reprendre maintenant", "Resume now"},
	"last error":      {"Dernière erreur", "Last error"},
	"instances":       {"Instances (plusieurs passerelles sur un journal PostgreSQL)", "Instances (several gateways on one PostgreSQL journal)"},
	"scheduler":       {"ordonnanceur : créneaux de dépôt et suivi", "scheduler: deposit windows and tracking"},
	"silent":          {"muette : arrêtée brutalement ou coupée de la base ; son travail est repris", "silent: killed or cut off from the database; its work is taken over"},
	"running":         {"en marche", "running"},
	"stopped":         {"arrêtée", "stopped"},
	"last heartbeat":  {"dernier signe de vie", "last heartbeat"},
	"started":         {"démarrée", "started"},
	"host key":        {"Clé d'hôte SSH refusée : vérifiez-la avec l'administrateur du serveur (fluxgate doctor).", "SSH host key refused: check it with the server's administrator (fluxgate doctor)."},
	"recent files":    {"Derniers fichiers", "Latest files"},
	"all files":       {"Tous les fichiers", "All files"},
	"recent alerts":   {"Dernières alertes", "Latest alerts"},
	"no alerts":       {"Aucune alerte.", "No alert."},
	"file":            {"Fichier", "File"},
	"received":        {"Reçu", "Received"},
	"status":          {"Statut", "Status"},
	"size":            {"Taille", "Size"},
	"invoices":        {"Factures", "Invoices"},
	"invoice":         {"Facture", "Invoice"},
	"from":            {"Du", "From"},
	"to":              {"Au", "To"},
	"search":          {"Nom ou n° de facture", "Name or invoice number"},
	"filter":          {"Filtrer", "Filter"},
	"any":             {"tous", "any"},
	"no files":        {"Aucun fichier.", "No file."},
	"next page":       {"Page suivante", "Next page"},
	"journey":         {"Parcours du fichier", "File journey"},
	"timeline":        {"Chronologie (journal)", "Timeline (journal)"},
	"problems":        {"Problèmes", "Problems"},
	"file problems":   {"Problèmes du fichier", "File problems"},
	"line":            {"Ligne", "Line"},
	"lines":           {"Lignes", "Lines"},
	"field":           {"Champ", "Field"},
	"bt":              {"BT", "BT"},
	"rule":            {"Règle", "Rule"},
	"message":         {"Message", "Message"},
	"mapping line":    {"Ligne du mapping", "Mapping line"},
	"fluxes":          {"Flux", "Fluxes"},
	"flux":            {"Flux", "Flux"},
	"attempts":        {"Essais", "Attempts"},
	"receipt":         {"Accusé", "Receipt"},
	"platform":        {"Plateforme", "Platform"},
	"download ack":    {"Télécharger l'accusé (ack)", "Download the ack"},
	"download input":  {"Télécharger le fichier archivé", "Download the archived file"},
	"retry":           {"Relancer les dépôts échoués", "Retry the failed deposits"},
	"retry help":      {"Remet en file les flux en échec ou en attente de nouvel essai, et lance le dépôt.", "Puts the failed or waiting fluxes back in the queue and starts the deposit."},
	"reprocess":       {"Retraiter le fichier", "Reprocess the file"},
	"reprocess help":  {"Relit le fichier archivé avec le mapping de sa source, ou un autre (chemin relatif au dossier de la configuration). Les factures déjà déposées reviennent en doublon, sans second dépôt.", "Reads the archived file again with its source's mapping, or another (a path relative to the configuration's folder). Invoices deposited before come back as duplicates, not deposited twice."},
	"mapping":         {"Mapping", "Mapping"},
	"source mapping":  {"celui de la source", "the source's"},
	"read only":       {"Lecture seule : les actions sont réservées aux opérateurs.", "Read-only: actions are for operators."},
	"stored as":       {"Conservé sous", "Stored as"},
	"reprocess of":    {"Retraitement du fichier", "Reprocessing of file"},
	"no invoices":     {"Aucune facture.", "No invoice."},
	"in all":          {"en tout", "in all"},
	"shown":           {"affichées", "shown"},
	"first invoices":  {"Premières factures", "First invoices"},
	"next invoices":   {"Factures suivantes", "Next invoices"},
	"more events":     {"autres événements, non affichés : l'accusé donne le sort de chaque facture", "more events, not shown: the ack gives every invoice's outcome"},
	"no problems":     {"Aucun problème.", "No problem."},
	"rejected rules":  {"Factures rejetées, regroupées par règle", "Rejected invoices, grouped by rule"},
	"rejections help": {"Une même règle qui revient sur beaucoup de factures signale souvent un défaut du mapping ou de l'export plutôt que de la saisie.", "A rule that comes back on many invoices often points at a fault of the mapping or the export rather than of data entry."},
	"in files":        {"dans les fichiers", "in files"},
	"example":         {"Exemple", "Example"},
	"last seen":       {"Vu en dernier", "Last seen"},
	"no rejections":   {"Aucune facture rejetée sur la période.", "No invoice rejected in the period."},
	"days":            {"derniers jours", "last days"},
	"at":              {"Quand", "When"},
	"what":            {"Quoi", "What"},
	"outcome":         {"Envoi", "Outcome"},
	"error":           {"Erreur", "Error"},
	"back":            {"Retour au tableau de bord", "Back to the dashboard"},
	"never":           {"jamais", "never"},
	"now":             {"dès que possible", "as soon as possible"},
	"language":        {"English", "Français"},
	"processing":      {"en cours", "processing"},
	"ACCEPTED":        {"ACCEPTÉ", "ACCEPTED"},
	"PARTIAL":         {"PARTIEL", "PARTIAL"},
	"REJECTED":        {"REJETÉ", "REJECTED"},
	"DUPLICATE":       {"DOUBLON", "DUPLICATE"},
	"QUEUED":          {"EN FILE", "QUEUED"},
	"DEPOSITED":       {"DÉPOSÉE", "DEPOSITED"},
	"queued":          {"en file", "queued"},
	"depositing":      {"dépôt en cours", "depositing"},
	"deposited":       {"déposé", "deposited"},
	"failed":          {"en échec", "failed"},
	"claimed":         {"pris en charge", "claimed"},
	"processed":       {"traité", "processed"},
	"moved":           {"déplacé", "moved"},
	"deposit-started": {"dépôt commencé", "deposit started"},
	"deposit-failed":  {"dépôt échoué", "deposit failed"},
	"requeued":        {"remis en file", "requeued"},
	"sent":            {"envoyée", "sent"},
	"rate-limited":    {"retenue (limite de débit)", "held back (rate limit)"},
	"changing":        {"en cours d'écriture", "still changing"},
	"marker":          {"attend son fichier témoin", "waiting for its marker"},
	"pattern":         {"hors motif", "excluded by pattern"},
	"ignored":         {"ignoré", "ignored"},
	"directory":       {"dossier", "directory"},
	"symlink":         {"lien symbolique", "symbolic link"},
}

// tr returns the words of key in lang (the key itself when there are none).
func tr(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// language is the request's language: ?lang= (remembered in a cookie), else the cookie,
// else the configured one.
func (s *Server) language(w http.ResponseWriter, r *http.Request) string {
	if l := strings.ToLower(r.URL.Query().Get("lang")); l == "fr" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: "fluxgate_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("fluxgate_lang"); err == nil && (c.Value == "fr" || c.Value == "en") {
		return c.Value
	}
	return s.cfg.Language
}
