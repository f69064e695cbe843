package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// VerifyStore is what Verify reads from a store.
type VerifyStore interface {
	LeafSource
	LedgerSize(ctx context.Context) (int64, error)
	LeafIndex(ctx context.Context, kind uint8, ref int64) (int64, error)
	Scan(ctx context.Context, after event.ID, limit int) ([]*event.Event, error)
	AuditLog(ctx context.Context, after int64, limit int, target string) ([]store.AuditEntry, error)
	ListRecordsAfter(ctx context.Context, kind, after string, limit int) ([]store.Record, error)
}

// FindingKind says what is wrong.
type FindingKind string

// The kinds of findings.
const (
	// Altered: a stored event or audit entry no longer hashes to its leaf.
	Altered FindingKind = "altered"
	// Removed: a leaf's event or audit entry is gone, and no prune
	// audit entry accounts for it.
	Removed FindingKind = "removed"
	// Inserted: a stored event or audit entry has no leaf.
	Inserted FindingKind = "inserted"
	// Hole: leaves are missing from the integrity log itself.
	Hole FindingKind = "hole"
	// Reordered: leaves are out of order in the integrity log.
	Reordered FindingKind = "reordered"
	// BadCheckpoint: a checkpoint is malformed or its signature does not
	// match the public key.
	BadCheckpoint FindingKind = "bad-checkpoint"
	// Rewritten: the leaves no longer have a checkpoint's root: history
	// before its size was rewritten (leaves changed, removed, inserted).
	Rewritten FindingKind = "rewritten"
	// Truncated: a checkpoint covers more leaves than the log has.
	Truncated FindingKind = "truncated"
)

// Finding is one problem Verify found.
type Finding struct {
	Kind FindingKind `json:"kind"`
	// Leaf is the position in the integrity log where the problem is, or
	// where the range it names starts; -1 when it has none (an inserted
	// record, a malformed checkpoint).
	Leaf int64 `json:"leaf"`
	// Record names what is concerned: "event 1234", "events 20-31",
	// "audit 17", "checkpoint 120 (stored)".
	Record  string `json:"record"`
	Message string `json:"message"`
}

func (f Finding) String() string {
	pos := ""
	if f.Leaf >= 0 {
		pos = fmt.Sprintf(" at leaf %d", f.Leaf)
	}
	return fmt.Sprintf("%s: %s%s: %s", strings.ToUpper(string(f.Kind)), f.Record, pos, f.Message)
}

// Report is the result of Verify.
type Report struct {
	Leaves      int64 `json:"leaves"`      // leaves read from the integrity log
	Events      int64 `json:"events"`      // stored events read
	Audit       int64 `json:"audit"`       // stored audit entries read
	Pruned      int64 `json:"pruned"`      // event leaves whose event retention deleted
	Checkpoints int64 `json:"checkpoints"` // checkpoints checked
	// Findings are the problems, in log order then checkpoints; at most
	// MaxFindings, Omitted counts the others.
	Findings []Finding `json:"findings"`
	Omitted  int64     `json:"omitted,omitempty"`
}

// MaxFindings bounds Report.Findings.
const MaxFindings = 10_000

// OK reports whether the store verified without a finding.
func (r *Report) OK() bool { return len(r.Findings) == 0 && r.Omitted == 0 }

// Text renders the report for people: a summary line, then one line per
// finding.
func (r *Report) Text() string {
	var b strings.Builder
	verdict := "OK"
	if !r.OK() {
		verdict = fmt.Sprintf("FAILED: %d findings", int64(len(r.Findings))+r.Omitted)
	}
	fmt.Fprintf(&b, "%s: %d leaves, %d events, %d audit entries, %d pruned events, %d checkpoints checked\n",
		verdict, r.Leaves, r.Events, r.Audit, r.Pruned, r.Checkpoints)
	for _, f := range r.Findings {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	if r.Omitted > 0 {
		fmt.Fprintf(&b, "… and %d more findings\n", r.Omitted)
	}
	return b.String()
}

func (r *Report) add(f Finding) {
	if len(r.Findings) >= MaxFindings {
		r.Omitted++
		return
	}
	r.Findings = append(r.Findings, f)
}

// verifyPage is how many leaves, events or audit entries Verify reads at
// a time.
const verifyPage = 2000

// maxPruneRanges bounds the event ID ranges read from prune audit entries.
const maxPruneRanges = 1_000_000

// Verify re-hashes every event and audit entry of st against its leaf in
// the integrity log, recomputes the Merkle root at the size of every
// checkpoint (those stored in st and those given, from witnesses) and
// reports every difference. It streams: memory is bounded by the
// checkpoints, the ranges of pruned events and MaxFindings.
//
// The store should not change during Verify (run it on a stopped
// instance's data): events stored meanwhile may be reported inserted.
// progress, when not nil, is called after each page of leaves with the
// leaves done and the ledger size at the start.
//
// Its error is for failing to read the store; what the store holds is
// judged in the report.
func Verify(ctx context.Context, st VerifyStore, pub PublicKey, witnessed []Checkpoint, progress func(done, total int64)) (*Report, error) {
	total, err := st.LedgerSize(ctx)
	if err != nil {
		return nil, err
	}
	v := &verifier{st: st, report: &Report{}, events: &eventCursor{st: st}, audit: &auditCursor{st: st},
		rng: (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)}
	if err := v.loadCheckpoints(ctx, pub, witnessed); err != nil {
		return nil, err
	}
	if err := v.loadPruned(ctx); err != nil {
		return nil, err
	}
	for from := int64(0); ; {
		page, err := st.Leaves(ctx, from, verifyPage)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, l := range page {
			if err := v.leaf(ctx, l); err != nil {
				return nil, err
			}
		}
		from = page[len(page)-1].Index + 1
		if progress != nil {
			progress(v.pos, total)
		}
	}
	if err := v.finish(ctx, total); err != nil {
		return nil, err
	}
	return v.report, nil
}

// verifier is the state of one Verify.
type verifier struct {
	st     VerifyStore
	report *Report
	events *eventCursor
	audit  *auditCursor
	rng    *compact.Range // the leaves read so far
	pos    int64          // number of leaves read so far
	// nextIndex is the index the next leaf should have: one past the last
	// leaf's, so that a hole is reported once.
	nextIndex int64

	lastEvent, lastAudit int64 // refs of the last event and audit leaves
	buf                  []byte

	pruned [][2]int64 // merged, sorted event ID ranges that retention deleted
	// removed is the finding of the run of removed events being
	// extended: events removedFirst to removedLast, removedCount of them.
	removed                                 *Finding
	removedFirst, removedLast, removedCount int64

	checkpoints []checkedCheckpoint // valid checkpoints, by size
	next        int                 // first checkpoint whose size was not reached
}

// checkedCheckpoint is a checkpoint with a valid signature, its name in
// findings and whether the leaves still have its root.
type checkedCheckpoint struct {
	c       Checkpoint
	name    string
	checked bool
	matches bool
}

func (v *verifier) loadCheckpoints(ctx context.Context, pub PublicKey, witnessed []Checkpoint) error {
	consider := func(c Checkpoint, name string) {
		v.report.Checkpoints++
		if err := c.Verify(pub); err != nil {
			v.report.add(Finding{Kind: BadCheckpoint, Leaf: -1, Record: name, Message: err.Error()})
			return
		}
		v.checkpoints = append(v.checkpoints, checkedCheckpoint{c: c, name: name})
	}
	for after := ""; ; {
		recs, err := v.st.ListRecordsAfter(ctx, RecordKind, after, store.MaxLimit)
		if err != nil {
			return fmt.Errorf("reading checkpoints: %w", err)
		}
		if len(recs) == 0 {
			break
		}
		after = recs[len(recs)-1].ID
		v.storedCheckpoints(recs, consider)
	}
	for i, c := range witnessed {
		consider(c, fmt.Sprintf("witnessed checkpoint %d (size %d)", i+1, c.Size))
	}
	sort.SliceStable(v.checkpoints, func(i, j int) bool { return v.checkpoints[i].c.Size < v.checkpoints[j].c.Size })
	return nil
}

// storedCheckpoints checks one page of stored checkpoint records and
// gives the well-formed ones to consider.
func (v *verifier) storedCheckpoints(recs []store.Record, consider func(Checkpoint, string)) {
	for _, r := range recs {
		name := "stored checkpoint " + strings.TrimLeft(r.ID, "0")
		var c Checkpoint
		if err := json.Unmarshal(r.Body, &c); err != nil {
			v.report.Checkpoints++
			v.report.add(Finding{Kind: BadCheckpoint, Leaf: -1, Record: name, Message: err.Error()})
			continue
		}
		if r.ID != recordID(c.Size) {
			v.report.Checkpoints++
			v.report.add(Finding{Kind: BadCheckpoint, Leaf: -1, Record: name,
				Message: fmt.Sprintf("record %s holds a checkpoint of size %d", r.ID, c.Size)})
			continue
		}
		consider(c, name)
	}
}

// loadPruned reads the event ID ranges of the prune audit entries whose
// own leaf matches them: a forged prune entry cannot excuse a removal.
func (v *verifier) loadPruned(ctx context.Context) error {
	var after int64
	for {
		entries, err := v.st.AuditLog(ctx, after, verifyPage, "")
		if err != nil {
			return fmt.Errorf("reading the audit log: %w", err)
		}
		if len(entries) == 0 {
			break
		}
		for i := range entries {
			a := &entries[i]
			after = a.Seq
			if a.Action != store.ActionPrune {
				continue
			}
			ok, err := v.auditHasLeaf(ctx, a)
			if err != nil {
				return err
			}
			if !ok {
				continue // the main pass reports it
			}
			var detail struct {
				IDs [][2]int64 `json:"ids"`
			}
			if err := json.Unmarshal(a.Detail, &detail); err != nil {
				continue // signed as it is: nothing to excuse
			}
			if len(v.pruned)+len(detail.IDs) > maxPruneRanges {
				return fmt.Errorf("audit %d: more than %d pruned ranges", a.Seq, maxPruneRanges)
			}
			v.pruned = append(v.pruned, detail.IDs...)
		}
	}
	v.pruned = mergeRanges(v.pruned)
	return nil
}

func (v *verifier) auditHasLeaf(ctx context.Context, a *store.AuditEntry) (bool, error) {
	idx, err := v.st.LeafIndex(ctx, uint8(leaf.KindAudit), a.Seq)
	if errors.Is(err, store.ErrNoRecord) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ls, err := v.st.Leaves(ctx, idx, 1)
	if err != nil {
		return false, err
	}
	return len(ls) == 1 && ls[0].Index == idx && ls[0].Hash == leaf.HashLeaf(leaf.Audit(nil, a)), nil
}

// mergeRanges sorts ranges and merges those that overlap or touch.
func mergeRanges(rs [][2]int64) [][2]int64 {
	slices.SortFunc(rs, func(a, b [2]int64) int { return compareInt(a[0], b[0]) })
	var out [][2]int64
	for _, r := range rs {
		if r[1] < r[0] {
			continue
		}
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v *verifier) isPruned(id int64) bool {
	i := sort.Search(len(v.pruned), func(i int) bool { return v.pruned[i][1] >= id })
	return i < len(v.pruned) && v.pruned[i][0] <= id
}

// reach checks the checkpoints of size v.pos against the leaves so far.
// It runs before each leaf is added, so every size is reached in turn.
func (v *verifier) reach() error {
	for v.next < len(v.checkpoints) && v.checkpoints[v.next].c.Size <= v.pos {
		cp := &v.checkpoints[v.next]
		v.next++
		root, err := v.root()
		if err != nil {
			return err
		}
		cp.checked = true
		cp.matches = root == cp.c.Root
	}
	return nil
}

func (v *verifier) root() (leaf.Hash, error) {
	var h leaf.Hash
	if v.pos == 0 {
		copy(h[:], rfc6962.DefaultHasher.EmptyRoot())
		return h, nil
	}
	r, err := v.rng.GetRootHash(nil)
	if err != nil {
		return h, fmt.Errorf("BUG: %w", err)
	}
	copy(h[:], r)
	return h, nil
}

// leaf checks one leaf of the log.
func (v *verifier) leaf(ctx context.Context, l store.LedgerEntry) error {
	if err := v.reach(); err != nil {
		return err
	}
	switch {
	case l.Index > v.nextIndex:
		v.report.add(Finding{Kind: Hole, Leaf: v.nextIndex, Record: fmt.Sprintf("leaves %d-%d", v.nextIndex, l.Index-1),
			Message: fmt.Sprintf("%d leaves are missing from the integrity log before leaf %d", l.Index-v.nextIndex, l.Index)})
	case l.Index < v.nextIndex:
		v.report.add(Finding{Kind: Reordered, Leaf: l.Index, Record: fmt.Sprintf("%s %d", leaf.Kind(l.Kind), l.Ref),
			Message: fmt.Sprintf("the integrity log holds leaf %d again after leaf %d", l.Index, v.nextIndex-1)})
	}
	v.nextIndex = l.Index + 1
	if err := v.rng.Append(l.Hash[:], nil); err != nil {
		return fmt.Errorf("BUG: %w", err)
	}
	v.pos++
	v.report.Leaves++
	switch leaf.Kind(l.Kind) {
	case leaf.KindEvent:
		if l.Ref <= v.lastEvent {
			v.report.add(Finding{Kind: Reordered, Leaf: l.Index, Record: fmt.Sprintf("event %d", l.Ref),
				Message: fmt.Sprintf("event leaf after the leaf of event %d", v.lastEvent)})
			return nil
		}
		v.lastEvent = l.Ref
		return v.eventLeaf(ctx, l)
	case leaf.KindAudit:
		if l.Ref <= v.lastAudit {
			v.report.add(Finding{Kind: Reordered, Leaf: l.Index, Record: fmt.Sprintf("audit %d", l.Ref),
				Message: fmt.Sprintf("audit leaf after the leaf of audit %d", v.lastAudit)})
			return nil
		}
		v.lastAudit = l.Ref
		return v.auditLeaf(ctx, l)
	}
	v.report.add(Finding{Kind: Reordered, Leaf: l.Index, Record: fmt.Sprintf("%s %d", leaf.Kind(l.Kind), l.Ref),
		Message: "leaf of an unknown kind"})
	return nil
}

func (v *verifier) eventLeaf(ctx context.Context, l store.LedgerEntry) error {
	for {
		e, err := v.events.peek(ctx)
		if err != nil {
			return err
		}
		if e == nil || int64(e.ID) > l.Ref {
			v.missingEvent(l)
			return nil
		}
		v.events.advance()
		v.report.Events++
		v.flushRemoved()
		if int64(e.ID) < l.Ref {
			v.report.add(Finding{Kind: Inserted, Leaf: -1, Record: fmt.Sprintf("event %d", e.ID),
				Message: fmt.Sprintf("stored event has no leaf in the integrity log (the next event leaf, %d, is for event %d)", l.Index, l.Ref)})
			continue
		}
		v.buf = leaf.Event(v.buf[:0], e)
		if leaf.HashLeaf(v.buf) != l.Hash {
			v.report.add(Finding{Kind: Altered, Leaf: l.Index, Record: fmt.Sprintf("event %d", e.ID),
				Message: fmt.Sprintf("stored event (time %s, source %s) no longer matches its leaf", e.Time.UTC().Format(time.RFC3339Nano), e.Source)})
		}
		return nil
	}
}

// missingEvent counts the event of leaf l as pruned, or extends or starts
// a run of removed events.
func (v *verifier) missingEvent(l store.LedgerEntry) {
	if v.isPruned(l.Ref) {
		v.report.Pruned++
		return
	}
	if f := v.removed; f != nil && v.removedLast+1 == l.Ref {
		v.removedLast = l.Ref
		v.removedCount++
		f.Record = fmt.Sprintf("events %d-%d", v.removedFirst, l.Ref)
		f.Message = fmt.Sprintf("%d events were deleted from the store and no prune audit entry accounts for them", v.removedCount)
		return
	}
	v.flushRemoved()
	v.removed = &Finding{Kind: Removed, Leaf: l.Index, Record: fmt.Sprintf("event %d", l.Ref),
		Message: "event was deleted from the store and no prune audit entry accounts for it"}
	v.removedFirst, v.removedLast, v.removedCount = l.Ref, l.Ref, 1
}

func (v *verifier) flushRemoved() {
	if v.removed != nil {
		v.report.add(*v.removed)
		v.removed = nil
	}
}

func (v *verifier) auditLeaf(ctx context.Context, l store.LedgerEntry) error {
	for {
		a, err := v.audit.peek(ctx)
		if err != nil {
			return err
		}
		if a == nil || a.Seq > l.Ref {
			v.flushRemoved()
			v.report.add(Finding{Kind: Removed, Leaf: l.Index, Record: fmt.Sprintf("audit %d", l.Ref),
				Message: "audit entry was deleted from the store"})
			return nil
		}
		v.audit.advance()
		v.report.Audit++
		if a.Seq < l.Ref {
			v.flushRemoved()
			v.report.add(Finding{Kind: Inserted, Leaf: -1, Record: fmt.Sprintf("audit %d", a.Seq),
				Message: fmt.Sprintf("stored audit entry (%s by %s) has no leaf in the integrity log", a.Action, a.Actor)})
			continue
		}
		if leaf.HashLeaf(leaf.Audit(v.buf[:0], a)) != l.Hash {
			v.flushRemoved()
			v.report.add(Finding{Kind: Altered, Leaf: l.Index, Record: fmt.Sprintf("audit %d", a.Seq),
				Message: fmt.Sprintf("stored audit entry (%s by %s on %s) no longer matches its leaf", a.Action, a.Actor, a.Target)})
		}
		return nil
	}
}

// finish reports the records after the last leaf and the checkpoints.
func (v *verifier) finish(ctx context.Context, total int64) error {
	if err := v.reach(); err != nil {
		return err
	}
	v.flushRemoved()
	if v.nextIndex != total {
		v.report.add(Finding{Kind: Hole, Leaf: v.nextIndex, Record: "integrity log",
			Message: fmt.Sprintf("the log says it has %d leaves, it ends at leaf %d", total, v.nextIndex)})
	}
	for {
		e, err := v.events.peek(ctx)
		if err != nil {
			return err
		}
		if e == nil {
			break
		}
		v.events.advance()
		v.report.Events++
		v.report.add(Finding{Kind: Inserted, Leaf: -1, Record: fmt.Sprintf("event %d", e.ID),
			Message: "stored event has no leaf in the integrity log (after the last event leaf)"})
	}
	for {
		a, err := v.audit.peek(ctx)
		if err != nil {
			return err
		}
		if a == nil {
			break
		}
		v.audit.advance()
		v.report.Audit++
		v.report.add(Finding{Kind: Inserted, Leaf: -1, Record: fmt.Sprintf("audit %d", a.Seq),
			Message: fmt.Sprintf("stored audit entry (%s by %s) has no leaf in the integrity log (after the last audit leaf)", a.Action, a.Actor)})
	}
	v.checkpointFindings()
	return nil
}

// checkpointFindings reports the checkpoints the leaves no longer match,
// localizing each rewrite between the largest matching checkpoint below
// it and its size.
func (v *verifier) checkpointFindings() {
	var goodSize int64 // the largest size so far whose checkpoint matches
	for _, cp := range v.checkpoints {
		c := cp.c
		switch {
		case !cp.checked:
			v.report.add(Finding{Kind: Truncated, Leaf: v.pos, Record: cp.name,
				Message: fmt.Sprintf("%s covers %d leaves but the log has only %d: leaves %d-%d were removed", c, c.Size, v.pos, v.pos, c.Size-1)})
		case cp.matches:
			goodSize = c.Size
		default:
			v.report.add(Finding{Kind: Rewritten, Leaf: goodSize, Record: cp.name,
				Message: fmt.Sprintf("the leaves no longer have the root of %s: some of leaves %d-%d were changed, removed or inserted after it was signed", c, goodSize, c.Size-1)})
		}
	}
}

// eventCursor reads stored events in ID order, a page at a time.
type eventCursor struct {
	st    VerifyStore
	page  []*event.Event
	after event.ID
	done  bool
}

func (c *eventCursor) peek(ctx context.Context) (*event.Event, error) {
	if len(c.page) == 0 && !c.done {
		page, err := c.st.Scan(ctx, c.after, verifyPage)
		if err != nil {
			return nil, fmt.Errorf("reading events after %d: %w", c.after, err)
		}
		if len(page) == 0 {
			c.done = true
		} else {
			c.page = page
			c.after = page[len(page)-1].ID
		}
	}
	if len(c.page) == 0 {
		return nil, nil
	}
	return c.page[0], nil
}

func (c *eventCursor) advance() { c.page = c.page[1:] }

// auditCursor reads the audit log in Seq order, a page at a time.
type auditCursor struct {
	st    VerifyStore
	page  []store.AuditEntry
	after int64
	done  bool
}

func (c *auditCursor) peek(ctx context.Context) (*store.AuditEntry, error) {
	if len(c.page) == 0 && !c.done {
		page, err := c.st.AuditLog(ctx, c.after, verifyPage, "")
		if err != nil {
			return nil, fmt.Errorf("reading the audit log after %d: %w", c.after, err)
		}
		if len(page) == 0 {
			c.done = true
		} else {
			c.page = page
			c.after = page[len(page)-1].Seq
		}
	}
	if len(c.page) == 0 {
		return nil, nil
	}
	return &c.page[0], nil
}

func (c *auditCursor) advance() { c.page = c.page[1:] }
