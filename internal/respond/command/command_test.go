package command_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/respond/command"
	"github.com/vigie-sec/vigie/internal/respond/respondtest"
)

// script keeps one file per blocked value in its state folder, with the
// decision it was given; it fails when "broken" exists there, and when
// "hang" exists it starts a grandchild that writes its PID and sleeps.
const script = `#!/bin/sh
state="$1"
if [ -e "$state/broken" ]; then
	echo "connecting to the directory" >&2
	echo "ldap: server down" >&2
	exit 3
fi
if [ -e "$state/hang" ]; then
	sleep 60 &
	echo $! > "$state/grandchild"
	wait
fi
case "$VIGIE_OP" in
apply) cat > "$state/$VIGIE_VALUE" ;;
revoke) rm -f "$state/$VIGIE_VALUE" ;;
*) echo "bad op $VIGIE_OP" >&2; exit 2 ;;
esac
`

func newTarget(t *testing.T) (respondtest.Target, string) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "block.sh")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ex, err := command.New(respond.CommandConfig{Name: "fw-script", Path: path, Args: []string{state}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	touch := func(name string) func(t *testing.T) {
		return func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(state, name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return respondtest.Target{
		Executor: ex,
		Enforced: func(t *testing.T, d *respond.Decision) bool {
			_, err := os.Stat(filepath.Join(state, d.Value))
			return err == nil
		},
		Break: touch("broken"),
		Hang:  touch("hang"),
	}, state
}

func TestContract(t *testing.T) {
	respondtest.Run(t, func(t *testing.T) respondtest.Target {
		tg, _ := newTarget(t)
		return tg
	})
}

func TestDecisionOnStdin(t *testing.T) {
	tg, state := newTarget(t)
	d := respondtest.Decision("42", "198.51.100.7")
	if err := tg.Executor.Apply(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(state, "198.51.100.7"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("stdin was not JSON: %q", b)
	}
	if got["id"] != "42" || got["action"] != "block" || got["value"] != "198.51.100.7" {
		t.Errorf("decision on stdin %s", b)
	}
}

func TestExitStatusAndStderr(t *testing.T) {
	tg, _ := newTarget(t)
	tg.Break(t)
	err := tg.Executor.Apply(context.Background(), respondtest.Decision("5", "198.51.100.7"))
	want := "command fw-script: apply decision 5: exit status 3: connecting to the directory | ldap: server down"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	tg, state := newTarget(t)
	tg.Hang(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := tg.Executor.Apply(ctx, respondtest.Decision("6", "198.51.100.7"))
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("hung command: %v, want a deadline error", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("returned after %s", el)
	}
	b, err := os.ReadFile(filepath.Join(state, "grandchild"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		// A killed child stays a zombie until init reaps it; check its state.
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d still running after the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestActions(t *testing.T) {
	ex, err := command.New(respond.CommandConfig{Name: "ad", Path: "/bin/true", Actions: []string{"disable"}})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Handles(respondtest.Decision("1", "198.51.100.7")) {
		t.Error("a disable-only command handles a block")
	}
	if !ex.Handles(&respond.Decision{Action: "disable"}) {
		t.Error("a disable-only command does not handle a disable")
	}
}
