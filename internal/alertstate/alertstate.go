// Package alertstate keeps the analysts' triage of single alerts — new,
// acknowledged, false positive, and who looks at it — beside the alerts,
// which stay unaltered in the event store. Every change is audited.
package alertstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// Statuses of an alert.
const (
	StatusNew           = "new"
	StatusAcknowledged  = "acknowledged"
	StatusFalsePositive = "false_positive"
)

// RecordKind is the store.Records kind of the states.
const RecordKind = "alert-state"

// MaxBatch bounds the alerts of one change, MaxText its texts.
const (
	MaxBatch = 500
	MaxText  = 1000
)

// ErrInput is matched by the errors of a change refused for its input.
var ErrInput = errors.New("invalid alert triage")

// State is an alert's triage. An alert without one is new.
type State struct {
	Status   string    `json:"status"`
	Assignee string    `json:"assignee,omitempty"`
	Reason   string    `json:"reason,omitempty"` // why a false positive
	By       string    `json:"by,omitempty"`
	Time     time.Time `json:"time,omitzero"`
}

// Store keeps the states.
type Store struct {
	records store.Records
	audit   store.Auditor
	now     func() time.Time
}

// New returns a Store over records, auditing to audit.
func New(records store.Records, audit store.Auditor) *Store {
	return &Store{records: records, audit: audit, now: time.Now}
}

// States returns the state of each alert; alerts never triaged are new.
func (s *Store) States(ctx context.Context, ids []event.ID) (map[event.ID]State, error) {
	if len(ids) > store.MaxLimit {
		return nil, fmt.Errorf("%w: %d alerts at once, at most %d", ErrInput, len(ids), store.MaxLimit)
	}
	out := make(map[event.ID]State, len(ids))
	for _, id := range ids {
		st := State{Status: StatusNew}
		r, err := s.records.GetRecord(ctx, RecordKind, strconv.FormatInt(int64(id), 10))
		switch {
		case errors.Is(err, store.ErrNoRecord):
		case err != nil:
			return nil, err
		default:
			if err := json.Unmarshal(r.Body, &st); err != nil {
				return nil, fmt.Errorf("alert %d state: %w", id, err)
			}
		}
		out[id] = st
	}
	return out, nil
}

// Set changes the alerts' status and assignee ("" leaves each as it is;
// status false_positive needs a reason), in one write, and audits it.
func (s *Store) Set(ctx context.Context, ids []event.ID, status, assignee, reason, who, remote string) error {
	switch {
	case len(ids) == 0:
		return fmt.Errorf("%w: no alert given", ErrInput)
	case len(ids) > MaxBatch:
		return fmt.Errorf("%w: %d alerts at once, at most %d", ErrInput, len(ids), MaxBatch)
	case status != "" && status != StatusNew && status != StatusAcknowledged && status != StatusFalsePositive:
		return fmt.Errorf("%w: status must be new, acknowledged or false_positive, got %q", ErrInput, status)
	case status == StatusFalsePositive && reason == "":
		return fmt.Errorf("%w: a false positive needs a reason", ErrInput)
	case status == "" && assignee == "":
		return fmt.Errorf("%w: nothing to change: give a status or an assignee", ErrInput)
	case len(assignee) > MaxText || len(reason) > MaxText || !utf8.ValidString(assignee+reason):
		return fmt.Errorf("%w: assignee and reason are at most %d bytes of UTF-8", ErrInput, MaxText)
	}
	current, err := s.States(ctx, ids)
	if err != nil {
		return err
	}
	now := s.now()
	batch := make([]store.Record, 0, len(ids))
	for _, id := range ids {
		st := current[id]
		if status != "" {
			st.Status, st.Reason = status, ""
			if status == StatusFalsePositive {
				st.Reason = reason
			}
		}
		if assignee != "" {
			st.Assignee = assignee
		}
		st.By, st.Time = who, now
		b, err := json.Marshal(st)
		if err != nil {
			return err
		}
		batch = append(batch, store.Record{Kind: RecordKind, ID: strconv.FormatInt(int64(id), 10), Body: b, Updated: now})
	}
	if err := s.records.PutRecords(ctx, batch); err != nil {
		return fmt.Errorf("storing the triage of %d alerts: %w", len(ids), err)
	}
	detail, _ := json.Marshal(map[string]any{"alerts": ids, "status": status, "assignee": assignee, "reason": reason})
	return s.audit.AppendAudit(ctx, &store.AuditEntry{Time: now, Actor: who, Action: "alert.triage",
		Target: fmt.Sprintf("alerts/%d", len(ids)), Remote: remote, Detail: detail})
}
