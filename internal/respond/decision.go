package respond

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"time"
	"unicode"
)

// Actions, one per kind of scope.
const (
	ActionBlock   = "block"   // scope ScopeIP or ScopeRange
	ActionDisable = "disable" // scope ScopeAccount
	ActionIsolate = "isolate" // scope ScopeHost
)

// Scopes: what a decision applies to.
const (
	ScopeIP      = "ip"
	ScopeRange   = "range"
	ScopeAccount = "account"
	ScopeHost    = "host"
)

// Origins: who made a decision.
const (
	OriginAnalyst = "analyst"
	OriginPolicy  = "policy"
)

// Execution operations and states.
const (
	OpApply  = "apply"
	OpRevoke = "revoke"

	StatePending = "pending"
	StateDone    = "done"
	StateFailed  = "failed"
)

// Decision is one response order: an action on a scope and value, for a
// limited time. The Manager owns the decisions it stores; the ones it
// hands out (Decide, Get, List, Change) are copies the caller may keep.
type Decision struct {
	ID       string    `json:"id"` // "1", "2"… in order of creation
	Action   string    `json:"action"`
	Scope    string    `json:"scope"`
	Value    string    `json:"value"` // canonical: 192.0.2.1, 10.1.0.0/16, a user or host name
	Reason   string    `json:"reason,omitempty"`
	Origin   string    `json:"origin"`           // OriginAnalyst or OriginPolicy
	Actor    string    `json:"actor"`            // the analyst's user name, or the policy's name
	Policy   string    `json:"policy,omitempty"` // the policy that made it
	Incident string    `json:"incident,omitempty"`
	Alert    string    `json:"alert,omitempty"` // the stored alert event's ID
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	// Revoked is when an analyst ended the decision early; zero otherwise.
	Revoked      time.Time `json:"revoked,omitzero"`
	RevokedBy    string    `json:"revoked_by,omitempty"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	// Expired is set when the Manager noticed the decision's end and asked
	// its executors to revoke it.
	Expired bool `json:"expired,omitempty"`
	// DryRun decisions are stored and listed but never executed.
	DryRun bool `json:"dry_run,omitempty"`
	// Executions holds one entry per executor, by executor name.
	Executions map[string]*Execution `json:"executions,omitempty"`
}

// Execution is where one executor stands with a decision.
type Execution struct {
	Op        string    `json:"op"`    // OpApply, then OpRevoke once the decision ends
	State     string    `json:"state"` // StatePending, StateDone or StateFailed
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	NextTry   time.Time `json:"next_try,omitzero"`
	Updated   time.Time `json:"updated"`
}

// Active reports whether the decision is in force at now: not revoked and
// not yet expired. A dry-run decision is active too, though never enforced.
func (d *Decision) Active(now time.Time) bool {
	return d.Revoked.IsZero() && now.Before(d.Expires)
}

// Summary describes the decision in one line: "blocked 192.0.2.1 until …"
// or, for a dry run, "would have blocked 192.0.2.1 until …".
func (d *Decision) Summary() string {
	verb := map[string]string{ActionBlock: "blocked", ActionDisable: "disabled", ActionIsolate: "isolated"}[d.Action]
	if verb == "" {
		verb = d.Action
	}
	if d.DryRun {
		verb = "would have " + verb
	}
	s := fmt.Sprintf("%s %s %s until %s", verb, d.Scope, d.Value, d.Expires.UTC().Format(time.RFC3339))
	if d.Origin == OriginPolicy {
		s += " (policy " + d.Policy + ")"
	} else {
		s += " (by " + d.Actor + ")"
	}
	return s
}

// Clone returns a deep copy of d.
func (d *Decision) Clone() *Decision {
	c := *d
	if d.Executions != nil {
		c.Executions = make(map[string]*Execution, len(d.Executions))
		for name, x := range maps.All(d.Executions) {
			xc := *x
			c.Executions[name] = &xc
		}
	}
	return &c
}

// Errors callers branch on.
var (
	// ErrInvalid marks a request that cannot be a decision: bad syntax, an
	// action that does not fit its scope, a range or duration too large.
	ErrInvalid = errors.New("invalid response request")
	// ErrAllowListed marks a request refused because an allow-list covers
	// its value.
	ErrAllowListed = errors.New("allow-listed")
	// ErrNotFound is returned for an unknown decision ID.
	ErrNotFound = errors.New("decision not found")
	// ErrEnded is returned when revoking a decision no longer in force.
	ErrEnded = errors.New("decision already ended")
	// ErrTooMany is returned when MaxActive decisions are in force.
	ErrTooMany = errors.New("too many active decisions")
)

// requestError is an error about a request, matching one sentinel.
type requestError struct {
	kind error
	msg  string
}

func (e *requestError) Error() string        { return e.msg }
func (e *requestError) Is(target error) bool { return target == e.kind }

func invalidf(format string, args ...any) error {
	return &requestError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

// actionFor returns the action that applies to scope.
func actionFor(scope string) string {
	switch scope {
	case ScopeIP, ScopeRange:
		return ActionBlock
	case ScopeAccount:
		return ActionDisable
	case ScopeHost:
		return ActionIsolate
	}
	return ""
}

// Limits on names, so that a hostile alert cannot store huge values.
const (
	maxAccountLen = 256
	maxHostLen    = 253
	maxReasonLen  = 1024
)

// Canonical checks value for scope and returns its canonical form:
// addresses without zone and IPv4-mapped prefix, ranges masked to their
// network, host names in lower case. An account keeps its case, since
// some systems tell "Admin" from "admin".
func Canonical(scope, value string) (string, error) {
	switch scope {
	case ScopeIP:
		a, err := netip.ParseAddr(strings.TrimSpace(value))
		if err != nil {
			if strings.Contains(value, "/") {
				return "", invalidf("%q is a range: use scope range", value)
			}
			return "", invalidf("%q is not an IP address", value)
		}
		if a.Zone() != "" {
			return "", invalidf("%q has a zone: not blockable", value)
		}
		return a.Unmap().String(), nil
	case ScopeRange:
		p, err := netip.ParsePrefix(strings.TrimSpace(value))
		if err != nil {
			return "", invalidf("%q is not a CIDR range", value)
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return "", invalidf("%q: IPv4-mapped range wider than the IPv4 space", value)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked().String(), nil
	case ScopeAccount:
		v := strings.TrimSpace(value)
		if err := checkName(v, maxAccountLen); err != nil {
			return "", invalidf("account %q: %v", value, err)
		}
		return v, nil
	case ScopeHost:
		v := strings.ToLower(strings.TrimSpace(value))
		if err := checkName(v, maxHostLen); err != nil {
			return "", invalidf("host %q: %v", value, err)
		}
		for _, r := range v {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
				return "", invalidf("host %q: %q is not allowed in a host name", value, r)
			}
		}
		return v, nil
	}
	return "", invalidf("unknown scope %q (want ip, range, account or host)", scope)
}

// checkName refuses empty, over-long and control-character names, and
// the wildcards "*" and "%" that an enforcement point could expand.
func checkName(v string, max int) error {
	switch {
	case v == "":
		return errors.New("empty")
	case len(v) > max:
		return fmt.Errorf("longer than %d bytes", max)
	case strings.ContainsAny(v, "*%"):
		return errors.New("wildcards are not allowed")
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("control or invalid character %q", r)
		}
	}
	return nil
}
