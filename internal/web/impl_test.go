package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/store"
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
