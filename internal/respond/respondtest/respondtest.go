// Package respondtest is the contract every respond.Executor passes: what
// it applies is enforced on its target, what it revokes is not, both are
// idempotent, failures of the target come back as errors, and a context's
// cancellation or deadline is honoured.
//
// An executor's own tests call Run with a function that builds a fresh
// executor and the means to observe its target from the target's side
// (the HTTP receiver of a webhook, the files a script writes, a bouncer's
// own answers).
package respondtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
)

// Target is an executor under test and its target.
type Target struct {
	Executor respond.Executor
	// Enforced reports whether the target enforces d now.
	Enforced func(t *testing.T, d *respond.Decision) bool
	// Break, when not nil, makes the target refuse every later call.
	Break func(t *testing.T)
	// Hang, when not nil, makes the target stall every later call until
	// the test ends.
	Hang func(t *testing.T)
}

// Decision returns the block the suite applies: a fresh decision, in force
// for an hour.
func Decision(id, value string) *respond.Decision {
	now := time.Now()
	return &respond.Decision{ID: id, Action: respond.ActionBlock, Scope: respond.ScopeIP, Value: value,
		Reason: "contract test", Origin: respond.OriginAnalyst, Actor: "respondtest",
		Created: now, Expires: now.Add(time.Hour)}
}

// Run runs the contract on executors made by newTarget, one per subtest.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	t.Run("ApplyThenRevoke", func(t *testing.T) {
		tg := newTarget(t)
		d := Decision("1", "198.51.100.7")
		other := Decision("2", "198.51.100.8")
		if tg.Enforced(t, d) {
			t.Fatal("enforced before Apply")
		}
		for i := range 2 {
			if err := tg.Executor.Apply(timeout(t, 10*time.Second), d); err != nil {
				t.Fatalf("Apply #%d: %v", i+1, err)
			}
			if !tg.Enforced(t, d) {
				t.Fatalf("not enforced after Apply #%d", i+1)
			}
		}
		if err := tg.Executor.Apply(timeout(t, 10*time.Second), other); err != nil {
			t.Fatalf("Apply of a second decision: %v", err)
		}
		for i := range 2 {
			if err := tg.Executor.Revoke(timeout(t, 10*time.Second), d); err != nil {
				t.Fatalf("Revoke #%d: %v", i+1, err)
			}
			if tg.Enforced(t, d) {
				t.Fatalf("still enforced after Revoke #%d", i+1)
			}
		}
		if !tg.Enforced(t, other) {
			t.Fatal("revoking one decision ended another")
		}
	})
	t.Run("RevokeNeverApplied", func(t *testing.T) {
		tg := newTarget(t)
		if err := tg.Executor.Revoke(timeout(t, 10*time.Second), Decision("3", "198.51.100.9")); err != nil {
			t.Fatalf("Revoke of a decision never applied: %v, want nil", err)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		tg := newTarget(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		d := Decision("4", "198.51.100.10")
		err := tg.Executor.Apply(ctx, d)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Apply under a cancelled context = %v, want an error wrapping context.Canceled", err)
		}
		if tg.Enforced(t, d) {
			t.Fatal("enforced after a cancelled Apply")
		}
	})
	t.Run("ErrorsReturned", func(t *testing.T) {
		tg := newTarget(t)
		if tg.Break == nil {
			t.Skip("this target cannot fail")
		}
		tg.Break(t)
		if err := tg.Executor.Apply(timeout(t, 10*time.Second), Decision("5", "198.51.100.11")); err == nil {
			t.Fatal("Apply on a broken target returned nil")
		}
		if err := tg.Executor.Revoke(timeout(t, 10*time.Second), Decision("5", "198.51.100.11")); err == nil {
			t.Fatal("Revoke on a broken target returned nil")
		}
	})
	t.Run("DeadlineHonoured", func(t *testing.T) {
		tg := newTarget(t)
		if tg.Hang == nil {
			t.Skip("this target cannot stall")
		}
		tg.Hang(t)
		const deadline = 300 * time.Millisecond
		start := time.Now()
		err := tg.Executor.Apply(timeout(t, deadline), Decision("6", "198.51.100.12"))
		if err == nil {
			t.Fatal("Apply on a stalled target returned nil")
		}
		if el := time.Since(start); el > deadline+2*time.Second {
			t.Fatalf("Apply returned %s after a %s deadline", el, deadline)
		}
	})
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
