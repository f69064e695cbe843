package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/store"
)

// ruleSwitches keeps the rules analysts turned off, in the store, and
// reloads live detection without them.
type ruleSwitches struct {
	records store.Records
	audit   store.Auditor
	live    *liveDetection // set once live detection exists
}

const ruleStateKind = "rule-state"

type ruleState struct {
	Disabled bool      `json:"disabled"`
	By       string    `json:"by"`
	Time     time.Time `json:"time"`
}

// Disabled returns the IDs of the rules turned off.
func (s *ruleSwitches) Disabled(ctx context.Context) (map[string]bool, error) {
	recs, err := s.records.ListRecords(ctx, ruleStateKind)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range recs {
		var st ruleState
		if json.Unmarshal(r.Body, &st) == nil && st.Disabled {
			out[r.ID] = true
		}
	}
	return out, nil
}

// SetDisabled turns a rule off or on, audits it, and reloads live
// detection.
func (s *ruleSwitches) SetDisabled(ctx context.Context, ruleID string, disabled bool, who auth.Identity, remote string) error {
	if ruleID == "" || len(ruleID) > 200 {
		return fmt.Errorf("a rule id of 1 to 200 bytes is needed")
	}
	if s.live != nil && !s.live.knows(ruleID) {
		return fmt.Errorf("no rule %q among the loaded rules", ruleID)
	}
	b, _ := json.Marshal(ruleState{Disabled: disabled, By: who.User, Time: time.Now()})
	if err := s.records.PutRecord(ctx, store.Record{Kind: ruleStateKind, ID: ruleID, Body: b}); err != nil {
		return err
	}
	action := "rule.enable"
	if disabled {
		action = "rule.disable"
	}
	if err := s.audit.AppendAudit(ctx, &store.AuditEntry{Actor: who.User, Action: action, Target: "rule/" + ruleID, Remote: remote}); err != nil {
		return err
	}
	if s.live != nil {
		return s.live.reload()
	}
	return nil
}
