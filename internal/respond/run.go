package respond

import (
	"context"
	"errors"
	"time"
)

// maxErrorLen bounds the error text kept on an execution.
const maxErrorLen = 1024

// job is one call to an executor.
type job struct {
	executor string
	op       string
	decision *Decision // a copy, as it stood when the call was made
}

func (j job) key() string { return j.decision.ID + "\x00" + j.executor }

// Run expires decisions, calls executors and retries their failures until
// ctx is cancelled; it then waits for the calls in flight (their contexts
// are cancelled too) and returns nil. Each call runs in its own goroutine
// under Config.ExecutionTimeout, at most 4 at a time per executor, so a
// hanging executor delays only its own work.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		m.Tick(ctx)
		select {
		case <-ctx.Done():
			m.calls.Wait()
			return nil
		case <-t.C:
		case <-m.wake:
		}
	}
}

// Tick does one round of Run's work at the Manager's clock: expire the
// decisions whose time is up, start the calls that are due, and forget the
// decisions that are over and settled. Tests with a fake clock call it
// directly; calls started return in their own time.
func (m *Manager) Tick(ctx context.Context) {
	var (
		jobs    []job
		changes []*Change
	)
	m.mu.Lock()
	now := m.now()
	for _, d := range sortedByID(m.live) {
		if !d.Expired && d.Revoked.IsZero() && !now.Before(d.Expires) {
			if c := m.expireLocked(ctx, d, now); c != nil {
				changes = append(changes, c)
			}
		}
		for _, name := range m.order {
			x := d.Executions[name]
			if x == nil || x.State == StateDone || x.NextTry.After(now) {
				continue
			}
			j := job{executor: name, op: x.Op, decision: d}
			if m.inflight[j.key()] {
				continue
			}
			select {
			case m.slots[name] <- struct{}{}:
			default:
				continue // this executor is busy; try again next round
			}
			m.inflight[j.key()] = true
			x.Attempts++
			x.Updated = now
			j.decision = d.Clone()
			jobs = append(jobs, j)
		}
		if !d.Active(now) && settled(d) {
			delete(m.live, d.ID)
		}
	}
	m.mu.Unlock()
	for _, c := range changes {
		m.emit(c)
	}
	for _, j := range jobs {
		m.calls.Go(func() { m.execute(ctx, j) })
	}
}

// expireLocked marks d expired, turns its executions into revokes and
// audits it. On a store error it leaves d as it was, for the next round.
func (m *Manager) expireLocked(ctx context.Context, d *Decision, now time.Time) *Change {
	prev := d.Clone()
	d.Expired = true
	m.endExecutionsLocked(d, now)
	if err := m.putLocked(ctx, d); err != nil {
		m.live[d.ID] = prev
		m.log.Error("expiring decision", "decision", d.ID, "err", err)
		return nil
	}
	if err := m.auditLocked(ctx, Actor{Name: "system"}, AuditExpire, d, map[string]any{"expires": d.Expires}); err != nil {
		m.log.Error("expiring decision", "decision", d.ID, "err", m.rollbackLocked(ctx, prev, err))
		return nil
	}
	return &Change{Kind: ChangeExpire, Decision: d.Clone()}
}

// execute makes one call and records its outcome.
func (m *Manager) execute(ctx context.Context, j job) {
	ex := m.executors[j.executor]
	cctx, cancel := context.WithTimeout(ctx, m.cfg.ExecutionTimeout)
	var err error
	if j.op == OpApply {
		err = ex.Apply(cctx, j.decision)
	} else {
		err = ex.Revoke(cctx, j.decision)
	}
	cancel()
	<-m.slots[j.executor]
	m.finish(ctx, j, err)
}

// finish records the outcome of j on its decision, unless the decision
// changed meanwhile (revoked, expired or extended): the new operation is
// then still pending and Run makes it next.
func (m *Manager) finish(ctx context.Context, j job, err error) {
	m.mu.Lock()
	delete(m.inflight, j.key())
	d := m.live[j.decision.ID]
	var x *Execution
	if d != nil {
		x = d.Executions[j.executor]
	}
	if x == nil || x.Op != j.op || !d.Expires.Equal(j.decision.Expires) {
		m.mu.Unlock()
		m.poke()
		return
	}
	now := m.now()
	x.Updated = now
	change := &Change{Kind: ChangeExecuted, Executor: j.executor}
	if err == nil {
		x.State, x.LastError, x.NextTry = StateDone, "", time.Time{}
	} else {
		msg := err.Error()
		if len(msg) > maxErrorLen {
			msg = msg[:maxErrorLen]
		}
		x.State, x.LastError, x.NextTry = StateFailed, msg, now.Add(m.backoff(x.Attempts))
		change.Kind, change.Err = ChangeFailed, msg
	}
	if perr := m.putLocked(context.WithoutCancel(ctx), d); perr != nil {
		// The outcome stays in memory; the next change stores it, and a
		// restart before that repeats the call, which is idempotent.
		m.log.Error("storing execution outcome", "decision", d.ID, "executor", j.executor, "err", perr)
	}
	change.Decision = d.Clone()
	attempts, next := x.Attempts, x.NextTry
	m.mu.Unlock()
	if err != nil && !errors.Is(err, context.Canceled) {
		m.log.Warn("response execution failed", "decision", j.decision.ID, "executor", j.executor, "op", j.op,
			"attempts", attempts, "next_try", next, "err", err)
	}
	m.emit(change)
}

// backoff returns the wait after the attempts-th failure: Retry.Min,
// doubled at each failure, at most Retry.Max.
func (m *Manager) backoff(attempts int) time.Duration {
	d := m.cfg.Retry.Min
	for i := 1; i < attempts && d < m.cfg.Retry.Max; i++ {
		d *= 2
	}
	return min(d, m.cfg.Retry.Max)
}
