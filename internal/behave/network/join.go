package network

import "time"

// joiner pairs the records that Zeek writes for one connection, by uid:
// the conn record (addresses, bytes, duration) and the http or ssl
// record (the host name, the proxy's target). A record is held until
// Delay of event time has passed since the first record of its uid,
// then the merged flow is emitted once; flows without a uid are emitted
// at once.
//
// Zeek writes the conn record when the connection ends, so in a live
// stream it arrives after the http or ssl record; a connection longer
// than Delay is emitted twice (once named, once not). Memory is bounded:
// beyond max held connections the oldest is emitted early.
type joiner struct {
	delay time.Duration
	max   int
	byUID map[string]*pending
	queue []*pending // in arrival order; queue[head:] are held
	head  int
}

// pending is a connection waiting for its other records.
type pending struct {
	savedFlow
	Deadline time.Time `json:"deadline"`
	Refs     []string  `json:"refs"`
}

// savedFlow is the JSON form of a Flow.
type savedFlow struct {
	Flow
	Conn bool `json:"conn,omitempty"`
	App  bool `json:"app,omitempty"`
}

func saveFlow(f Flow) savedFlow { return savedFlow{Flow: f, Conn: f.conn, App: f.app} }

func (s savedFlow) flow() Flow {
	f := s.Flow
	f.conn, f.app = s.Conn, s.App
	return f
}

// maxJoinRefs bounds the evidence kept per connection: its conn record
// and one or two application records.
const maxJoinRefs = 3

func newJoiner(delay time.Duration, max int) *joiner {
	return &joiner{delay: delay, max: max, byUID: map[string]*pending{}}
}

// add takes the flow of one record and calls emit for each connection
// that is complete: f itself when it has no uid, or the oldest held
// connection when the joiner is full.
func (j *joiner) add(f Flow, ref string, emit func(Flow, []string)) {
	if f.UID == "" {
		emit(f, []string{ref})
		return
	}
	if p, ok := j.byUID[f.UID]; ok {
		merged := p.flow()
		merge(&merged, f)
		p.savedFlow = saveFlow(merged)
		if len(p.Refs) < maxJoinRefs {
			p.Refs = append(p.Refs, ref)
		}
		return
	}
	p := &pending{savedFlow: saveFlow(f), Deadline: f.Time.Add(j.delay), Refs: []string{ref}}
	j.byUID[f.UID] = p
	j.queue = append(j.queue, p)
	for len(j.byUID) > j.max {
		j.pop(emit)
	}
}

// expire emits the held connections whose delay has passed at now.
func (j *joiner) expire(now time.Time, emit func(Flow, []string)) {
	for j.head < len(j.queue) && !j.queue[j.head].Deadline.After(now) {
		j.pop(emit)
	}
}

// flush emits every held connection.
func (j *joiner) flush(emit func(Flow, []string)) {
	for j.head < len(j.queue) {
		j.pop(emit)
	}
}

func (j *joiner) pop(emit func(Flow, []string)) {
	p := j.queue[j.head]
	j.queue[j.head] = nil
	j.head++
	if j.head > 1024 && j.head*2 > len(j.queue) {
		j.queue = append(j.queue[:0], j.queue[j.head:]...)
		j.head = 0
	}
	delete(j.byUID, p.UID)
	emit(p.flow(), p.Refs)
}

// save returns the held connections in arrival order.
func (j *joiner) save() []*pending { return j.queue[j.head:] }

// load replaces the held connections.
func (j *joiner) load(saved []*pending) {
	j.byUID = map[string]*pending{}
	j.queue = j.queue[:0]
	j.head = 0
	for _, p := range saved {
		if p == nil || p.UID == "" {
			continue
		}
		j.byUID[p.UID] = p
		j.queue = append(j.queue, p)
	}
}

// merge adds to into, a held connection, what another record of the same
// connection tells: the conn record's addresses, bytes and duration, the
// application record's host name and proxy target.
func merge(into *Flow, f Flow) {
	switch {
	case f.conn && !into.conn:
		app := *into
		*into = f
		if app.app {
			takeApp(into, app)
		}
	case f.app && !into.app:
		takeApp(into, f)
	}
}

func takeApp(into *Flow, app Flow) {
	into.app = true
	into.Host = app.Host
	into.Proxied = app.Proxied
	if app.Proxied && app.Port != 0 {
		into.Port = app.Port
	}
	if into.User == "" {
		into.User = app.User
	}
}
