package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// ProbeConfig configures the probe detector. The zero value gives the
// defaults.
//
// The defaults follow CrowdSec's crowdsecurity/http-probing scenario (a
// leaky bucket of capacity 10 leaking one request every 10 s, distinct on
// the path, statuses 400, 403 and 404, static resources left out, per
// source) as a sliding window: 10 distinct failing paths within a minute.
// A burst that overflows CrowdSec's bucket (11 paths at once) is found,
// and so is a scanner of one path every 6 s, which CrowdSec also finds,
// after about two minutes. 401 and 405 are added: a scanner walking a
// site behind authentication, or sending POSTs to static pages, probes
// as much.
type ProbeConfig struct {
	// Window is the sliding span in which distinct paths are counted.
	// Default 1m.
	Window time.Duration `yaml:"window"`
	// Paths is the number of distinct failing paths from one source
	// within Window that makes probing. Default 10.
	Paths int `yaml:"paths"`
	// Statuses are the HTTP status codes of a failed probe. Default 400,
	// 401, 403, 404 and 405.
	Statuses []int `yaml:"statuses"`
	// SensitiveWindow is the sliding span in which requests for
	// sensitive files are counted. Default 1m.
	SensitiveWindow time.Duration `yaml:"sensitive_window"`
	// SensitivePaths is the number of distinct sensitive files requested
	// by one source within SensitiveWindow, whatever the answer, that
	// makes sensitive file probing. Default 3.
	SensitivePaths int `yaml:"sensitive_paths"`
	// Quiet is how long a source stays unreported for the same kind of
	// probing after a finding, so that one scan of thousands of paths is
	// one finding. Default 1h.
	Quiet time.Duration `yaml:"quiet"`
}

// DefaultProbeConfig returns the defaults.
func DefaultProbeConfig() ProbeConfig {
	return ProbeConfig{
		Window: time.Minute, Paths: 10, Statuses: []int{400, 401, 403, 404, 405},
		SensitiveWindow: time.Minute, SensitivePaths: 3, Quiet: time.Hour,
	}
}

func (c ProbeConfig) withDefaults() ProbeConfig {
	d := DefaultProbeConfig()
	setDuration(&c.Window, d.Window)
	setDuration(&c.SensitiveWindow, d.SensitiveWindow)
	setDuration(&c.Quiet, d.Quiet)
	setInt(&c.Paths, d.Paths)
	setInt(&c.SensitivePaths, d.SensitivePaths)
	if len(c.Statuses) == 0 {
		c.Statuses = d.Statuses
	}
	return c
}

// Validate checks the configuration.
func (c ProbeConfig) Validate() error {
	var errs []error
	if c.Window < 0 || c.SensitiveWindow < 0 || c.Quiet < 0 || c.Paths < 0 || c.SensitivePaths < 0 {
		errs = append(errs, errors.New("probe window, sensitive_window, quiet, paths and sensitive_paths must not be negative"))
	}
	for _, s := range c.Statuses {
		if s < 100 || s > 599 {
			errs = append(errs, fmt.Errorf("probe statuses: %d is not an HTTP status code", s))
		}
	}
	return errors.Join(errs...)
}

// Probe finds HTTP probing in web access logs (events with
// url.original or url.path, http.response.status_code and source.ip, such
// as the weblog decoder's): one source requesting many distinct paths
// that fail, or several well-known sensitive files.
//
// Probing counts distinct url.path values answered with one of Statuses
// within Window; requests for static resources (.css, .js, images, fonts:
// see staticExtensions) are left out, as a page with broken images is
// not a scan.
//
// Sensitive file probing counts distinct requests for the files of
// sensitiveFile, whatever the answer: secrets (.env, .htpasswd, .passwd,
// wp-config.php backups, id_rsa, .aws), version control (.git, .svn,
// .hg), shell and database histories (*_history, .ssh), database dumps
// (*.sql) and path traversal (../, %2e%2e, /etc/passwd). A finding is
// level high when one of them was answered with success (2xx): the file
// may have been served.
//
// Memory: per source and kind, at most Paths (or SensitivePaths) paths of
// at most 256 bytes; sources are capped by Limits.MaxEntities.
type Probe struct {
	cfg      ProbeConfig
	lim      behave.Limits
	statuses map[int]bool
	sources  *behave.Table[*probeSource]
	now      time.Time
}

var _ behave.Detector = (*Probe)(nil)

// probeSource is what one source requested of one kind (failing or
// sensitive) within the window, oldest first, and until when it stays
// unreported.
type probeSource struct {
	Paths []probePath `json:"paths"`
	Until time.Time   `json:"until,omitzero"`
}

// probePath is one distinct path, when it was last requested, by which
// event, and whether it was answered with success.
type probePath struct {
	Path string    `json:"p"`
	At   time.Time `json:"t"`
	Ref  string    `json:"r"`
	OK   bool      `json:"ok,omitempty"`
}

// maxPathLen bounds the bytes kept of one path.
const maxPathLen = 256

// staticExtensions are the resources a browser fetches on its own: their
// failures are broken pages, not probes.
var staticExtensions = []string{
	".css", ".js", ".map", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg",
	".ico", ".bmp", ".woff", ".woff2", ".ttf", ".eot", ".otf",
}

// NewProbe returns a probe detector.
func NewProbe(cfg ProbeConfig, lim behave.Limits) *Probe {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	statuses := map[int]bool{}
	for _, s := range cfg.Statuses {
		statuses[s] = true
	}
	return &Probe{cfg: cfg, lim: lim, statuses: statuses, sources: behave.NewTable[*probeSource](lim.MaxEntities)}
}

// Name implements behave.Detector.
func (p *Probe) Name() string { return "probe" }

// Observe implements behave.Detector.
func (p *Probe) Observe(ev *event.Event, ref string) []behave.Finding {
	src, _ := ev.Get(event.SourceIP)
	code, _ := ev.Get(event.HTTPStatus)
	original, _ := ev.Get(event.URLOriginal)
	path, _ := ev.Get(urlPathField)
	if path == "" {
		path, _ = strings.CutSuffix(original, "?")
		path, _, _ = strings.Cut(path, "?")
	}
	status, err := strconv.Atoi(code)
	if src == "" || path == "" || err != nil {
		return nil
	}
	if ev.Time.After(p.now) {
		p.now = ev.Time
	}
	var out []behave.Finding
	if p.statuses[status] && !static(path) {
		if f, ok := p.count("p|"+src, path, ev.Time, ref, false, p.cfg.Paths, p.cfg.Window); ok {
			out = append(out, p.finding(src, f, false))
		}
	}
	if name := sensitiveFile(path, original); name != "" {
		ok := status >= 200 && status < 300
		if f, found := p.count("s|"+src, strings.ToLower(path), ev.Time, ref, ok, p.cfg.SensitivePaths, p.cfg.SensitiveWindow); found {
			out = append(out, p.finding(src, f, true))
		}
	}
	return out
}

// urlPathField is the ECS url.path, which the weblog decoder fills.
const urlPathField = "url.path"

// count adds path to the window of key and returns the paths of the
// window when they reach threshold and the source is not quiet.
func (p *Probe) count(key, path string, at time.Time, ref string, ok bool, threshold int, window time.Duration) ([]probePath, bool) {
	if len(path) > maxPathLen {
		path = path[:maxPathLen]
	}
	s := p.sources.Get(key, at, func() *probeSource { return &probeSource{} })
	cutoff := at.Add(-window)
	s.Paths = slices.DeleteFunc(s.Paths, func(pp probePath) bool { return !pp.At.After(cutoff) })
	if i := slices.IndexFunc(s.Paths, func(pp probePath) bool { return pp.Path == path }); i >= 0 {
		pp := s.Paths[i]
		pp.At, pp.Ref, pp.OK = at, ref, pp.OK || ok
		s.Paths = append(slices.Delete(s.Paths, i, i+1), pp)
		return nil, false
	}
	if len(s.Paths) >= threshold {
		s.Paths = slices.Delete(s.Paths, 0, 1) // quiet: slide, stay bounded
	}
	s.Paths = append(s.Paths, probePath{Path: path, At: at, Ref: ref, OK: ok})
	if len(s.Paths) < threshold || at.Before(s.Until) {
		return nil, false
	}
	s.Until = at.Add(p.cfg.Quiet)
	found := slices.Clone(s.Paths)
	s.Paths = s.Paths[:0]
	return found, true
}

func (p *Probe) finding(src string, paths []probePath, sensitive bool) behave.Finding {
	names := make([]string, len(paths))
	var evidence []string
	served := false
	for i, pp := range paths {
		names[i] = pp.Path
		evidence = append(evidence, pp.Ref)
		served = served || pp.OK
	}
	truncated := max(len(evidence)-p.lim.MaxEvidence, 0)
	evidence = evidence[truncated:]
	at := paths[len(paths)-1].At
	span := at.Sub(paths[0].At)
	why := behave.Why{Observed: float64(len(paths)), Unit: "paths"}
	f := behave.Finding{
		Detector:  p.Name(),
		Level:     "medium",
		Time:      at,
		Entities:  []behave.Entity{{Field: event.SourceIP, Value: src}},
		Evidence:  evidence,
		Truncated: truncated,
		Tags:      []string{"attack.reconnaissance", "attack.t1595.003"},
	}
	if sensitive {
		f.Title = "Sensitive file probing"
		why.Threshold, why.Window = float64(p.cfg.SensitivePaths), p.cfg.SensitiveWindow
		why.Text = fmt.Sprintf("%s requested %d distinct sensitive files in %s (at least %d within %s make probing): %s.",
			src, len(paths), span, p.cfg.SensitivePaths, p.cfg.SensitiveWindow, joinNames(names, 5))
		if served {
			f.Level = "high"
			why.Text += " At least one was answered with success."
		}
	} else {
		f.Title = "HTTP probing from IP"
		why.Threshold, why.Window = float64(p.cfg.Paths), p.cfg.Window
		why.Text = fmt.Sprintf("%s requested %d distinct paths that failed in %s (at least %d within %s make probing): %s.",
			src, len(paths), span, p.cfg.Paths, p.cfg.Window, joinNames(names, 5))
	}
	f.Why = why
	return f
}

// static reports whether path names a resource a browser fetches on its
// own.
func static(path string) bool {
	last := path[strings.LastIndexByte(path, '/')+1:]
	dot := strings.LastIndexByte(last, '.')
	return dot >= 0 && slices.Contains(staticExtensions, strings.ToLower(last[dot:]))
}

// sensitiveFile returns what kind of sensitive file path (or, for
// traversal, the request's original target) asks for, or "".
func sensitiveFile(path, original string) string {
	target := strings.ToLower(original)
	if target == "" {
		target = strings.ToLower(path)
	}
	if strings.Contains(target, "../") || strings.Contains(target, "..\\") || strings.Contains(target, "%2e%2e") ||
		strings.Contains(target, "/etc/passwd") || strings.Contains(target, "%2fetc%2fpasswd") {
		return "traversal"
	}
	for seg := range strings.SplitSeq(strings.ToLower(path), "/") {
		switch {
		case seg == ".env" || strings.HasPrefix(seg, ".env."),
			seg == ".htpasswd", seg == ".passwd", seg == ".aws",
			strings.HasPrefix(seg, "id_rsa"), strings.HasPrefix(seg, "wp-config.php") && seg != "wp-config.php":
			return "secret"
		case seg == ".git", seg == ".svn", seg == ".hg":
			return "version control"
		case strings.HasSuffix(seg, "_history"), seg == ".ssh":
			return "history"
		case strings.HasSuffix(seg, ".sql"), strings.HasSuffix(seg, ".sql.gz"):
			return "database dump"
		}
	}
	return ""
}

// Advance implements behave.Detector.
func (p *Probe) Advance(now time.Time) []behave.Finding {
	if now.After(p.now) {
		p.now = now
	}
	p.sources.Expire(p.now.Add(-max(p.cfg.Window, p.cfg.SensitiveWindow, p.cfg.Quiet)))
	return nil
}

type probeState struct {
	Version int                               `json:"version"`
	Now     time.Time                         `json:"now"`
	Sources []behave.SavedEntry[*probeSource] `json:"sources"`
}

// Snapshot implements behave.Detector.
func (p *Probe) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(probeState{Version: 1, Now: p.now, Sources: p.sources.Save()})
}

// Restore implements behave.Detector.
func (p *Probe) Restore(r io.Reader) error {
	var st probeState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("reading probe state: %w", err)
	}
	if st.Version != 1 {
		return nil
	}
	p.now = st.Now
	p.sources.Load(st.Sources)
	return nil
}
