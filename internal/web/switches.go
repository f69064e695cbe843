package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigie-sec/vigie/internal/auth"
)

// RuleSwitches turns rules off and on. The integrator implements it (and
// makes live detection honour it); the console shows each rule's state
// and, to analysts, a toggle.
type RuleSwitches interface {
	// Disabled returns the IDs of the rules turned off.
	Disabled(ctx context.Context) (map[string]bool, error)
	// SetDisabled turns a rule off or on, on behalf of who from remote.
	SetDisabled(ctx context.Context, ruleID string, disabled bool, who auth.Identity, remote string) error
}

// switchRule turns the rule of the form's id off (disabled=1) or on
// (disabled=0). The id must be a rule of the loaded set, or one turned
// off already (its file may have gone since).
func (s *server) switchRule(w http.ResponseWriter, r *http.Request, v *view) error {
	id := strings.TrimSpace(r.PostFormValue("id"))
	var disabled bool
	switch r.PostFormValue("disabled") {
	case "1":
		disabled = true
	case "0":
	default:
		return badRequest("Say whether to disable the rule (disabled=1) or enable it (disabled=0).")
	}
	if id == "" || len(id) > 256 {
		return badRequest("The rule id is empty or too long.")
	}
	off, err := s.cfg.RuleSwitches.Disabled(r.Context())
	if err != nil {
		return fmt.Errorf("reading disabled rules: %w", err)
	}
	known := off[id]
	if s.cfg.Rules != nil {
		if rs := s.cfg.Rules(); rs != nil {
			for _, rep := range rs.Reports {
				known = known || rep.ID == id
			}
		}
	}
	if !known {
		return notFound("There is no rule %q.", id)
	}
	if err := s.cfg.RuleSwitches.SetDisabled(r.Context(), id, disabled, identity(r, v), r.RemoteAddr); err != nil {
		return fmt.Errorf("switching rule %s: %w", id, err)
	}
	return seeOther(w, r, "/ui/rules#rule-"+url.PathEscape(id))
}
