package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
	formats "github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/sigma"
)

// huntOptions are the flags of vigie hunt.
type huntOptions struct {
	rules      []string
	logsources string
	output     string // text, json or csv
	level      string
	from, to   time.Time
	format     string
	workers    int
	progress   bool
	// maxCorrelated bounds the matches kept for correlation.
	maxCorrelated int
	// detection holds the behaviour detectors' settings (--config,
	// --detectors, --geoip).
	detection detectionConfig
}

func newHuntCommand() *cobra.Command {
	var (
		o                 huntOptions
		asJSON, asCSV     bool
		from, to          string
		noBar             bool
		configPath, geoDB string
		detectors         []string
		remoteHunt        remote
		huntName          string
	)
	cmd := &cobra.Command{
		Use:   "hunt --rules DIR [flags] PATH...",
		Short: "Run Sigma rules over log files and folders",
		Long: `Run a Sigma rule set over log files and folders — EVTX, Windows events
as JSON (Winlogbeat, NXLog), syslog and auth.log (with Sysmon for Linux),
auditd, Zeek, CloudTrail, Entra ID, Microsoft 365, web access logs, gzip
or not — and print what they detect. Files are read in parallel and streamed: memory does not grow
with their size.

This is the engine "vigie serve" runs live. Rules that Vigie cannot
evaluate are never skipped silently: the summary counts them and
"vigie rules lint" says why for each.

Output: one line per detection (text), one JSON object per line (--json):
{"rule_id","rule_title","level","tags","kind":"match"|"correlation",
"file","record_id","timestamp","event":{…}} (correlations carry "group",
"value" and "events", the references of the events involved), or CSV
(--csv). A summary follows on standard error.

With --server URL and no PATH, the hunt runs on the server over the events
it stored (a retro-hunt): the rule files are sent to it, the server
matches them over --from/--to, and their hits become alerts marked with
the hunt's id (vigie.hunt.id) that join incidents like live alerts.
Progress is shown; Ctrl-C stops the hunt on the server.`,
		Example: `  vigie hunt --rules sigma/rules Security.evtx Sysmon.evtx
  vigie hunt --rules sigma/rules --rules my-rules --level high /cases/host42/
  vigie hunt --rules sigma/rules --json --from 2026-03-01 logs/ | jq .rule_title
  vigie hunt --server http://127.0.0.1:8080 --rules new-rules/ --from 30d`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("server") {
				if len(args) > 0 {
					return errors.New("--server hunts over the server's stored events: give no PATH")
				}
				remoteHunt.asJSON = asJSON
				return huntOnServer(cmd, &remoteHunt, huntName, o.rules, detectors, from, to)
			}
			if len(args) == 0 {
				return errors.New("give the log files or folders to hunt in, or --server URL to hunt over a server's stored events")
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			o.detection = cfg.Detection
			o.rules = append(o.rules, cfg.Detection.Rules...)
			if len(detectors) > 0 {
				o.detection.Detectors = detectors
			}
			if geoDB != "" {
				o.detection.GeoIP = geoDB
			}
			if len(o.rules) == 0 && len(o.detection.Detectors) == 0 {
				return errors.New("nothing to hunt with: pass --rules DIR (a folder of Sigma rules, such as SigmaHQ's rules/) or --detectors all")
			}
			if asJSON && asCSV {
				return errors.New("--json and --csv exclude each other")
			}
			o.output = "text"
			if asJSON {
				o.output = "json"
			} else if asCSV {
				o.output = "csv"
			}
			if o.level != "" && !detect.ValidLevel(o.level) {
				return fmt.Errorf("--level %q: use informational, low, medium, high or critical", o.level)
			}
			now := time.Now()
			if o.from, err = api.ParseTime(from, now); err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			if o.to, err = api.ParseTime(to, now); err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			f, isFile := cmd.ErrOrStderr().(*os.File)
			o.progress = !noBar && isFile && term.IsTerminal(int(f.Fd()))
			_, err = hunt(cmd.Context(), o, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.rules, "rules", nil, "Sigma rule file or folder (repeatable)")
	fl.StringVar(&o.logsources, "logsources", "", "YAML file of log source mappings added to the defaults (see vigie rules logsources)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object per detection")
	fl.BoolVar(&asCSV, "csv", false, "print detections as CSV")
	fl.StringVar(&o.level, "level", "", "lowest level reported: informational, low, medium, high, critical")
	fl.StringVar(&from, "from", "", "only events at or after this time (RFC 3339, date, or 24h/7d back)")
	fl.StringVar(&to, "to", "", "only events before this time")
	fl.StringVar(&o.format, "format", "", "force the input format instead of detecting it per file")
	fl.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "files read in parallel")
	fl.BoolVar(&noBar, "no-progress", false, "do not draw a progress bar")
	fl.StringSliceVar(&detectors, "detectors", nil, "behaviour detectors to run besides the rules: all, or some of "+strings.Join(catalog.Names(), ","))
	fl.StringVar(&geoDB, "geoip", "", "GeoIP .mmdb city database for the travel and newplace detectors")
	fl.StringVar(&configPath, "config", "", "serve's YAML configuration: its detection section (rules, detectors and their parameters) applies")
	remoteHunt.client.register(cmd)
	fl.StringVar(&huntName, "name", "", "with --server: the hunt's name, kept on its alerts")
	fl.IntVar(&o.maxCorrelated, "max-correlated", 2_000_000, "most matches kept for correlation rules; beyond it correlations are incomplete and the summary says so")
	return cmd
}

// huntSummary is what a hunt found and read.
type huntSummary struct {
	Files, FileErrors           int
	Records, Malformed, Rejects int64
	Detections                  int
	ByLevel                     map[string]int
	ByRule                      map[ruleKey]int
	Rules                       map[detect.Status]int
	CorrelationDropped          int
	// Load is the time spent loading and compiling the rules, Elapsed
	// the whole run.
	Load, Elapsed time.Duration
}

// ruleKey names a rule (or a behaviour detector) at one level in the
// summary.
type ruleKey struct{ Title, Level string }

// huntFile is the per-file result of a worker.
type huntFile struct {
	path                        string
	records, malformed, rejects int64
	err                         error
}

// kept is a match kept for correlation, with only the fields correlations
// read.
type kept struct {
	rule *sigma.Rule
	ev   *event.Event
	ref  string
}

func hunt(ctx context.Context, o huntOptions, paths []string, stdout, stderr io.Writer) (*huntSummary, error) {
	start := time.Now()
	cfg, err := detectConfig(o.logsources)
	if err != nil {
		return nil, err
	}
	cfg.Correlation.Lateness = 0 // hunt sorts matches by time before correlating
	cfg.Placeholders = o.detection.Placeholders
	rs := detect.Compile(cfg, nil)
	if len(o.rules) > 0 {
		if rs, err = detect.Load(cfg, o.rules...); err != nil {
			return nil, err
		}
		if len(rs.Reports) == 0 {
			return nil, fmt.Errorf("no Sigma rules (*.yml) found in %s", strings.Join(o.rules, ", "))
		}
		fmt.Fprintln(stderr, "vigie hunt:", rs.Summary())
	}
	behaviour, note, err := newBehaviour(&o.detection)
	if err != nil {
		return nil, err
	}
	if behaviour != nil {
		fmt.Fprintln(stderr, "vigie hunt:", note)
	}
	load := time.Since(start)
	files, total, err := listFiles(paths)
	if err != nil {
		return nil, err
	}
	var bar *progressbar.ProgressBar
	if o.progress {
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr),
			progressbar.OptionShowBytes(true), progressbar.OptionSetDescription("hunt"),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	}

	sum := &huntSummary{Files: len(files), ByLevel: map[string]int{}, ByRule: map[ruleKey]int{}, Rules: rs.Counts(), Load: load}
	out := newHuntWriter(o.output, stdout)
	var outMu sync.Mutex
	emit := func(a detect.Alert) {
		if !detect.LevelAtLeast(a.Level(), o.level) {
			return
		}
		outMu.Lock()
		defer outMu.Unlock()
		if bar != nil {
			bar.Clear()
		}
		out.write(&a)
		sum.Detections++
		sum.ByLevel[a.Level()]++
		title := a.Rule.Title
		if a.Finding != nil {
			title = "behaviour: " + a.Finding.Detector
		}
		sum.ByRule[ruleKey{title, a.Level()}]++
	}

	keepFields := rs.CorrelationFields()
	var (
		keptMu sync.Mutex
		keep   []kept
	)
	reg := formats.New(formats.Config{})
	jobs := make(chan string)
	results := make(chan huntFile)
	var wg sync.WaitGroup
	for range max(1, o.workers) {
		wg.Go(func() {
			var buf []*sigma.Rule
			for path := range jobs {
				res := huntFile{path: path}
				sink := &huntSink{res: &res, from: o.from, to: o.to, match: func(ev *event.Event, ref string) {
					buf = rs.Matcher.Match(ev, buf[:0])
					for _, r := range buf {
						if !rs.Suppressed(r) {
							emit(detect.Alert{Rule: r, Kind: detect.KindMatch, Time: ev.Time, Event: ev, Ref: ref})
						}
						if rs.Correlated(r) {
							keptMu.Lock()
							if len(keep) < o.maxCorrelated {
								keep = append(keep, kept{r, slim(ev, keepFields), ref})
							} else {
								sum.CorrelationDropped++
							}
							keptMu.Unlock()
						}
					}
				}}
				var progress io.Writer
				if bar != nil {
					progress = bar
				}
				_, res.err = decodeFile(reg, path, o.format, progress, sink)
				results <- res
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, f := range files {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	for res := range results {
		sum.Records += res.records
		sum.Malformed += res.malformed
		sum.Rejects += res.rejects
		if res.err != nil {
			sum.FileErrors++
			outMu.Lock()
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintf(stderr, "vigie hunt: %s: %v\n", res.path, res.err)
			outMu.Unlock()
		}
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}

	// Correlations see the kept matches in event time order, across files.
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].ev.Time.Before(keep[j].ev.Time) })
	eng := rs.NewEngine()
	for _, k := range keep {
		for _, a := range eng.Correlate(k.rule, k.ev, k.ref) {
			emit(a)
		}
	}
	if behaviour != nil {
		// The detectors need the events of all files in time order: a
		// second, merged pass reads the files again for them.
		eng.SetBehaviour(behaviour)
		if err := behaveInTimeOrder(ctx, files, reg, o.format, o.from, o.to, eng, emit); err != nil {
			return sum, err
		}
	}
	for _, a := range eng.Flush() {
		emit(a)
	}
	if bar != nil {
		bar.Finish()
	}
	if err := out.flush(); err != nil {
		return sum, err
	}
	sum.Elapsed = time.Since(start)
	sum.print(stderr)
	if sum.FileErrors == len(files) && len(files) > 0 {
		return sum, fmt.Errorf("none of the %d files could be read", len(files))
	}
	return sum, nil
}

// listFiles expands folders into the regular files under them, sorted,
// and returns them with their total size.
func listFiles(paths []string) ([]string, int64, error) {
	var files []string
	var total int64
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
			files = append(files, path)
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("no files in %s", strings.Join(paths, ", "))
	}
	return files, total, nil
}

// slim copies the fields of ev that correlations read.
func slim(ev *event.Event, fields map[string]bool) *event.Event {
	s := &event.Event{ID: ev.ID, Time: ev.Time, Format: ev.Format}
	for _, f := range ev.Fields {
		if fields[f.Name] {
			s.Fields = append(s.Fields, f)
		}
	}
	return s
}

// huntSink counts records and matches each event in the time bounds.
type huntSink struct {
	res      *huntFile
	from, to time.Time
	match    func(ev *event.Event, ref string)
}

func (s *huntSink) Event(e *event.Event) error {
	s.res.records++
	if e.Kind == event.KindPipelineError {
		s.res.malformed++
		return nil
	}
	if (!s.from.IsZero() && e.Time.Before(s.from)) || (!s.to.IsZero() && !e.Time.Before(s.to)) {
		return nil
	}
	rec, ok := e.Get("EventRecordID")
	if !ok {
		rec = strconv.FormatInt(s.res.records, 10)
	}
	s.match(e, s.res.path+"#"+rec)
	return nil
}

func (s *huntSink) Reject(reason string, size int) { s.res.rejects++ }

// huntWriter prints detections in one of the output formats.
type huntWriter struct {
	format string
	w      io.Writer
	csv    *csv.Writer
	json   *json.Encoder
}

func newHuntWriter(format string, w io.Writer) *huntWriter {
	h := &huntWriter{format: format, w: w}
	switch format {
	case "json":
		h.json = json.NewEncoder(w)
		h.json.SetEscapeHTML(false)
	case "csv":
		h.csv = csv.NewWriter(w)
		h.csv.Write([]string{"timestamp", "level", "kind", "rule_id", "rule_title", "file", "record_id", "host", "user", "source_ip", "details"})
	}
	return h
}

func (h *huntWriter) write(a *detect.Alert) {
	j := a.JSON("")
	if a.Finding != nil {
		j.RuleTitle, j.Level, j.Timestamp = a.Title(), a.Level(), a.Time.UTC()
	}
	switch h.format {
	case "json":
		h.json.Encode(a.Record(""))
	case "csv":
		host, user, src, details := alertContext(a)
		h.csv.Write([]string{j.Timestamp.Format(time.RFC3339Nano), j.Level, j.Kind, j.RuleID, j.RuleTitle,
			j.File, j.RecordID, host, user, src, details})
	default:
		host, user, src, details := alertContext(a)
		where := j.File + "#" + j.RecordID
		if a.Kind != detect.KindMatch {
			where = fmt.Sprintf("%d events", len(a.Refs)+a.Truncated)
		}
		line := fmt.Sprintf("%s  %-13s %s  [%s]", j.Timestamp.Format(time.RFC3339), j.Level, j.RuleTitle, where)
		for _, kv := range [][2]string{{"host", host}, {"user", user}, {"src", src}} {
			if kv[1] != "" {
				line += " " + kv[0] + "=" + kv[1]
			}
		}
		if details != "" {
			line += "  " + details
		}
		fmt.Fprintln(h.w, line)
	}
}

func (h *huntWriter) flush() error {
	if h.csv != nil {
		h.csv.Flush()
		return h.csv.Error()
	}
	return nil
}

// alertContext returns the entities of a detection and a short detail:
// the command line, the message or the correlation group.
func alertContext(a *detect.Alert) (host, user, src, details string) {
	if f := a.Finding; f != nil {
		for _, en := range f.Entities {
			switch en.Field {
			case event.HostName:
				host = cmp.Or(host, en.Value)
			case event.UserName:
				user = cmp.Or(user, en.Value)
			case event.SourceIP:
				src = cmp.Or(src, en.Value)
			}
		}
		return host, user, src, f.Why.Text
	}
	if a.Kind == detect.KindCorrelation {
		var parts []string
		for _, kv := range a.Group {
			parts = append(parts, kv.Name+"="+kv.Value)
		}
		return "", "", "", strings.Join(parts, " ") + " value=" + strconv.FormatFloat(a.Value, 'g', -1, 64)
	}
	e := a.Event
	get := func(names ...string) string {
		for _, n := range names {
			if v, ok := e.Get(n); ok && v != "" && v != "-" {
				return v
			}
		}
		return ""
	}
	host = get(event.HostName, "Computer")
	user = get(event.UserName, "TargetUserName", "SubjectUserName", "User")
	src = get(event.SourceIP, "IpAddress")
	details = get("CommandLine", "ScriptBlockText", event.ProcessCommandLine, event.Message)
	if len(details) > 160 {
		details = details[:157] + "…"
	}
	return host, user, src, strings.Join(strings.Fields(details), " ")
}

func (s *huntSummary) print(w io.Writer) {
	scan := s.Elapsed - s.Load
	fmt.Fprintf(w, "\nFiles: %d read", s.Files)
	if s.FileErrors > 0 {
		fmt.Fprintf(w, " (%d with errors, listed above)", s.FileErrors)
	}
	fmt.Fprintf(w, "   Records: %d (%d malformed, %d rejected)\n", s.Records, s.Malformed, s.Rejects)
	fmt.Fprintf(w, "Time: %s: rules loaded in %s, records read and matched in %s (%.0f records/s)\n",
		s.Elapsed.Round(time.Millisecond), s.Load.Round(time.Millisecond), scan.Round(time.Millisecond),
		float64(s.Records)/max(scan.Seconds(), 1e-9))
	fmt.Fprintf(w, "Rules: %d ok, %d unsupported, %d invalid (vigie rules lint --rules … says why)\n",
		s.Rules[detect.StatusOK], s.Rules[detect.StatusUnsupported], s.Rules[detect.StatusInvalid])
	if s.CorrelationDropped > 0 {
		fmt.Fprintf(w, "Correlations incomplete: %d matches beyond --max-correlated were not correlated\n", s.CorrelationDropped)
	}
	fmt.Fprintf(w, "Detections: %d", s.Detections)
	levels := []string{"critical", "high", "medium", "low", "informational"}
	var parts []string
	for _, lv := range levels {
		if n := s.ByLevel[lv]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", lv, n))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if len(s.ByRule) == 0 {
		return
	}
	rules := slices.SortedFunc(maps.Keys(s.ByRule), func(a, b ruleKey) int {
		return cmp.Or(cmp.Compare(s.ByRule[b], s.ByRule[a]), cmp.Compare(a.Title, b.Title), cmp.Compare(a.Level, b.Level))
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCOUNT\tLEVEL\tRULE")
	for i, r := range rules {
		if i == 40 {
			fmt.Fprintf(tw, "…\t\t%d more rules\n", len(rules)-40)
			break
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", s.ByRule[r], r.Level, r.Title)
	}
	tw.Flush()
}
