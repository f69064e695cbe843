package ingest

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-sec/vigie/internal/event"
)

// maxSources bounds the sources counted one by one; sources beyond it are
// counted together under OtherSources, so that an attacker who varies
// source addresses cannot grow memory or metric cardinality without limit.
const maxSources = 1000

// OtherSources is the source under which sources past the limit are counted.
const OtherSources event.SourceID = "other"

// SourceStats are the counters of one source.
type SourceStats struct {
	Source    event.SourceID   `json:"source"`
	Received  int64            `json:"received"`
	Stored    int64            `json:"stored"`
	Malformed int64            `json:"malformed"`
	Rejected  int64            `json:"rejected"`
	Reasons   map[string]int64 `json:"rejected_by_reason,omitempty"`
	FirstSeen time.Time        `json:"first_seen"`
	LastSeen  time.Time        `json:"last_seen"`
}

// Counters keeps per-source counts. It is safe for concurrent use and is a
// prometheus.Collector.
type Counters struct {
	now func() time.Time
	// mu guards sources.
	mu      sync.Mutex
	sources map[event.SourceID]*SourceStats
	queue   func() (used, capacity int)

	receivedDesc, storedDesc, malformedDesc, rejectedDesc, queueDesc, capacityDesc *prometheus.Desc
}

// NewCounters returns empty counters.
func NewCounters(now func() time.Time) *Counters {
	if now == nil {
		now = time.Now
	}
	src := []string{"source"}
	return &Counters{
		now:           now,
		sources:       make(map[event.SourceID]*SourceStats),
		receivedDesc:  prometheus.NewDesc("vigie_ingest_received_events_total", "Events received, by source.", src, nil),
		storedDesc:    prometheus.NewDesc("vigie_ingest_stored_events_total", "Events durably stored, by source.", src, nil),
		malformedDesc: prometheus.NewDesc("vigie_ingest_malformed_events_total", "Records that could not be decoded and were stored raw, by source.", src, nil),
		rejectedDesc:  prometheus.NewDesc("vigie_ingest_rejected_records_total", "Records refused before storage, by source and reason.", []string{"source", "reason"}, nil),
		queueDesc:     prometheus.NewDesc("vigie_ingest_queue_events", "Events accepted and not yet committed.", nil, nil),
		capacityDesc:  prometheus.NewDesc("vigie_ingest_queue_capacity_events", "Capacity of the ingest queue in events.", nil, nil),
	}
}

// sourceLocked returns the stats of src, creating them.
func (c *Counters) sourceLocked(src event.SourceID, now time.Time) *SourceStats {
	s, ok := c.sources[src]
	if !ok {
		if len(c.sources) >= maxSources && src != OtherSources {
			return c.sourceLocked(OtherSources, now)
		}
		s = &SourceStats{Source: src, FirstSeen: now}
		c.sources[src] = s
	}
	s.LastSeen = now
	return s
}

func (c *Counters) received(events []*event.Event) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var s *SourceStats
	for _, e := range events {
		if s == nil || s.Source != e.Source {
			s = c.sourceLocked(e.Source, now)
		}
		s.Received++
		if e.Kind == event.KindPipelineError {
			s.Malformed++
		}
	}
}

func (c *Counters) stored(events []*event.Event) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var s *SourceStats
	for _, e := range events {
		if s == nil || s.Source != e.Source {
			s = c.sourceLocked(e.Source, now)
		}
		s.Stored++
	}
}

func (c *Counters) reject(src event.SourceID, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sourceLocked(src, c.now())
	s.Rejected++
	if s.Reasons == nil {
		s.Reasons = make(map[string]int64)
	}
	s.Reasons[reason]++
}

// Sources returns a copy of every source's counters, sorted by source.
func (c *Counters) Sources() []SourceStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]SourceStats, 0, len(c.sources))
	for _, s := range c.sources {
		cp := *s
		cp.Reasons = maps.Clone(s.Reasons)
		out = append(out, cp)
	}
	slices.SortFunc(out, func(a, b SourceStats) int {
		switch {
		case a.Source < b.Source:
			return -1
		case a.Source > b.Source:
			return 1
		}
		return 0
	})
	return out
}

// Describe implements prometheus.Collector.
func (c *Counters) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.receivedDesc
	ch <- c.storedDesc
	ch <- c.malformedDesc
	ch <- c.rejectedDesc
	ch <- c.queueDesc
	ch <- c.capacityDesc
}

// Collect implements prometheus.Collector.
func (c *Counters) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.Sources() {
		src := string(s.Source)
		ch <- prometheus.MustNewConstMetric(c.receivedDesc, prometheus.CounterValue, float64(s.Received), src)
		ch <- prometheus.MustNewConstMetric(c.storedDesc, prometheus.CounterValue, float64(s.Stored), src)
		ch <- prometheus.MustNewConstMetric(c.malformedDesc, prometheus.CounterValue, float64(s.Malformed), src)
		for reason, n := range s.Reasons {
			ch <- prometheus.MustNewConstMetric(c.rejectedDesc, prometheus.CounterValue, float64(n), src, reason)
		}
	}
	c.mu.Lock()
	queue := c.queue
	c.mu.Unlock()
	if queue != nil {
		used, capacity := queue()
		ch <- prometheus.MustNewConstMetric(c.queueDesc, prometheus.GaugeValue, float64(used))
		ch <- prometheus.MustNewConstMetric(c.capacityDesc, prometheus.GaugeValue, float64(capacity))
	}
}
