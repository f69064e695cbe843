package respond

import "context"

// Executor enforces decisions on one target: a firewall through the
// CrowdSec bouncer stream, a SOAR through a webhook, a script.
//
// The Manager calls Apply when a decision is made (and again when its
// expiry is extended) and Revoke when it ends, each call under a context
// with a deadline, which the executor must honour. Both must be
// idempotent: after a failure or a restart the Manager calls again, and
// Revoke may come for a decision whose Apply failed. An error means the
// target may not be in the wanted state; the Manager retries it. The
// decision passed is a copy the executor may keep but not modify. Calls
// for different decisions may run concurrently.
type Executor interface {
	// Name identifies the executor in Decision.Executions; it must be
	// unique among a Manager's executors and stable across restarts.
	Name() string
	Apply(ctx context.Context, d *Decision) error
	Revoke(ctx context.Context, d *Decision) error
}

// Selector is implemented by executors that act on some decisions only
// (the bouncer serves blocks of addresses and ranges only, a command may be
// configured for "disable" alone). Executors without it get every
// decision.
type Selector interface {
	Handles(d *Decision) bool
}

// Restorer is implemented by executors that keep their state in memory.
// Manager.Load calls Restore once with the decisions in force that the
// executor applied before the process stopped.
type Restorer interface {
	Restore(ctx context.Context, applied []*Decision) error
}

// handles reports whether ex acts on d.
func handles(ex Executor, d *Decision) bool {
	if s, ok := ex.(Selector); ok {
		return s.Handles(d)
	}
	return true
}

// HandlesAction is a Selector helper for executors configured with a list
// of actions: an empty list handles every action.
func HandlesAction(actions []string, d *Decision) bool {
	if len(actions) == 0 {
		return true
	}
	for _, a := range actions {
		if a == d.Action {
			return true
		}
	}
	return false
}
