package sqlite

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// crashChild makes the test binary the child process of TestCrash: it
// appends batches to the store at the given path, forever, and prints the
// last ID of every batch Append acknowledged.
var crashChild = flag.String("crashchild", "", "internal: run as TestCrash's child, appending to this store")

// TestCrash kills a process with SIGKILL while it appends, then checks
// that every batch Append acknowledged before the kill is in the store,
// whole, and that the store and its indexes are consistent.
func TestCrash(t *testing.T) {
	if *crashChild != "" {
		runCrashChild(*crashChild)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "events.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-crashchild="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var acked int64
	for n := 0; n < 30 && lines.Scan(); n++ {
		id, err := strconv.ParseInt(strings.TrimPrefix(lines.Text(), "acked "), 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", lines.Text())
		}
		acked = id
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if acked == 0 {
		t.Fatal("the child acknowledged no batch")
	}

	s, err := Open(path, Config{})
	if err != nil {
		t.Fatalf("Open after the crash: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	n, err := s.Count(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	// Batches are whole: the count is a multiple of the batch size, and
	// IDs run from 1 without gaps.
	if n < acked || n%crashBatch != 0 {
		t.Errorf("after the crash, %d events are stored; want whole batches, at least the %d acknowledged", n, acked)
	}
	if _, err := s.Get(ctx, event.ID(acked)); err != nil {
		t.Errorf("Get(%d), the last acknowledged event: %v", acked, err)
	}
	// The terms index agrees with the events table.
	g := newGenerator(9)
	var want int64
	for range n {
		if u, _ := g.next().Get(event.UserName); u == genUser(1) {
			want++
		}
	}
	if got, err := s.Count(ctx, store.Query{Expr: mustParse(t, "user.name:"+genUser(1))}); err != nil || got != want {
		t.Errorf("after the crash, Count(user.name:%s) = %d, %v; want %d", genUser(1), got, err, want)
	}
	checkIntegrity(t, s)
	mustAppend(t, s, newGenerator(10).batch(10))
	t.Logf("killed after %d acknowledged events; %d stored", acked, n)
}

const crashBatch = 500

func runCrashChild(path string) {
	s, err := Open(path, Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	g := newGenerator(9)
	for {
		batch := g.batch(crashBatch)
		if err := s.Append(context.Background(), batch); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\n", batch[len(batch)-1].ID)
	}
}
