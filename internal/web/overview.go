package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/ingest"
	"github.com/vigie-sec/vigie/internal/query"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/store"
)

// overviewView is the overview page's data.
type overviewView struct {
	// BySeverity counts the open incidents per level, highest first.
	BySeverity []levelCount
	Open       []*incident.Incident // the most recent open incidents
	Alerts     []bucket             // alerts per hour, the last 24 hours
	AlertChart template.HTML        // Alerts drawn by package chart
	AlertTotal int64
	Sources    []ingest.SourceStats
	Decisions  []*respond.Decision
}

type levelCount struct {
	Level string
	Count int
}

// overviewIncidents is the number of open incidents the overview lists.
const overviewIncidents = 10

func (s *server) overview(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	d := &overviewView{}
	if s.cfg.Incidents != nil {
		open := s.cfg.Incidents.List(incident.Filter{Open: true})
		counts := map[string]int{}
		for _, inc := range open {
			counts[inc.EffectiveSeverity()]++
		}
		for _, lv := range slices.Backward(levels) {
			d.BySeverity = append(d.BySeverity, levelCount{lv, counts[lv]})
		}
		d.Open = open[:min(len(open), overviewIncidents)]
	}
	now := s.cfg.Now()
	from := now.Add(-24 * time.Hour).Truncate(time.Hour).Add(time.Hour)
	alerts := &query.Term{Field: "event.kind", Value: "alert"}
	var err error
	if d.Alerts, err = s.countBuckets(ctx, alerts, from, now, 24); err != nil {
		return err
	}
	for _, b := range d.Alerts {
		d.AlertTotal += b.Count
	}
	d.AlertChart = histogramSVG("Alerts per hour, last 24 hours", d.Alerts)
	d.Sources = s.sourceStats()
	if s.cfg.Decisions != nil {
		if d.Decisions, err = s.cfg.Decisions.List(ctx, respond.Filter{Active: true}); err != nil {
			return fmt.Errorf("listing decisions: %w", err)
		}
	}
	v.Live = true
	return s.show(w, "overview", "Overview", "overview", v, d)
}

func (s *server) sourceStats() []ingest.SourceStats {
	if s.cfg.Sources == nil {
		return nil
	}
	list := s.cfg.Sources.Sources()
	slices.SortFunc(list, func(a, b ingest.SourceStats) int { return cmp.Compare(a.Source, b.Source) })
	return list
}

// liveState is the answer of GET /ui/live: numbers that change when
// something happens. The script compares Version with the one it saw
// first and offers a reload when it changed.
type liveState struct {
	Version       string `json:"version"`
	OpenIncidents int    `json:"open_incidents"`
	Alerts        int64  `json:"alerts"`
	LastAlert     int64  `json:"last_alert"`
	Decisions     int    `json:"active_decisions"`
}

func (s *server) live(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	var st liveState
	var updated time.Time
	if s.cfg.Incidents != nil {
		for _, inc := range s.cfg.Incidents.List(incident.Filter{}) {
			if inc.Status.Open() {
				st.OpenIncidents++
			}
			if inc.Updated.After(updated) {
				updated = inc.Updated
			}
		}
	}
	alerts := &query.Term{Field: "event.kind", Value: "alert"}
	n, err := s.cfg.Store.Count(ctx, store.Query{Expr: alerts})
	if err != nil {
		return fmt.Errorf("counting alerts: %w", err)
	}
	st.Alerts = n
	last, err := s.cfg.Store.Search(ctx, store.Query{Expr: alerts, Limit: 1})
	if err != nil {
		return fmt.Errorf("last alert: %w", err)
	}
	if len(last) > 0 {
		st.LastAlert = int64(last[0].ID)
	}
	var decided time.Time
	if s.cfg.Decisions != nil {
		list, err := s.cfg.Decisions.List(ctx, respond.Filter{Active: true})
		if err != nil {
			return fmt.Errorf("listing decisions: %w", err)
		}
		st.Decisions = len(list)
		for _, d := range list {
			decided = maxTime(decided, d.Created)
		}
	}
	st.Version = fmt.Sprintf("%d-%d-%d-%d-%d", st.LastAlert, st.Alerts, updated.UnixNano(), st.Decisions, decided.UnixNano())
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(st)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (s *server) sources(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.show(w, "sources", "Sources", "sources", v, s.sourceStats())
}
