package casefile

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/scope"
)

//go:embed report.html
var reportHTML string

// reportTemplate is parsed once; templates are safe for concurrent use.
var reportTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"stamp": stamp,
	"join":  strings.Join,
	"ids":   idList,
	"activity": func(first, last time.Time, n int) string {
		if n == 0 {
			return "no event in the window"
		}
		return fmt.Sprintf("%d events, %s to %s", n, stamp(first), stamp(last))
	},
}).Parse(reportHTML))

// maxReportAlerts bounds the alerts listed in report.html; alerts.ndjson
// holds them all.
const maxReportAlerts = 5000

// reportData is what report.html shows.
type reportData struct {
	Incident        *incident.Incident
	Generated       time.Time
	Exporter        string
	PublicKey       string
	Checkpoint      string
	Counts          Counts
	MaxEvents       int
	MaxAudit        int
	MaxTimeline     int
	MissingAlerts   []event.ID
	MissingEvidence int
	AuditLeftOut    bool
	Alerts          []incident.AlertRef // by time
	AlertsLeftOut   int
	TimelineItems   int
	TimelineLeftOut bool
	Scope           *scope.Report
	Decisions       []Decision
	Custody         []Custody
	Changes         *Changes
	Files           []string
}

// renderReport renders report.html.
func renderReport(d *reportData) ([]byte, error) {
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("rendering report.html: %w", err)
	}
	return b.Bytes(), nil
}

// stamp writes a time for the report: UTC, to the second; "—" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// idList writes IDs separated by commas, at most 50 of them.
func idList(ids []event.ID) string {
	const most = 50
	var b strings.Builder
	for i, id := range ids {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(ids)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(int64(id), 10))
	}
	return b.String()
}
