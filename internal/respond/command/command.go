// Package command is a respond.Executor that runs a configured program for
// each decision: a script that disables an account in the directory, an
// EDR's command-line tool that isolates a host.
//
// The program is run directly (no shell, no PATH search) with its
// configured arguments, the decision as JSON on standard input, and an
// environment of only PATH and
//
//	VIGIE_OP=apply|revoke
//	VIGIE_DECISION_ID, VIGIE_ACTION, VIGIE_SCOPE, VIGIE_VALUE
//
// so that Vigie's own environment does not leak to it. Exit status 0 is
// success; any other is an error carrying the last lines of standard
// error. The program runs in a process group of its own, and the whole
// group is killed at the timeout, so that a stuck grandchild cannot
// outlive it. Programs must treat a repeated call as a no-op.
package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
)

// DefaultTimeout bounds one run when the configuration names none.
const DefaultTimeout = 30 * time.Second

// Limits on what is kept of standard error.
const (
	stderrKept = 4096
	linesKept  = 5
)

// path is the PATH given to programs.
const path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Executor runs one program. It is safe for concurrent use; runs for
// different decisions may overlap.
type Executor struct {
	cfg respond.CommandConfig
}

var (
	_ respond.Executor = (*Executor)(nil)
	_ respond.Selector = (*Executor)(nil)
)

// New returns the executor for cfg, which respond.Config.Validate checked.
func New(cfg respond.CommandConfig) (*Executor, error) {
	if cfg.Name == "" || cfg.Path == "" {
		return nil, errors.New("command: name and path are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Executor{cfg: cfg}, nil
}

// Name implements respond.Executor.
func (e *Executor) Name() string { return e.cfg.Name }

// Handles implements respond.Selector, per the configured actions.
func (e *Executor) Handles(d *respond.Decision) bool { return respond.HandlesAction(e.cfg.Actions, d) }

// Apply implements respond.Executor.
func (e *Executor) Apply(ctx context.Context, d *respond.Decision) error {
	return e.run(ctx, respond.OpApply, d)
}

// Revoke implements respond.Executor.
func (e *Executor) Revoke(ctx context.Context, d *respond.Decision) error {
	return e.run(ctx, respond.OpRevoke, d)
}

func (e *Executor) run(ctx context.Context, op string, d *respond.Decision) error {
	input, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("command %s: encoding decision %s: %w", e.cfg.Name, d.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.cfg.Path, e.cfg.Args...)
	cmd.Stdin = bytes.NewReader(input)
	stderr := &tail{}
	cmd.Stderr = stderr
	cmd.Env = []string{path, "VIGIE_OP=" + op, "VIGIE_DECISION_ID=" + d.ID, "VIGIE_ACTION=" + d.Action,
		"VIGIE_SCOPE=" + d.Scope, "VIGIE_VALUE=" + d.Value}
	ownGroup(cmd)
	// Wait returns this long after the kill even if a grandchild that
	// escaped the group still holds standard error open.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if err == nil {
		return nil
	}
	what := fmt.Sprintf("command %s: %s decision %s", e.cfg.Name, op, d.ID)
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s: %w (%w)%s", what, cerr, err, stderr.lines())
	}
	return fmt.Errorf("%s: %w%s", what, err, stderr.lines())
}

// tail keeps the last stderrKept bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > stderrKept {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-stderrKept:]...)
	}
	return len(p), nil
}

// lines returns the last linesKept lines, as ": a | b", or "".
func (t *tail) lines() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ls := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	if len(ls) > linesKept {
		ls = ls[len(ls)-linesKept:]
	}
	s := strings.TrimSpace(strings.Join(ls, " | "))
	if s == "" {
		return ""
	}
	return ": " + s
}
