package simulate

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"
)

// Batch is consecutive records of one file and one source, framed so that
// the file's decoder reads it alone: one record per line, Zeek records
// after their log's header, CloudTrail records without the Records array.
type Batch struct {
	File    string // the file the records belong to, such as "windows.jsonl"
	Format  string // its decoder: syslog, winjson, zeek, cloudtrail, entra or m365
	Source  string // where the records come from: "windows/FS01", "syslog/gw01", "zeek", "cloudtrail"…
	Body    []byte
	Records int
	First   time.Time // event time of the first record
	Last    time.Time // and of the last
	Labels  []Label   // labels of the malicious records in the batch
}

// PlayConfig says how Play replays a simulation. Send is required.
type PlayConfig struct {
	// Speed is the number of simulated seconds that pass per real
	// second; zero means 3600 (a week in under three minutes).
	Speed float64
	// From skips the records before it; zero means from the start.
	From time.Time
	// Send delivers one batch. Play calls it from its own goroutine, one
	// batch at a time, in the event-time order of the batches' first
	// records; Play stops at the first error Send returns. Send may keep
	// Body.
	Send func(ctx context.Context, b Batch) error
	// Tick is the shortest real time between two rounds of sending;
	// records that fall due in between go together. Zero means 250 ms.
	Tick time.Duration
	// MaxRecords bounds the records of one batch; zero means 2000.
	MaxRecords int
	// Now and Sleep are the real clock; nil means time.Now and a timer.
	// Sleep returns ctx.Err() when ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// PlayStats says what Play sent.
type PlayStats struct {
	Records int
	Batches int
	Labels  int
	Last    time.Time // event time of the last record sent
}

// ref is the place of one record.
type ref struct {
	file fileID
	i    int
}

// Play sends the simulation's records in event-time order, paced so that
// cfg.Speed simulated seconds pass per real second: the breach unfolds
// live in front of a running server. It returns when every record is sent,
// when ctx ends or when Send fails.
func (s *Simulation) Play(ctx context.Context, cfg PlayConfig) (PlayStats, error) {
	var st PlayStats
	if cfg.Send == nil {
		return st, errors.New("simulate: PlayConfig.Send is nil")
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 3600
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 250 * time.Millisecond
	}
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 2000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	labels := map[ref]Label{}
	index := map[string]fileID{}
	for f, spec := range fileSpecs {
		index[spec.name] = fileID(f)
	}
	for _, l := range s.labels {
		f := index[l.File]
		labels[ref{f, l.Line - firstLine(f)}] = l
	}
	var order []ref
	for f, recs := range s.files {
		for i, r := range recs {
			if !r.t.Before(cfg.From) {
				order = append(order, ref{fileID(f), i})
			}
		}
	}
	slices.SortStableFunc(order, func(a, b ref) int {
		return cmp.Or(s.files[a.file][a.i].t.Compare(s.files[b.file][b.i].t), cmp.Compare(a.file, b.file))
	})
	if len(order) == 0 {
		return st, nil
	}
	simStart := s.files[order[0].file][order[0].i].t
	realStart := cfg.Now()
	next := 0
	for next < len(order) {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		elapsed := cfg.Now().Sub(realStart)
		simNow := simStart.Add(time.Duration(float64(elapsed) * cfg.Speed))
		end := next
		for end < len(order) && !s.files[order[end].file][order[end].i].t.After(simNow) {
			end++
		}
		for _, b := range s.batches(order[next:end], labels, cfg.MaxRecords) {
			if err := cfg.Send(ctx, b); err != nil {
				return st, err
			}
			st.Batches++
			st.Records += b.Records
			st.Labels += len(b.Labels)
			st.Last = b.Last
		}
		next = end
		if next == len(order) {
			break
		}
		due := s.files[order[next].file][order[next].i].t.Sub(simNow)
		wait := max(cfg.Tick, time.Duration(float64(due)/cfg.Speed))
		if err := cfg.Sleep(ctx, wait); err != nil {
			return st, err
		}
	}
	return st, nil
}

// batches groups refs, in time order, by file and source.
func (s *Simulation) batches(refs []ref, labels map[ref]Label, maxRecords int) []Batch {
	type key struct {
		file   fileID
		source string
	}
	var out []Batch
	open := map[key]int{} // index in out of the batch being filled
	for _, rf := range refs {
		r := &s.files[rf.file][rf.i]
		k := key{rf.file, r.source}
		i, ok := open[k]
		if !ok || out[i].Records >= maxRecords {
			spec := fileSpecs[rf.file]
			b := Batch{File: spec.name, Format: spec.format, Source: r.source, First: r.t}
			if spec.format == FormatZeek {
				for _, h := range zeekHeader(spec.zeek, s.cfg.Start) {
					b.Body = append(append(b.Body, h...), '\n')
				}
			}
			out = append(out, b)
			i = len(out) - 1
			open[k] = i
		}
		b := &out[i]
		b.Body = append(append(b.Body, r.body...), '\n')
		b.Records++
		b.Last = r.t
		if l, ok := labels[rf]; ok {
			b.Labels = append(b.Labels, l)
		}
	}
	slices.SortStableFunc(out, func(a, b Batch) int { return a.First.Compare(b.First) })
	return out
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
