package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/respond"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page: the layout and the
// page's own file, which defines "content".
type pages struct {
	byName map[string]*template.Template
}

func loadPages() *pages {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic("BUG: " + err.Error())
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t := template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", file))
		p.byName[name] = t
	}
	return p
}

// render executes the page into a buffer first, so that a template error
// never sends half a page.
func (s *server) render(w http.ResponseWriter, status int, name string, v *view) {
	t := s.pages.byName[name]
	if t == nil {
		panic("BUG: no template " + name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		s.cfg.Logger.Error("console template", "page", name, "err", err)
		http.Error(w, "page rendering failed; the server log says why", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// show renders a page with status 200.
func (s *server) show(w http.ResponseWriter, name, title, nav string, v *view, data any) error {
	v.Title, v.Nav, v.Data = title, nav, data
	s.render(w, http.StatusOK, name, v)
	return nil
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic("BUG: " + err.Error())
	}
	files := http.StripPrefix("/ui/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		files.ServeHTTP(w, r)
	})
}

var funcs = template.FuncMap{
	"when":         when,
	"auditTime":    auditTime,
	"dur":          human,
	"bytes":        bytesText,
	"entityURL":    entityURL,
	"isEntity":     isEntity,
	"join":         strings.Join,
	"query":        url.QueryEscape,
	"eventURL":     func(id event.ID) string { return "/ui/events/" + strconv.FormatInt(int64(id), 10) },
	"searchURL":    func(q string) string { return "/ui/search?q=" + url.QueryEscape(q) },
	"levelClass":   levelClass,
	"truncate":     truncate,
	"decisionRows": decisionRows,
	"rawText":      rawText,
	"statusText":   func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") },
}

// when formats a time for people, in UTC; the zero time is "—".
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// human writes a duration in its two largest units: "3d 4h", "12m 5s".
func human(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	units := []struct {
		n    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var parts []string
	for _, u := range units {
		if d >= u.n {
			parts = append(parts, fmt.Sprintf("%d%s", d/u.n, u.name))
			d %= u.n
		}
		if len(parts) == 2 {
			break
		}
	}
	if len(parts) == 0 {
		return d.String()
	}
	return strings.Join(parts, " ")
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// entityURL is the console page of an entity value.
func entityURL(field, value string) string {
	return "/ui/entity/" + url.PathEscape(field) + "/" + url.PathEscape(value)
}

func isEntity(field string) bool { return slices.Contains(event.EntityFields(), field) }

// levelClass is the CSS class of a Sigma level; unknown levels get none.
func levelClass(level string) string {
	switch level {
	case "informational", "low", "medium", "high", "critical":
		return "level-" + level
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// decisionTable is the data of the "decision-table" partial.
type decisionTable struct {
	V         *view
	Decisions []*respond.Decision
	Now       time.Time
	// Back is where a revoke form returns: "incident" or the list.
	Back string
}

func decisionRows(v *view, list []*respond.Decision, back string) decisionTable {
	return decisionTable{V: v, Decisions: list, Now: v.Now, Back: back}
}
