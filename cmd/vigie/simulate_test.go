package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/simulate"
)

func TestSimulateFiles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	out, err := runCLI(t, ctx, "simulate", "--out", dir, "--users", "10", "--seed", "9", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var truth simulate.Truth
	if err := json.Unmarshal([]byte(out), &truth); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if truth.Seed != 9 || truth.Users != 10 || truth.Labels == 0 {
		t.Errorf("truth: seed %d, users %d, %d labels", truth.Seed, truth.Users, truth.Labels)
	}
	for _, name := range simulate.FileNames() {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if out, err := runCLI(t, ctx, "simulate"); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("simulate without --out or --live: %v\n%s", err, out)
	}
	if _, err := runCLI(t, ctx, "simulate", "--out", dir, "--days", "3"); err == nil {
		t.Error("simulate --days 3: no error")
	}
}

// TestSimulateLive replays a simulation to a server as fast as it takes
// it: every record is stored, none malformed.
func TestSimulateLive(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := runCLI(t, ctx, "simulate", "--live", "--server", s.url, "--token", s.token, "--users", "10", "--speed", "1e9", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var res struct{ Records, Labelled int }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	sim, err := simulate.Generate(simulate.Config{Seed: 1, Users: 10})
	if err != nil {
		t.Fatal(err)
	}
	var want int
	for _, f := range sim.Files() {
		want += f.Records
	}
	if res.Records != want || res.Labelled != len(sim.Labels()) {
		t.Errorf("sent %d records, %d labelled; want %d and %d", res.Records, res.Labelled, want, len(sim.Labels()))
	}
	if n := s.count(t, "*"); n != int64(want) {
		t.Errorf("server stored %d events, want %d", n, want)
	}
	if n := s.count(t, "event.kind:pipeline_error"); n != 0 {
		t.Errorf("%d malformed events", n)
	}
	if n := s.count(t, "eventName:StopLogging"); n != 1 {
		t.Errorf("%d StopLogging events, want 1", n)
	}
}
