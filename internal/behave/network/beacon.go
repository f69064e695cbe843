package network

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/event"
)

// BeaconConfig configures the beacon detector. The zero value gives the
// defaults.
type BeaconConfig struct {
	// Window is the span of connections scored together. Default 24h,
	// RITA's.
	Window time.Duration `yaml:"window"`
	// Every is how often the pairs that saw new connections are scored
	// over the Window that ends then; the end of the input scores them
	// once more. Default 1h, as RITA's rolling imports do.
	Every time.Duration `yaml:"every"`
	// Threshold is the beacon score (0 to 1) from which a pair is
	// reported. Default 0.7: RITA's boundary between its "low" and
	// lower categories. RITA's own benign periodic pairs score below it
	// (a resolver at 0.673, safebrowsing.googleapis.com at 0.624 in its
	// rolling proxy test) and its test beacon well above (0.979).
	Threshold float64 `yaml:"threshold"`
	// MinTiming is the lowest timing score (regularity of the intervals)
	// of a pair reported, whatever its overall score. Connections at
	// random (exponential intervals, such as browsing one busy site all
	// day) score 0.5 to 0.75 on timing yet can pass Threshold on size,
	// duration and histogram alone; a beacon's timer, even with ±20%
	// jitter, scores above 0.9. Default 0.8: on a simulated day of 1,000
	// hosts it cuts the random web pairs reported from 99% to under 2%,
	// and keeps every implant and RITA's and Stratosphere's beacons.
	MinTiming float64 `yaml:"min_timing"`
	// MinConnections is the fewest distinct connection times (seconds)
	// a pair needs to be scored. Default 4, RITA's.
	MinConnections int `yaml:"min_connections"`
	// MaxConnections caps the connections kept per pair and window.
	// A pair beyond it connects more than once a second on average: a
	// strobe, not a beacon, and is not scored. Default 86,400, RITA's.
	MaxConnections int `yaml:"max_connections"`
	// InternalNetworks are added to the private, loopback and
	// link-local ranges as internal: only internal sources are scored.
	InternalNetworks []string `yaml:"internal_networks"`
	// Proxies are the addresses of web proxies: a named request to one
	// counts for the name behind it even without an HTTP CONNECT.
	Proxies []string `yaml:"proxies"`
	// JoinDelay is how long, in event time, a Zeek conn record waits for
	// the http or ssl record of the same connection (its host name).
	// Default 2m.
	JoinDelay time.Duration `yaml:"join_delay"`

	// The sub-scores' parameters, RITA's by default. A bin is one 24th
	// of the span scored: an hour of a 24 h window.

	// DurationMinBins is the fewest bins with a connection for the
	// duration score to count. Default 6.
	DurationMinBins int `yaml:"duration_min_bins"`
	// DurationIdealBins is the run of consecutive bins that makes the
	// duration score 1. Default 12.
	DurationIdealBins int `yaml:"duration_ideal_bins"`
	// HistogramModeSensitivity groups bins whose counts differ by less
	// than this fraction of the largest. Default 0.05.
	HistogramModeSensitivity float64 `yaml:"histogram_mode_sensitivity"`
	// HistogramBimodalOutliers is how many bins the two-mode fit may
	// leave out. Default 1.
	HistogramBimodalOutliers int `yaml:"histogram_bimodal_outliers"`
	// HistogramBimodalMinBins is the fewest bins with a connection for
	// the two-mode fit to count. Default 11.
	HistogramBimodalMinBins int `yaml:"histogram_bimodal_min_bins"`
}

// DefaultBeaconConfig returns the defaults.
func DefaultBeaconConfig() BeaconConfig {
	return BeaconConfig{
		Window:                   24 * time.Hour,
		Every:                    time.Hour,
		Threshold:                0.7,
		MinTiming:                0.8,
		MinConnections:           4,
		MaxConnections:           86_400,
		JoinDelay:                2 * time.Minute,
		DurationMinBins:          6,
		DurationIdealBins:        12,
		HistogramModeSensitivity: 0.05,
		HistogramBimodalOutliers: 1,
		HistogramBimodalMinBins:  11,
	}
}

func (c BeaconConfig) withDefaults() BeaconConfig {
	d := DefaultBeaconConfig()
	setDuration(&c.Window, d.Window)
	setDuration(&c.Every, d.Every)
	setDuration(&c.JoinDelay, d.JoinDelay)
	setFloat(&c.Threshold, d.Threshold)
	setFloat(&c.MinTiming, d.MinTiming)
	setFloat(&c.HistogramModeSensitivity, d.HistogramModeSensitivity)
	setInt(&c.MinConnections, d.MinConnections)
	setInt(&c.MaxConnections, d.MaxConnections)
	setInt(&c.DurationMinBins, d.DurationMinBins)
	setInt(&c.DurationIdealBins, d.DurationIdealBins)
	setInt(&c.HistogramBimodalOutliers, d.HistogramBimodalOutliers)
	setInt(&c.HistogramBimodalMinBins, d.HistogramBimodalMinBins)
	return c
}

// Validate checks the configuration.
func (c BeaconConfig) Validate() error {
	var errs []error
	if c.Threshold < 0 || c.Threshold > 1 {
		errs = append(errs, fmt.Errorf("beacon threshold %v: want a score between 0 and 1", c.Threshold))
	}
	if c.MinTiming < 0 || c.MinTiming > 1 {
		errs = append(errs, fmt.Errorf("beacon min_timing %v: want a score between 0 and 1", c.MinTiming))
	}
	if c.MinConnections < 0 || (c.MinConnections > 0 && c.MinConnections < 4) {
		errs = append(errs, fmt.Errorf("beacon min_connections %d: want at least 4 (three intervals)", c.MinConnections))
	}
	if c.Window < 0 || c.Every < 0 || c.JoinDelay < 0 {
		errs = append(errs, errors.New("beacon window, every and join_delay must not be negative"))
	}
	if c.HistogramModeSensitivity < 0 || c.HistogramModeSensitivity > 1 {
		errs = append(errs, fmt.Errorf("beacon histogram_mode_sensitivity %v: want a fraction", c.HistogramModeSensitivity))
	}
	errs = append(errs, validNetworks("internal_networks", c.InternalNetworks), validNetworks("proxies", c.Proxies))
	return errors.Join(errs...)
}

// Beacon finds hosts that call the same destination at regular
// intervals with regular sizes, as malware calls its command and
// control server: RITA's beacon analysis, computed on a stream.
//
// A pair is an internal source and a destination: the host name when
// the connection names one (TLS server name, HTTP Host, a proxy
// request's target), else the address. Connections through a proxy
// thus count for the name behind it; a connection counts for one pair
// only. Every Every, the pairs that saw new connections are scored over
// the Window that ends at the latest connection, and once more at the
// end of the input (Flush); a pair is reported once per Window.
//
// The score is the mean of four sub-scores, each from 0 to 1:
//   - timing: the intervals between connections (distinct seconds): one
//     minus Bowley's quartile skew (symmetric intervals score 1), and
//     (median-MAD)/median (tight intervals score 1), averaged. Jitter
//     around a period moves the quartiles and MAD little.
//   - size: the same two measures over the bytes each connection sent.
//     When fewer than three sizes are known (a log without byte counts)
//     the score is the mean of the other three.
//   - duration: with connections in at least DurationMinBins of the 24
//     bins of the span, the larger of the share of the span between the
//     first and last connection and the longest run of consecutive bins
//     with connections over DurationIdealBins.
//   - histogram: how flat the count of connections per bin is: one minus
//     its coefficient of variation, or, with at least
//     HistogramBimodalMinBins bins, the share of bins in its two most
//     common count levels (a beacon that alternates two rates).
//
// As in RITA, the kept connections start on the hour before the window
// starts, sizes are IP bytes sent (Zeek's orig_ip_bytes), and only
// connections from an internal source to an external address, or to a
// name through a proxy, are counted. Multicast and broadcast
// destinations are not.
type Beacon struct {
	cfg    BeaconConfig
	lim    behave.Limits
	policy flowPolicy
	join   *joiner
	pairs  *behave.Table[*beaconPair]
	// first and last are the times (unix seconds) of the first and the
	// latest connection counted: the span a score's duration and
	// histogram are measured against.
	first, last int64
	now         time.Time
	nextTick    time.Time
	found       []behave.Finding
	scratch     beaconScratch
	// onScore, when set (by tests), sees every score computed.
	onScore func(p *beaconPair, s BeaconScore)
}

var (
	_ behave.Detector = (*Beacon)(nil)
	_ behave.Flusher  = (*Beacon)(nil)
)

// beaconPair is the state of one source and destination.
type beaconPair struct {
	Source  string `json:"src"`
	Dest    string `json:"dst,omitempty"`  // address, for a pair by address
	Host    string `json:"host,omitempty"` // name, for a pair by name
	Port    uint16 `json:"port,omitempty"`
	Proxied bool   `json:"proxied,omitempty"`
	// Times and Sizes are the connections kept, in arrival order: unix
	// seconds, and the data size (-1 unknown).
	Times []int64 `json:"times"`
	Sizes []int64 `json:"sizes"`
	// Strobe is set when more than MaxConnections came in a window.
	Strobe bool `json:"strobe,omitempty"`
	// Fresh says connections came since the pair was last scored.
	Fresh bool `json:"fresh,omitempty"`
	// Reported is the end (unix seconds) of the span last reported.
	Reported int64           `json:"reported,omitempty"`
	Evidence behave.Evidence `json:"evidence"`
}

// NewBeacon returns a beacon detector. cfg should have passed Validate;
// invalid networks in it are ignored.
func NewBeacon(cfg BeaconConfig, lim behave.Limits) *Beacon {
	cfg = cfg.withDefaults()
	lim = lim.WithDefaults()
	return &Beacon{
		cfg:    cfg,
		lim:    lim,
		policy: flowPolicy{internal: mustNetworks(cfg.InternalNetworks), proxies: mustNetworks(cfg.Proxies)},
		join:   newJoiner(cfg.JoinDelay, lim.MaxEntities),
		pairs:  behave.NewTable[*beaconPair](lim.MaxEntities),
	}
}

// Name implements behave.Detector.
func (b *Beacon) Name() string { return "beacon" }

// Observe implements behave.Detector.
func (b *Beacon) Observe(ev *event.Event, ref string) []behave.Finding {
	f, ok := FlowOf(ev)
	if !ok {
		return nil
	}
	b.advance(ev.Time)
	b.join.add(f, ref, b.count)
	return b.take()
}

// Advance implements behave.Detector.
func (b *Beacon) Advance(now time.Time) []behave.Finding {
	b.advance(now)
	return b.take()
}

// Flush scores the pairs that saw connections since they were last
// scored, over the Window that ends at the latest connection: the end of
// a hunt over files.
func (b *Beacon) Flush() []behave.Finding {
	b.join.flush(b.count)
	b.score()
	return b.take()
}

func (b *Beacon) take() []behave.Finding {
	out := b.found
	b.found = nil
	return out
}

func (b *Beacon) advance(now time.Time) {
	if now.After(b.now) {
		b.now = now
	}
	b.join.expire(b.now, b.count)
	if b.nextTick.IsZero() {
		b.nextTick = b.now.Truncate(b.cfg.Every).Add(b.cfg.Every)
		return
	}
	if !b.now.Before(b.nextTick) {
		b.score()
		b.nextTick = b.now.Truncate(b.cfg.Every).Add(b.cfg.Every)
	}
}

// count adds one connection to its pair.
func (b *Beacon) count(f Flow, refs []string) {
	if !b.policy.outbound(&f) {
		return
	}
	var key string
	if f.Host != "" {
		key = "n|" + f.Source.String() + "|" + f.Host
	} else {
		key = "a|" + f.Source.String() + "|" + f.Dest.String()
	}
	p := b.pairs.Get(key, f.Time, func() *beaconPair {
		p := &beaconPair{Source: f.Source.String(), Host: f.Host, Port: f.Port, Proxied: f.Proxied}
		if f.Host == "" {
			p.Dest = f.Dest.String()
		}
		return p
	})
	t := f.Time.Unix()
	if len(p.Times) < b.cfg.MaxConnections {
		p.Times = append(p.Times, t)
		p.Sizes = append(p.Sizes, f.size())
	} else {
		p.Strobe = true
	}
	p.Fresh = true
	for _, r := range refs {
		p.Evidence.Add(r, b.lim.MaxEvidence)
	}
	if b.first == 0 || t < b.first {
		b.first = t
	}
	if t > b.last {
		b.last = t
	}
}

// score scores the fresh pairs over the window that ends at the latest
// connection, and forgets connections and pairs older than it.
func (b *Beacon) score() {
	if b.last == 0 {
		return
	}
	window := int64(b.cfg.Window / time.Second)
	hi := b.last
	lo := max(b.first, hi-window)
	keep := (hi - window) / 3600 * 3600 // RITA keeps the whole hour the window starts in
	b.pairs.Expire(time.Unix(keep, 0))
	params := b.params()
	from := len(b.found)
	b.pairs.Each(func(_ string, _ time.Time, p *beaconPair) {
		p.trim(keep)
		if !p.Fresh {
			return
		}
		p.Fresh = false
		if p.Strobe {
			return
		}
		s, ok := scoreBeacon(p.Times, p.Sizes, lo, hi, params, &b.scratch)
		if !ok || s.Connections < b.cfg.MinConnections {
			return
		}
		if b.onScore != nil {
			b.onScore(p, s)
		}
		if s.Score < b.cfg.Threshold || s.Timing < b.cfg.MinTiming || (p.Reported != 0 && hi-p.Reported < window) {
			return
		}
		p.Reported = hi
		b.found = append(b.found, b.finding(p, s, time.Duration(hi-lo)*time.Second, time.Unix(hi, 0)))
	})
	// Highest score first, then by title, so that the order does not
	// depend on the table's.
	slices.SortFunc(b.found[from:], func(x, y behave.Finding) int {
		if c := cmp.Compare(y.Why.Observed, x.Why.Observed); c != 0 {
			return c
		}
		return strings.Compare(x.Title, y.Title)
	})
}

// trim drops the connections before keep.
func (p *beaconPair) trim(keep int64) {
	n := 0
	for i, t := range p.Times {
		if t >= keep {
			p.Times[n], p.Sizes[n] = t, p.Sizes[i]
			n++
		}
	}
	if n < len(p.Times) {
		p.Strobe = false
	}
	p.Times, p.Sizes = p.Times[:n], p.Sizes[:n]
}

func (b *Beacon) finding(p *beaconPair, s BeaconScore, window time.Duration, at time.Time) behave.Finding {
	dest := p.Host
	if dest == "" {
		dest = p.Dest
	}
	ents := []behave.Entity{{Field: event.SourceIP, Value: p.Source}}
	if p.Host != "" {
		ents = append(ents, behave.Entity{Field: "destination.domain", Value: p.Host})
	} else {
		ents = append(ents, behave.Entity{Field: event.DestinationIP, Value: p.Dest})
	}
	if p.Port != 0 {
		ents = append(ents, behave.Entity{Field: event.DestinationPort, Value: fmt.Sprint(p.Port)})
	}
	var through string
	if p.Proxied {
		through = " through a web proxy"
	}
	size := fmt.Sprintf("size %.2f", s.Size)
	if !s.SizeKnown {
		size = "size unknown"
	}
	return behave.Finding{
		Detector: b.Name(),
		Title:    fmt.Sprintf("Beaconing from %s to %s", p.Source, dest),
		Level:    beaconLevel(s.Score),
		Time:     at,
		Entities: ents,
		Why: behave.Why{
			Observed:  s.Score,
			Unit:      "score",
			Threshold: b.cfg.Threshold,
			Window:    window,
			Text: fmt.Sprintf("%s connected to %s%s %d times in %s, every %s (median); beacon score %.3f (timing %.2f, %s, duration %.2f, histogram %.2f) is at least %.2f.",
				p.Source, dest, through, s.Connections, window, s.Interval, s.Score, s.Timing, size, s.Duration, s.Histogram, b.cfg.Threshold),
		},
		Evidence:  slices.Clone(p.Evidence.Refs),
		Truncated: p.Evidence.Truncated,
		Tags:      []string{"attack.command-and-control", "attack.t1071"},
	}
}

// beaconLevel maps a score to a Sigma level.
func beaconLevel(score float64) string {
	switch {
	case score >= 0.9:
		return "high"
	case score >= 0.8:
		return "medium"
	}
	return "low"
}

// beaconState is the snapshot form.
type beaconState struct {
	Version  int                              `json:"version"`
	First    int64                            `json:"first"`
	Last     int64                            `json:"last"`
	Now      time.Time                        `json:"now"`
	NextTick time.Time                        `json:"next_tick"`
	Held     []*pending                       `json:"held"`
	Pairs    []behave.SavedEntry[*beaconPair] `json:"pairs"`
}

const beaconStateVersion = 1

// Snapshot implements behave.Detector.
func (b *Beacon) Snapshot(w io.Writer) error {
	return json.NewEncoder(w).Encode(beaconState{
		Version: beaconStateVersion, First: b.first, Last: b.last, Now: b.now, NextTick: b.nextTick,
		Held: b.join.save(), Pairs: b.pairs.Save(),
	})
}

// Restore implements behave.Detector.
func (b *Beacon) Restore(r io.Reader) error {
	var st beaconState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("reading beacon state: %w", err)
	}
	if st.Version != beaconStateVersion {
		return nil
	}
	b.first, b.last, b.now, b.nextTick = st.First, st.Last, st.Now, st.NextTick
	b.join.load(st.Held)
	b.pairs.Load(st.Pairs)
	return nil
}

// BeaconScore is a beacon score and its parts, each from 0 to 1.
type BeaconScore struct {
	Score     float64
	Timing    float64
	Size      float64
	Duration  float64
	Histogram float64
	// SizeKnown is false when fewer than three sizes were known; Score
	// is then the mean of the three other parts.
	SizeKnown bool
	// Connections counts the distinct connection times (seconds).
	Connections int
	// Interval is the median interval between distinct times.
	Interval time.Duration
}

// beaconParams are the sub-scores' parameters.
type beaconParams struct {
	bins                           int
	durMinBins, durIdealBins       int
	modeSensitivity                float64
	bimodalOutliers, bimodalMinBin int
}

func (b *Beacon) params() beaconParams {
	return beaconParams{
		bins:            24,
		durMinBins:      b.cfg.DurationMinBins,
		durIdealBins:    b.cfg.DurationIdealBins,
		modeSensitivity: b.cfg.HistogramModeSensitivity,
		bimodalOutliers: b.cfg.HistogramBimodalOutliers,
		bimodalMinBin:   b.cfg.HistogramBimodalMinBins,
	}
}

// beaconScratch is reused across scores.
type beaconScratch struct {
	times, deltas, sizes, dev []float64
	hist                      []int
}

// scoreBeacon scores connections at times (unix seconds) that sent
// sizes (-1 unknown), against the span [lo, hi] of all connections. It
// returns false when there are too few distinct times (fewer than three
// non-zero intervals) or the span is empty.
func scoreBeacon(times, sizes []int64, lo, hi int64, p beaconParams, sc *beaconScratch) (BeaconScore, bool) {
	if hi <= lo || len(times) < 4 {
		return BeaconScore{}, false
	}
	ts := sc.times[:0]
	for _, t := range times {
		ts = append(ts, float64(t))
	}
	slices.Sort(ts)
	sc.times = ts
	deltas := sc.deltas[:0]
	distinct := 1
	for i := 1; i < len(ts); i++ {
		if d := ts[i] - ts[i-1]; d > 0 {
			deltas = append(deltas, d)
			distinct++
		}
	}
	sc.deltas = deltas
	if len(deltas) < 3 {
		return BeaconScore{}, false
	}
	slices.Sort(deltas)
	s := BeaconScore{Connections: distinct, Interval: time.Duration(median(deltas)) * time.Second}
	s.Timing = spreadScore(deltas, 1, &sc.dev)

	known := sc.sizes[:0]
	for _, v := range sizes {
		if v >= 0 {
			known = append(known, float64(v))
		}
	}
	sc.sizes = known
	if len(known) >= 3 {
		slices.Sort(known)
		s.Size = spreadScore(known, 0, &sc.dev)
		s.SizeKnown = true
	}

	var bars, run int
	s.Histogram, bars, run = histogramScore(ts, float64(lo), float64(hi), p, &sc.hist)
	s.Duration = durationScore(float64(lo), float64(hi), ts[0], ts[len(ts)-1], bars, run, p)
	if s.SizeKnown {
		s.Score = round3((s.Timing + s.Size + s.Duration + s.Histogram) / 4)
	} else {
		s.Score = round3((s.Timing + s.Duration + s.Histogram) / 3)
	}
	return s, true
}

// spreadScore is RITA's statistical score of sorted values: the mean of
// one minus Bowley's skew (taken as 0 when the interquartile range is
// under 10 or the median equals a quartile) and (median-MAD)/median
// (emptyScore when the median is under 1).
func spreadScore(sorted []float64, emptyScore float64, scratch *[]float64) float64 {
	q1, q2, q3 := quartiles(sorted)
	skew := 0.0
	if iqr := q3 - q1; iqr >= 10 && q2 != q1 && q2 != q3 {
		skew = (q1 + q3 - 2*q2) / iqr
	}
	skewScore := 1 - math.Abs(skew)
	m := q2
	madScore := emptyScore
	if m >= 1 {
		d := mad(sorted, m, *scratch)
		madScore = (m - d) / m
	}
	if madScore < 0 || math.IsNaN(madScore) {
		madScore = 0
	}
	return round3((skewScore + madScore) / 2)
}

// histogramScore counts the sorted times in p.bins equal bins over
// [lo, hi] (earlier times fall in the first) and scores how flat the
// counts are. It returns the score, the bins with a connection, and the
// longest run of such bins (wrapping around the end).
func histogramScore(ts []float64, lo, hi float64, p beaconParams, scratch *[]int) (score float64, bars, run int) {
	n := p.bins
	hist := (*scratch)[:0]
	for range n {
		hist = append(hist, 0)
	}
	*scratch = hist
	step := (hi - lo) / float64(n)
	edge := func(i int) float64 {
		if i == n {
			return hi
		}
		return lo + float64(i)*step
	}
	bin := 0
	for _, t := range ts {
		for bin < n-1 && t >= edge(bin+1) {
			bin++
		}
		hist[bin]++
	}
	largest, total := 0, 0
	for _, c := range hist {
		if c > 0 {
			bars++
		}
		largest = max(largest, c)
		total += c
	}
	// Longest run of non-empty bins, wrapping around.
	cur := 0
	for i := range 2 * n {
		if hist[i%n] > 0 {
			cur++
			run = max(run, cur)
		} else {
			cur = 0
		}
	}
	run = min(run, n)

	mean := float64(total) / float64(n)
	var sd float64
	for _, c := range hist {
		sd += (float64(c) - mean) * (float64(c) - mean)
	}
	sd = math.Sqrt(sd / float64(n))
	cvScore := 0.0
	if cv := sd / mean; cv <= 1 {
		cvScore = round3(1 - cv)
	}

	// Two-mode fit: group bins by count level, in steps of the
	// sensitivity times the largest count; the two largest groups'
	// share of the non-empty bins.
	fit := 0.0
	if bars >= p.bimodalMinBin {
		levels := map[int]int{}
		width := math.Ceil(float64(largest) * p.modeSensitivity)
		for _, c := range hist {
			if c > 0 {
				levels[int(math.Floor(float64(c)/width)*width)]++
			}
		}
		first, second := 0, 0
		for _, v := range levels {
			if v > first {
				first, second = v, first
			} else if v > second {
				second = v
			}
		}
		fit = min(round3(float64(first+second)/math.Max(float64(bars-p.bimodalOutliers), 1)), 1)
	}
	return math.Max(cvScore, fit), bars, run
}

// durationScore is the larger of the share of the span [lo, hi] between
// the first and last connection and the longest run of bins with a
// connection over the ideal run, when enough bins have one.
func durationScore(lo, hi, first, last float64, bars, run int, p beaconParams) float64 {
	if bars < p.durMinBins || last <= first {
		return 0
	}
	coverage := min(ceil3((last-first)/(hi-lo)), 1)
	consistency := min(ceil3(float64(run)/float64(p.durIdealBins)), 1)
	return math.Max(coverage, consistency)
}

// Helpers shared by the configurations.

func setDuration(v *time.Duration, d time.Duration) {
	if *v == 0 {
		*v = d
	}
}

func setInt(v *int, d int) {
	if *v == 0 {
		*v = d
	}
}

func setInt64(v *int64, d int64) {
	if *v == 0 {
		*v = d
	}
}

func setFloat(v *float64, d float64) {
	if *v == 0 {
		*v = d
	}
}

func validNetworks(name string, cidrs []string) error {
	if _, err := parseNetworks(cidrs); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// joinNames lists up to n names, then how many more.
func joinNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
