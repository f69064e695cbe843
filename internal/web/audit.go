package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// The audit page shows the newest entries first. The store reads the log
// in increasing seq order after a cursor, so the page reads it backwards
// in windows of seq numbers: window (lo, hi) holds at most hi-1-lo
// entries, so one AuditLog call of that limit returns all of them. The
// "older" cursor is the lowest seq shown or examined (exclusive).
const (
	auditPage   = 50    // entries shown per page
	auditWindow = 500   // seq numbers read per store call
	auditScan   = 20000 // seq numbers examined per page at most
	maxDetail   = 8 << 10
)

// auditView is the audit page's data.
type auditView struct {
	Target, Actor string
	Entries       []auditRow
	// Older is the cursor of the next page, 0 when there is none.
	Older int64
	// From and To are the seq range examined (To exclusive), said when
	// the page stopped at its scan bound with few matches.
	From, To int64
	Capped   bool
	Error    string
}

// auditRow is one entry as shown.
type auditRow struct {
	store.AuditEntry
	Link   string // the target's console page, if any
	Detail string // indented JSON, truncated
}

func (s *server) audit(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := &auditView{Target: strings.TrimSpace(q.Get("target")), Actor: strings.TrimSpace(q.Get("actor"))}
	status := http.StatusOK
	before := int64(0)
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return badRequest("The page cursor %q is not an audit entry number.", b)
		}
		before = n
	}
	if len(d.Target) > 256 || len(d.Actor) > 256 {
		d.Error, status = "The target or the actor is too long.", http.StatusBadRequest
	}
	if d.Error == "" {
		if err := s.readAudit(r.Context(), d, before); err != nil {
			return err
		}
	}
	v.Title, v.Nav, v.Data = "Audit log", "audit", d
	s.render(w, status, "audit", v)
	return nil
}

// readAudit fills d with the newest entries below seq before (0: from
// the end of the log) matching d's target and actor.
func (s *server) readAudit(ctx context.Context, d *auditView, before int64) error {
	hi := before
	if hi == 0 {
		last, err := lastAuditSeq(ctx, s.cfg.Audit)
		if err != nil {
			return err
		}
		hi = last + 1
	}
	d.To = hi
	for examined := int64(0); hi > 1 && len(d.Entries) < auditPage && examined < auditScan; {
		lo := max(0, hi-1-auditWindow)
		list, err := s.cfg.Audit.AuditLog(ctx, lo, int(hi-1-lo), d.Target)
		if err != nil {
			return fmt.Errorf("reading the audit log after %d: %w", lo, err)
		}
		for i := len(list) - 1; i >= 0; i-- {
			e := list[i]
			if e.Seq >= hi || (d.Actor != "" && e.Actor != d.Actor) {
				continue
			}
			if len(d.Entries) == auditPage {
				// A full page: the next one starts below the last shown.
				d.Older = d.Entries[len(d.Entries)-1].Seq
				d.From = d.Older
				return nil
			}
			d.Entries = append(d.Entries, s.auditRow(e))
		}
		examined += hi - 1 - lo
		hi = lo + 1
	}
	d.From = hi
	if hi > 1 {
		d.Older = hi
		d.Capped = len(d.Entries) < auditPage
	}
	return nil
}

// lastAuditSeq finds the highest seq of the log (0 when it is empty) by
// asking whether an entry exists after a seq: doubling, then halving, in
// about 2·log2(n) one-row reads.
func lastAuditSeq(ctx context.Context, a store.Auditor) (int64, error) {
	after := func(seq int64) (bool, error) {
		list, err := a.AuditLog(ctx, seq, 1, "")
		if err != nil {
			return false, fmt.Errorf("finding the end of the audit log: %w", err)
		}
		return len(list) > 0, nil
	}
	lo, hi := int64(0), int64(64) // an entry after lo; none after hi, once found
	for {
		ok, err := after(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		if hi > 1<<61 {
			return 0, fmt.Errorf("finding the end of the audit log: seq beyond %d", hi)
		}
		lo, hi = hi, hi*2
	}
	if ok, err := after(0); err != nil || !ok {
		return 0, err
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := after(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

func (s *server) auditRow(e store.AuditEntry) auditRow {
	row := auditRow{AuditEntry: e, Link: s.targetLink(e.Target)}
	if len(e.Detail) > 0 {
		var b bytes.Buffer
		if json.Indent(&b, e.Detail, "", "  ") != nil {
			b.Reset()
			b.Write(e.Detail)
		}
		row.Detail = truncate(b.String(), maxDetail)
	}
	return row
}

// targetLink is the console page of an audit target: an incident, or a
// decision in the list of all decisions.
func (s *server) targetLink(target string) string {
	kind, id, ok := strings.Cut(target, "/")
	if !ok || id == "" {
		return ""
	}
	switch {
	case kind == "incident" && s.cfg.Incidents != nil:
		if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			return "/ui/incidents/" + id
		}
	case kind == "decision" && s.cfg.Decisions != nil:
		return "/ui/decisions?all=1#decision-" + url.PathEscape(id)
	}
	return ""
}

// auditTime is for the template: entries in UTC, to the millisecond.
func auditTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}
