package incident

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// Record kinds in store.Records.
const (
	RecordKind      = "incident"
	StateRecordKind = "incident-state"
	stateRecordID   = "state"
)

// Deps are what a Manager works with.
type Deps struct {
	Records store.Records
	Audit   store.Auditor
	Now     func() time.Time // nil means time.Now
	// Evidence, when set, reads the evidence events of an alert that
	// names no entity itself (a source falling silent), whose entities
	// it then groups on. A store.Searcher will do.
	Evidence EvidenceReader
}

// EvidenceReader reads stored events by ID.
type EvidenceReader interface {
	Get(ctx context.Context, id event.ID) (*event.Event, error)
}

// Change says what Add did to one incident.
type Change struct {
	Incident int64
	// Kind is "new" for an incident Add opened, "update" for one that
	// took alerts or relations, "merged" for one merged into another.
	Kind   string
	Alerts []event.ID // the alerts that joined it in this call
}

// Change kinds.
const (
	ChangeNew    = "new"
	ChangeUpdate = "update"
	ChangeMerged = "merged"
)

// Actor is who does an analyst action, and from where.
type Actor struct {
	Name   string
	Remote string
}

// Manager groups alerts into incidents and keeps them. It holds every
// incident in memory and writes each change to store.Records before it
// returns. It is safe for concurrent use.
type Manager struct {
	cfg      Config
	records  store.Records
	audit    store.Auditor
	evidence EvidenceReader
	now      func() time.Time

	// mu guards every field below.
	mu        sync.Mutex
	incidents map[int64]*Incident
	byAlert   map[event.ID]int64         // alert → incident holding it
	byEntity  map[string]map[int64]bool  // entity key → incidents it links (not merged)
	byPattern map[string]map[int64]bool  // patternKey → incidents where the rule met the value
	byMention map[string]map[int64]bool  // entity key → incidents whose crowd alerts name it
	ignore    map[string]map[string]bool // field → normalised values never joined on
	usage     *tracker
	cursor    event.ID
	nextID    int64
}

// state is the "incident-state" record.
type state struct {
	Cursor event.ID          `json:"cursor"`
	NextID int64             `json:"next_id"`
	Usage  map[string]*usage `json:"usage"`
}

// New returns a Manager with no incident; call Load to read the stored
// ones.
func New(cfg Config, deps Deps) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Records == nil || deps.Audit == nil {
		return nil, errors.New("incident: Records and Audit are required")
	}
	cfg = cfg.withDefaults()
	m := &Manager{cfg: cfg, records: deps.Records, audit: deps.Audit, evidence: deps.Evidence, now: deps.Now}
	if m.now == nil {
		m.now = time.Now
	}
	m.ignore = map[string]map[string]bool{}
	for _, f := range cfg.Grouping.Fields {
		set := map[string]bool{"": true}
		for _, v := range cfg.Grouping.Ignore {
			set[Normalize(f, v)] = true
		}
		for _, v := range cfg.Grouping.IgnoreFields[f] {
			set[Normalize(f, v)] = true
		}
		m.ignore[f] = set
	}
	m.reset()
	return m, nil
}

func (m *Manager) reset() {
	m.incidents = map[int64]*Incident{}
	m.byAlert = map[event.ID]int64{}
	m.byEntity = map[string]map[int64]bool{}
	m.byPattern = map[string]map[int64]bool{}
	m.byMention = map[string]map[int64]bool{}
	g := m.cfg.Grouping
	m.usage = newTracker(g.CommonAfter, g.Window, g.MaxTracked)
	m.cursor, m.nextID = 0, 1
}

// Load reads the stored incidents and grouping state, replacing what the
// Manager holds.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(ctx)
}

func (m *Manager) loadLocked(ctx context.Context) error {
	m.reset()
	recs, err := m.records.ListRecords(ctx, RecordKind)
	if err != nil {
		return fmt.Errorf("loading incidents: %w", err)
	}
	for _, r := range recs {
		var inc Incident
		if err := json.Unmarshal(r.Body, &inc); err != nil {
			return fmt.Errorf("loading incident record %s: %w", r.ID, err)
		}
		m.incidents[inc.ID] = &inc
		m.index(&inc)
		m.nextID = max(m.nextID, inc.ID+1)
	}
	r, err := m.records.GetRecord(ctx, StateRecordKind, stateRecordID)
	switch {
	case errors.Is(err, store.ErrNoRecord):
		return nil
	case err != nil:
		return fmt.Errorf("loading incident state: %w", err)
	}
	var st state
	if err := json.Unmarshal(r.Body, &st); err != nil {
		return fmt.Errorf("loading incident state: %w", err)
	}
	m.cursor = st.Cursor
	m.nextID = max(m.nextID, st.NextID)
	if st.Usage != nil {
		m.usage.Values = st.Usage
	}
	return nil
}

// index records inc's alerts, linking entities and rule-value patterns
// in the lookup maps.
func (m *Manager) index(inc *Incident) {
	rules := make(map[event.ID]string, len(inc.Alerts))
	for _, a := range inc.Alerts {
		m.byAlert[a.ID] = inc.ID
		rules[a.ID] = a.RuleID
	}
	if inc.Status == StatusMerged {
		return
	}
	for _, e := range inc.Entities {
		key := entityKey(e.Field, e.Value)
		if len(e.Links) > 0 {
			indexAdd(m.byEntity, key, inc.ID)
		}
		for _, id := range e.Links {
			indexAdd(m.byPattern, patternKey(rules[id], key), inc.ID)
		}
		for _, id := range e.Crowd {
			indexAdd(m.byPattern, patternKey(rules[id], key), inc.ID)
		}
	}
	crowd := inc.crowdAlerts()
	for _, e := range inc.Entities {
		if slices.ContainsFunc(e.Alerts, func(id event.ID) bool { return crowd[id] }) {
			indexAdd(m.byMention, entityKey(e.Field, e.Value), inc.ID)
		}
	}
}

func indexAdd(index map[string]map[int64]bool, key string, id int64) {
	set := index[key]
	if set == nil {
		set = map[int64]bool{}
		index[key] = set
	}
	set[id] = true
}

func indexRemove(index map[string]map[int64]bool, key string, id int64) {
	delete(index[key], id)
	if len(index[key]) == 0 {
		delete(index, key)
	}
}

// unindexEntities forgets that inc names its entities and patterns.
func (m *Manager) unindexEntities(inc *Incident) {
	rules := make(map[event.ID]string, len(inc.Alerts))
	for _, a := range inc.Alerts {
		rules[a.ID] = a.RuleID
	}
	for _, e := range inc.Entities {
		key := entityKey(e.Field, e.Value)
		indexRemove(m.byEntity, key, inc.ID)
		indexRemove(m.byMention, key, inc.ID)
		for _, id := range slices.Concat(e.Links, e.Crowd) {
			indexRemove(m.byPattern, patternKey(rules[id], key), inc.ID)
		}
	}
}

// Cursor returns the highest alert ID Add has seen.
func (m *Manager) Cursor() event.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursor
}

// Get returns a copy of an incident.
func (m *Manager) Get(id int64) (*Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, ok := m.incidents[id]
	if !ok {
		return nil, fmt.Errorf("incident %d: %w", id, ErrNoIncident)
	}
	return inc.clone(), nil
}

// IncidentOf returns the ID of the incident holding an alert.
func (m *Manager) IncidentOf(alert event.ID) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.byAlert[alert]
	return id, ok
}

// spellings returns the spellings the incidents met of an entity value,
// at most maxSearchSpellings.
func (m *Manager) spellings(field, value string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := entityKey(field, Normalize(field, value))
	var out []string
	for id := range m.byEntity[key] {
		for _, e := range m.incidents[id].Entities {
			if entityKey(e.Field, e.Value) != key {
				continue
			}
			for _, s := range e.Spellings {
				if !slices.Contains(out, s) && len(out) < maxSearchSpellings {
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Filter selects incidents for List. Zero fields select any.
type Filter struct {
	Status   Status
	MinLevel string // Sigma level; compared with the effective severity
	Assignee string
	// Field and Value select incidents naming an entity (compared
	// normalised, see Normalize).
	Field, Value string
	Open         bool // only new, investigating and contained
}

// List returns copies of the incidents f selects, newest first.
func (m *Manager) List(f Filter) []*Incident {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Incident
	for _, inc := range m.incidents {
		if f.Status != "" && inc.Status != f.Status ||
			f.Open && !inc.Status.Open() ||
			f.Assignee != "" && inc.Assignee != f.Assignee ||
			f.MinLevel != "" && !detect.LevelAtLeast(inc.EffectiveSeverity(), f.MinLevel) ||
			f.Field != "" && inc.Entity(f.Field, f.Value) == nil {
			continue
		}
		out = append(out, inc.clone())
	}
	slices.SortFunc(out, func(a, b *Incident) int { return cmp.Compare(b.ID, a.ID) })
	return out
}

// Add groups alerts into incidents and stores the incidents it changed
// and the cursor. Alerts already in an incident are ignored, so that the
// same alerts may be given again. An event that is not a stored alert
// is skipped and reported in the error, after the others are grouped.
//
// If storing fails, the Manager reloads what was stored before the call
// and returns the error: giving the same alerts again is then safe. (An
// automatic merge is audited when it is decided, so the audit log may
// then name a merge that the retry decides again.)
func (m *Manager) Add(ctx context.Context, alerts []*event.Event) ([]Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := &batch{changes: map[int64]*Change{}}
	var errs []error
	for i, ev := range alerts {
		p, err := parseAlert(ev, m.cfg.Grouping.Fields)
		if err != nil {
			errs = append(errs, fmt.Errorf("alert %d of %d: %w", i+1, len(alerts), err))
			continue
		}
		m.cursor = max(m.cursor, p.ref.ID)
		if _, ok := m.byAlert[p.ref.ID]; ok {
			continue
		}
		if err := m.place(ctx, b, p); err != nil {
			errs = append(errs, err)
			break
		}
	}
	if err := m.persistLocked(ctx, slices.Sorted(maps.Keys(b.changes))); err != nil {
		if rerr := m.loadLocked(ctx); rerr != nil {
			err = errors.Join(err, fmt.Errorf("reloading incidents: %w", rerr))
		}
		return nil, errors.Join(append(errs, err)...)
	}
	out := make([]Change, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, *b.changes[id])
	}
	return out, errors.Join(errs...)
}

// batch collects the changes of one Add.
type batch struct {
	changes map[int64]*Change
	order   []int64
}

func (b *batch) note(id int64, kind string, alert event.ID) {
	c := b.changes[id]
	if c == nil {
		c = &Change{Incident: id, Kind: kind}
		b.changes[id] = c
		b.order = append(b.order, id)
	}
	if kind == ChangeNew || kind == ChangeMerged {
		c.Kind = kind
	}
	if alert != 0 {
		c.Alerts = append(c.Alerts, alert)
	}
}

// place puts one new alert into an incident.
//
// The alert's values (its entity values, or when it has none those of
// its evidence events) are sorted out: ignored values are dropped; values
// of a kind the alert names more than FanOut of are listed but do not
// join; the others are the alert's joinable values. Each joinable value is
// checked for being a hub (met with more than CommonAfter distinct
// values within the window), and so is each pair of the alert's rule and a
// joinable value. The alert joins the incidents where its joinable values
// that are not hubs are linked. When the rule itself meets a value with
// crowds (the same beacon from fifty workstations to one update server,
// the same SSH spray from a hundred internet scanners) and no incident
// knows the alert's other values, the alert is crowd behaviour: it joins
// the incident where the same rule met the same value, and links nothing
// there, so that a crowd member which later turns out to be a breached
// host does not pull the crowd into the breach. A crowd alert whose actor
// (the spraying address) already has an incident joins that incident.
func (m *Manager) place(ctx context.Context, b *batch, p parsedAlert) error {
	values := m.usable(p.entities)
	if len(values) == 0 && m.evidence != nil {
		var err error
		if values, err = m.evidenceValues(ctx, p.evidence); err != nil {
			return err
		}
	}
	perClass := map[string]int{}
	for _, v := range values {
		perClass[classOf(v.field)]++
	}
	var joinable []alertValue
	var keys []string
	for _, v := range values {
		if fo := m.cfg.Grouping.FanOut; fo < 0 || perClass[classOf(v.field)] <= fo {
			joinable = append(joinable, v)
			keys = append(keys, v.key)
		}
	}
	at := p.ref.Time
	common := map[string]bool{}
	var crowd *alertValue
	for i, v := range joinable {
		if m.usage.observe(v.key, keys, at) {
			common[v.key] = true
		}
		if m.usage.observe(patternKey(p.ref.RuleID, v.key), keys, at) && crowd == nil {
			crowd = &joinable[i]
		}
	}
	shared := map[int64][]alertValue{}
	var related []int64
	consider := func(ids map[int64]bool, v alertValue) {
		for id := range ids {
			inc := m.incidents[id]
			switch {
			case inc.Status == StatusMerged || !m.inWindow(inc, &p.ref):
			case inc.Status.Open() && len(inc.Alerts) < m.cfg.MaxAlerts:
				if there := inc.Entity(v.field, v.value); there != nil && there.Field != v.field {
					v.seenAs = there.Field
				}
				shared[id] = append(shared[id], v)
			default: // closed, or full
				related = append(related, id)
			}
		}
	}
	linking := map[string]bool{}
	for _, v := range joinable {
		if !common[v.key] && (crowd == nil || v.key != crowd.key) {
			linking[v.key] = true
			consider(m.byEntity[v.key], v)
		}
	}
	if crowd != nil && len(shared) == 0 {
		// No incident knows the actor: the alert joins its crowd, and
		// links nothing.
		clear(linking)
		related = nil
		consider(m.byPattern[patternKey(p.ref.RuleID, crowd.key)], *crowd)
	} else {
		crowd = nil
	}
	ids := slices.Sorted(maps.Keys(shared))
	var target *Incident
	because := ""
	switch {
	case len(ids) == 0:
		target = &Incident{ID: m.nextID, Status: StatusNew, Created: m.now(), Alerts: []AlertRef{}, Entities: []Entity{}}
		m.nextID++
		m.incidents[target.ID] = target
		because = "opened the incident"
		if len(values) == 0 {
			because += " (no entity to group on)"
		}
		b.note(target.ID, ChangeNew, 0)
	default:
		target = m.incidents[ids[0]]
		because = "joined because " + describeShared(shared[ids[0]])
		for _, id := range ids[1:] {
			other := m.incidents[id]
			if *m.cfg.Grouping.AutoMerge {
				reason := fmt.Sprintf("alert %d (%s) links them: %s with #%d, %s with #%d",
					p.ref.ID, p.ref.Title, describeValues(shared[target.ID]), target.ID, describeValues(shared[id]), id)
				if err := m.auditLocked(ctx, Actor{Name: "system"}, "incident.merge", target.ID,
					map[string]any{"from": id, "reason": reason}); err != nil {
					return err
				}
				m.mergeLocked(target, other, reason, "system")
				because += fmt.Sprintf("; %s also appears in #%d, merged into this one", describeValues(shared[id]), id)
				b.note(id, ChangeMerged, 0)
				continue
			}
			target.addRelated(id)
			other.addRelated(target.ID)
			because += fmt.Sprintf("; %s also appears in #%d, marked related", describeValues(shared[id]), id)
			b.note(id, ChangeUpdate, 0)
		}
	}
	if crowd != nil {
		because += fmt.Sprintf(" (crowd behaviour: rule %s meets %s %s with more than %d others; the alert joins only alerts of that rule and value)",
			p.ref.RuleID, crowd.field, crowd.value, m.cfg.Grouping.CommonAfter)
	}
	for _, id := range related {
		if id == target.ID {
			continue
		}
		if !slices.Contains(target.Related, id) {
			because += fmt.Sprintf("; #%d names it too but is %s, marked related", id, m.incidents[id].Status)
		}
		target.addRelated(id)
		m.incidents[id].addRelated(target.ID)
		b.note(id, ChangeUpdate, 0)
	}
	m.join(target, p, values, linking, common, crowd, because)
	b.note(target.ID, ChangeUpdate, p.ref.ID)
	for _, v := range joinable {
		if linking[v.key] {
			m.reclaim(b, target, v)
		}
	}
	return nil
}

// reclaim moves to target the crowd alerts of other open incidents that
// name v, now that v links target: a crowd alert joined its crowd only
// because no incident knew its actor (an attacker's first spray, alike
// to a hundred scanners'), and target now does.
func (m *Manager) reclaim(b *batch, target *Incident, v alertValue) {
	for id := range m.byMention[v.key] {
		from := m.incidents[id]
		if id == target.ID || !from.Status.Open() {
			continue
		}
		e := from.Entity(v.field, v.value)
		if e == nil {
			continue
		}
		crowd := from.crowdAlerts()
		move := map[int64]bool{}
		for _, a := range from.Alerts {
			if crowd[a.ID] && slices.Contains(e.Alerts, a.ID) && m.inWindow(target, &a) && len(target.Alerts)+len(move) < m.cfg.MaxAlerts {
				move[int64(a.ID)] = true
			}
		}
		if len(move) == 0 {
			continue
		}
		m.unindexEntities(from)
		m.unindexEntities(target)
		moved := from.take(move)
		because := fmt.Sprintf("moved from crowd incident #%d: %s %s, which it names, now links this incident", from.ID, v.field, v.value)
		for i := range moved.Joins {
			moved.Joins[i].Because += "; " + because
		}
		for i := range moved.Entities {
			moved.Entities[i].Crowd = nil // no longer the crowd's
		}
		target.absorb(moved)
		now := m.now()
		from.Updated, target.Updated = now, now
		from.recompute()
		target.recompute()
		m.index(from)
		m.index(target)
		b.note(from.ID, ChangeUpdate, 0)
	}
}

// usable drops the ignored values.
func (m *Manager) usable(vs []alertValue) []alertValue {
	var out []alertValue
	for _, v := range vs {
		if !m.ignore[v.field][v.value] {
			out = append(out, v)
		}
	}
	return out
}

// evidenceValues returns the usable entity values of the first of an
// alert's evidence events that has some, for an alert that names none
// itself: for a source falling silent, the last event before the silence.
// Only the first is read: the others (the first events after a silence
// ends, say) are whoever happened to be there.
func (m *Manager) evidenceValues(ctx context.Context, ids []event.ID) ([]alertValue, error) {
	seen := map[string]bool{}
	var out []alertValue
	for _, id := range ids {
		if len(out) > 0 {
			break // the first evidence event naming entities is enough
		}
		ev, err := m.evidence.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // pruned
		}
		if err != nil {
			return nil, fmt.Errorf("reading evidence event %d: %w", id, err)
		}
		for _, v := range m.usable(entityValues(ev, m.cfg.Grouping.Fields)) {
			if !seen[v.key] && len(out) < maxEntitiesPerAlert {
				seen[v.key] = true
				v.evidence = id
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// inWindow reports whether an alert lies within the window of the
// incident's activity.
func (m *Manager) inWindow(inc *Incident, a *AlertRef) bool {
	w := m.cfg.Grouping.Window
	return !a.Time.Before(inc.First.Add(-w)) && !a.start().After(inc.Last.Add(w))
}

// join adds an alert to an incident, with the entity values it names;
// linking are the values through which it links, common the hubs, crowd
// the value through which a crowd alert joined.
func (m *Manager) join(inc *Incident, p parsedAlert, values []alertValue, linking, common map[string]bool, crowd *alertValue, because string) {
	inc.Alerts = append(inc.Alerts, p.ref)
	inc.Joins = append(inc.Joins, Join{Alert: p.ref.ID, Because: because})
	m.byAlert[p.ref.ID] = inc.ID
	for _, v := range values {
		i := slices.IndexFunc(inc.Entities, func(e Entity) bool { return entityKey(e.Field, e.Value) == v.key })
		if i < 0 {
			inc.Entities = append(inc.Entities, Entity{Field: v.field, Value: v.value})
			i = len(inc.Entities) - 1
		}
		e := &inc.Entities[i]
		e.Alerts = append(e.Alerts, p.ref.ID)
		switch {
		case linking[v.key]:
			e.Links = append(e.Links, p.ref.ID)
			indexAdd(m.byEntity, v.key, inc.ID)
			indexAdd(m.byPattern, patternKey(p.ref.RuleID, v.key), inc.ID)
		case crowd != nil && v.key == crowd.key:
			e.Crowd = append(e.Crowd, p.ref.ID)
			indexAdd(m.byPattern, patternKey(p.ref.RuleID, v.key), inc.ID)
		}
		if crowd != nil {
			indexAdd(m.byMention, v.key, inc.ID)
		}
		e.Common = common[v.key]
		if !slices.Contains(e.Spellings, v.spelling) && len(e.Spellings) < maxSpellings {
			e.Spellings = append(e.Spellings, v.spelling)
		}
	}
	inc.Updated = m.now()
	inc.recompute()
}

// describeShared renders shared values for a join: "user.name alice
// appears in both".
func describeShared(vs []alertValue) string {
	verb := " appears in both"
	if len(vs) > 1 {
		verb = " appear in both"
	}
	return describeValues(vs) + verb
}

func describeValues(vs []alertValue) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		s := v.field + " " + v.value
		if v.seenAs != "" {
			s += " (there as " + v.seenAs + ")"
		}
		if v.evidence != 0 {
			s += fmt.Sprintf(" (in its evidence event %d)", v.evidence)
		}
		parts = append(parts, s)
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("%d more", len(parts)-3))
	}
	return strings.Join(parts, " and ")
}

// persistLocked stores the incidents ids and the state record in one
// batch: the cursor never runs ahead of the incidents it covers.
func (m *Manager) persistLocked(ctx context.Context, ids []int64) error {
	batch := make([]store.Record, 0, len(ids)+1)
	for _, id := range ids {
		r, err := incidentRecord(m.incidents[id])
		if err != nil {
			return err
		}
		batch = append(batch, r)
	}
	st := state{Cursor: m.cursor, NextID: m.nextID, Usage: m.usage.Values}
	body, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding incident state: %w", err)
	}
	batch = append(batch, store.Record{Kind: StateRecordKind, ID: stateRecordID, Body: body, Updated: m.now()})
	if err := m.records.PutRecords(ctx, batch); err != nil {
		return fmt.Errorf("storing %d incidents and their state: %w", len(ids), err)
	}
	return nil
}

func incidentRecord(inc *Incident) (store.Record, error) {
	body, err := json.Marshal(inc)
	if err != nil {
		return store.Record{}, fmt.Errorf("encoding incident %d: %w", inc.ID, err)
	}
	return store.Record{Kind: RecordKind, ID: strconv.FormatInt(inc.ID, 10), Body: body, Updated: inc.Updated}, nil
}

func (m *Manager) putLocked(ctx context.Context, inc *Incident) error {
	r, err := incidentRecord(inc)
	if err != nil {
		return err
	}
	if err := m.records.PutRecord(ctx, r); err != nil {
		return fmt.Errorf("storing incident %d: %w", inc.ID, err)
	}
	return nil
}

// auditLocked writes an audit entry about an incident.
func (m *Manager) auditLocked(ctx context.Context, who Actor, action string, id int64, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encoding audit detail: %w", err)
	}
	e := &store.AuditEntry{Time: m.now(), Actor: who.Name, Action: action, Target: target(id), Remote: who.Remote, Detail: d}
	if err := m.audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("auditing %s on incident %d: %w", action, id, err)
	}
	return nil
}

// target is an incident's name in the audit log.
func target(id int64) string { return "incident/" + strconv.FormatInt(id, 10) }
