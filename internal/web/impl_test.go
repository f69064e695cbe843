package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/web"
)

// recordSwitches is web.RuleSwitches over store.Records, audited, as the
// integrator would write it.
type recordSwitches struct {
	rec   store.Records
	audit store.Auditor
}

const switchKind = "rule-switch"

func (s *recordSwitches) Disabled(ctx context.Context) (map[string]bool, error) {
	list, err := s.rec.ListRecords(ctx, switchKind)
	if err != nil {
		return nil, err
	}
	off := map[string]bool{}
	for _, r := range list {
		off[r.ID] = true
	}
	return off, nil
}

func (s *recordSwitches) SetDisabled(ctx context.Context, id string, disabled bool, who auth.Identity, remote string) error {
	action := "rule.enable"
	if disabled {
		action = "rule.disable"
		body, _ := json.Marshal(map[string]string{"by": who.User})
		if err := s.rec.PutRecord(ctx, store.Record{Kind: switchKind, ID: id, Body: body, Updated: time.Now()}); err != nil {
			return err
		}
	} else if err := s.rec.DeleteRecord(ctx, switchKind, id); err != nil {
		return err
	}
	return s.audit.AppendAudit(ctx, &store.AuditEntry{Time: time.Now(), Actor: who.User, Action: action,
		Target: fmt.Sprintf("rule/%s", id), Remote: remote})
}

// recordStates is web.AlertStates over store.Records, audited, as the
// integrator would write it.
type recordStates struct {
	rec   store.Records
	audit store.Auditor
}

const stateKind = "alert-state"

func (s *recordStates) States(ctx context.Context, ids []event.ID) (map[event.ID]web.AlertState, error) {
	out := map[event.ID]web.AlertState{}
	for _, id := range ids {
		r, err := s.rec.GetRecord(ctx, stateKind, fmt.Sprint(id))
		if errors.Is(err, store.ErrNoRecord) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var st web.AlertState
		if err := json.Unmarshal(r.Body, &st); err != nil {
			return nil, fmt.Errorf("alert state %d: %w", id, err)
		}
		out[id] = st
	}
	return out, nil
}

func (s *recordStates) Set(ctx context.Context, ids []event.ID, status, assignee, reason string, who auth.Identity, remote string) error {
	if len(ids) > web.MaxTriage {
		return fmt.Errorf("%d alerts, at most %d", len(ids), web.MaxTriage)
	}
	old, err := s.States(ctx, ids)
	if err != nil {
		return err
	}
	now := time.Now()
	var recs []store.Record
	for _, id := range ids {
		st := old[id]
		if st.Status == "" {
			st.Status = web.AlertNew
		}
		for _, f := range []struct {
			to *string
			v  string
		}{{&st.Status, status}, {&st.Assignee, assignee}, {&st.Reason, reason}} {
			if f.v != "" {
				*f.to = f.v
			}
		}
		st.By, st.Time = who.User, now
		body, err := json.Marshal(st)
		if err != nil {
			return err
		}
		recs = append(recs, store.Record{Kind: stateKind, ID: fmt.Sprint(id), Body: body, Updated: now})
	}
	if err := s.rec.PutRecords(ctx, recs); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]any{"ids": ids, "status": status, "assignee": assignee, "reason": reason})
	return s.audit.AppendAudit(ctx, &store.AuditEntry{Time: now, Actor: who.User, Action: "alert.triage",
		Target: "alerts", Remote: remote, Detail: detail})
}
