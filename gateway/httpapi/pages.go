package httpapi

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fluxgate/fluxgate/gateway/folder"
	"github.com/fluxgate/fluxgate/gateway/journal"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticRoot embed.FS

var staticFS, _ = fs.Sub(staticRoot, "static")

// pages holds one template set per page, each with the layout.
type pages struct {
	sets map[string]*template.Template
}

var pageNames = []string{"dashboard", "files", "journey", "rejections", "alerts", "error"}

func newPages() (*pages, error) {
	funcs := template.FuncMap{
		"t":   tr,
		"tm":  fmtTime,
		"ago": ago,
		"msg": func(lang string, p journal.Problem) string {
			if lang == "en" || p.FR == "" {
				return p.EN
			}
			return p.FR
		},
		"probs": func(lang string, ps []journal.Problem) problemList { return problemList{lang, ps} },
		"lower": strings.ToLower,
		"bytes": fmtBytes,
		"join":  strings.Join,
		"deref": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("httpapi: template %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// ago says how long ago t was, shortly (for the dashboard).
func ago(lang string, t time.Time) string {
	if t.IsZero() {
		return tr(lang, "never")
	}
	d := time.Since(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	if lang == "en" {
		return d.String() + " ago"
	}
	return "il y a " + d.String()
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// problemList is what the "problems" template shows.
type problemList struct {
	Lang     string
	Problems []journal.Problem
}

// pageData is what every page's template gets.
type pageData struct {
	Lang     string
	Title    string
	Nav      string
	Path     string // the page's path, for the language switch
	User     user
	Operator bool
	CSRF     string
	Flash    string
	Version  string
	Body     any
}

// page is a GET page for any authenticated user; a handler's error becomes an error page.
func (s *Server) page(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return s.authed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			code, msg := statusOf(err)
			if code >= 500 {
				s.log.Error("page failed", "path", r.URL.Path, "err", err)
			}
			s.refusePage(w, r, code, msg)
		}
	}))
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name, title string, body any) {
	u := userOf(r.Context())
	lang := s.language(w, r)
	d := pageData{Lang: lang, Title: tr(lang, title), Nav: name, Path: r.URL.Path, User: u, Operator: u.Operator,
		CSRF: s.auth.csrfToken(u), Version: s.opts.Version, Body: body}
	if c, err := r.Cookie("fluxgate_flash"); err == nil {
		if msg, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			d.Flash = string(msg)
		}
		http.SetCookie(w, &http.Cookie{Name: "fluxgate_flash", Path: "/", MaxAge: -1})
	}
	var buf bytes.Buffer
	if err := s.pages.sets[name].ExecuteTemplate(&buf, "layout.html", d); err != nil {
		s.log.Error("page not rendered", "page", name, "err", err)
		http.Error(w, "500: page not rendered: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// refusePage answers an error with a page that says it.
func (s *Server) refusePage(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.render(w, r, code, "error", "error", struct {
		Code    int
		Message string
	}{code, msg})
}

// redirect goes back to a page after a form, with a message shown once.
func redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	http.SetCookie(w, &http.Cookie{Name: "fluxgate_flash", Value: base64.RawURLEncoding.EncodeToString([]byte(flash)), Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type dashboard struct {
	Sources      []sourceView
	Destinations []destinationView
	Files        []fileView
	Alerts       []alertView
	Instances    []journal.Instance // the gateways sharing a PostgreSQL journal (instances.go)
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var d dashboard
	var err error
	if d.Sources, err = s.sources(ctx); err != nil {
		return err
	}
	if d.Destinations, err = s.destinations(ctx); err != nil {
		return err
	}
	if d.Instances, err = s.j.Instances(ctx); err != nil {
		return err
	}
	files, err := s.j.SearchFiles(ctx, journal.FileFilter{Limit: 10})
	if err != nil {
		return err
	}
	for _, f := range files {
		d.Files = append(d.Files, newFileView(f))
	}
	as, err := s.j.RecentAlerts(ctx, 5)
	if err != nil {
		return err
	}
	d.Alerts = newAlertViews(as)
	s.render(w, r, http.StatusOK, "dashboard", "dashboard", d)
	return nil
}

type filesList struct {
	Filter   journal.FileFilter
	From, To string
	Sources  []string
	Statuses []string
	Files    []fileView
	Next     string // the next page's URL, when this one is full
}

func (s *Server) filesPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := s.fileFilter(q)
	if err != nil {
		return err
	}
	files, err := s.j.SearchFiles(r.Context(), f)
	if err != nil {
		return err
	}
	l := filesList{Filter: f, From: q.Get("from"), To: q.Get("to"), Statuses: journal.FileStatuses}
	for _, sc := range s.g.Config().Sources {
		l.Sources = append(l.Sources, sc.Name)
	}
	for _, file := range files {
		l.Files = append(l.Files, newFileView(file))
	}
	if len(files) == f.Limit {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("offset", strconv.Itoa(f.Offset+f.Limit))
		l.Next = "/files?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, "files", "files", l)
	return nil
}

type journey struct {
	fileDetail
	Mappings []string // the configured mappings, relative to the configuration's folder
}

func (s *Server) journeyPage(w http.ResponseWriter, r *http.Request) error {
	id, err := fileID(r)
	if err != nil {
		return err
	}
	page, err := pageOf(r.URL.Query())
	if err != nil {
		return err
	}
	d, err := s.fileDetail(r.Context(), id, page, "/files/"+strconv.FormatInt(id, 10))
	if err != nil {
		return err
	}
	j := journey{fileDetail: d}
	cfg := s.g.Config()
	seen := map[string]bool{}
	for _, sc := range cfg.Sources {
		rel, err := filepath.Rel(cfg.Dir, cfg.Path(sc.Mapping))
		if err != nil || !filepath.IsLocal(rel) || seen[rel] {
			continue
		}
		seen[rel] = true
		j.Mappings = append(j.Mappings, filepath.ToSlash(rel))
	}
	s.render(w, r, http.StatusOK, "journey", "journey", j)
	return nil
}

type rejectionsView struct {
	Days  int
	Rules []ruleGroupView
}

func (s *Server) rejectionsPage(w http.ResponseWriter, r *http.Request) error {
	groups, since, err := s.rejections(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "rejections", "rejections", rejectionsView{Days: int(time.Since(since).Hours()/24 + 0.5), Rules: groups})
	return nil
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	as, err := s.j.RecentAlerts(r.Context(), 200)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "alerts", "alerts", newAlertViews(as))
	return nil
}

func (s *Server) downloadAck(w http.ResponseWriter, r *http.Request) error {
	return s.download(w, r, s.g.OpenAck, "application/xml")
}

func (s *Server) downloadInput(w http.ResponseWriter, r *http.Request) error {
	return s.download(w, r, s.g.OpenInput, "application/octet-stream")
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, open func(ctx context.Context, id int64) (io.ReadCloser, string, error), ctype string) error {
	id, err := fileID(r)
	if err != nil {
		return err
	}
	rc, name, err := open(r.Context(), id)
	switch {
	case errors.Is(err, journal.ErrNotFound):
		return badInput(http.StatusNotFound, "no file %d in the journal", id)
	case errors.Is(err, folder.ErrNotExist):
		return badInput(http.StatusNotFound, "file %d: %v", id, err)
	case err != nil:
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Warn("download cut", "file", id, "err", err)
	}
	return nil
}

func (s *Server) retryForm(w http.ResponseWriter, r *http.Request) {
	res, err := s.retry(r)
	s.afterForm(w, r, "/files/"+r.PathValue("id"), res, err)
}

func (s *Server) reprocessForm(w http.ResponseWriter, r *http.Request) {
	res, err := s.reprocess(r, r.PostFormValue("mapping"))
	to := "/files/" + r.PathValue("id")
	if err == nil && res.FileID != 0 {
		to = "/files/" + strconv.FormatInt(res.FileID, 10)
	}
	s.afterForm(w, r, to, res, err)
}

func (s *Server) resumeForm(w http.ResponseWriter, r *http.Request) {
	res, err := s.resume(r)
	s.afterForm(w, r, "/", res, err)
}

func (s *Server) afterForm(w http.ResponseWriter, r *http.Request, to string, res actionResult, err error) {
	if err != nil {
		code, msg := statusOf(err)
		if code >= 500 {
			s.log.Error("action failed", "path", r.URL.Path, "err", err)
		}
		s.refusePage(w, r, code, msg)
		return
	}
	redirect(w, r, to, res.Message)
}
