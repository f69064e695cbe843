package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/simulate"
	"github.com/vigie-sec/vigie/rules"
)

func newDemoCommand() *cobra.Command {
	var (
		data, listen string
		speed        float64
		seed         uint64
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a server on a fresh data folder with the breach simulator streaming into it",
		Long: `Start Vigie on the embedded store in a fresh data folder, with its starter
rules and every behaviour detector, and stream the breach simulator into it
as it unfolds: a week of an international court's logs in which an
intruder sprays passwords, gets in, moves laterally, stages and takes data
out, and turns logging off. Alerts, one incident and its scope report
appear within a minute (the simulated days pass --speed times faster than
real time).

It prints the addresses and an analyst's credentials. The server keeps
running after the simulation ends; stop it with Ctrl-C.`,
		Example: `  go run ./cmd/vigie demo
  vigie demo --data ./demo --listen 127.0.0.1:9090 --speed 3600`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return demo(cmd.Context(), cmd, data, listen, speed, seed)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "data folder (default: a new folder in the system's temporary folder)")
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "HTTP address of the API and the console")
	f.Float64Var(&speed, "speed", 14400, "simulated seconds per real second (14400: the week in 42 s)")
	f.Uint64Var(&seed, "seed", 1, "the simulation's seed")
	return cmd
}

// demoPassword makes the demo analyst's password: 20 random letters and
// digits.
func demoPassword() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:])), nil
}

func demo(ctx context.Context, cmd *cobra.Command, data, listen string, speed float64, seed uint64) error {
	out := cmd.OutOrStdout()
	if speed <= 0 {
		return fmt.Errorf("--speed must be positive, got %g", speed)
	}
	if data == "" {
		var err error
		if data, err = os.MkdirTemp("", "vigie-demo-"); err != nil {
			return err
		}
	} else if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
		return fmt.Errorf("--data %s is not empty: the demo needs a fresh folder (or none, for a temporary one)", data)
	}
	rulesDir := filepath.Join(data, "rules")
	if err := os.CopyFS(rulesDir, rules.FS); err != nil {
		return fmt.Errorf("writing the starter rules: %w", err)
	}
	sim, err := simulate.Generate(simulate.Config{Seed: seed})
	if err != nil {
		return err
	}
	cfg, err := loadConfig("")
	if err != nil {
		return err
	}
	cfg.Data, cfg.Listen = data, listen
	cfg.Detection.Rules = []string{rulesDir}
	cfg.Detection.Detectors = []string{"all"}
	password, err := demoPassword()
	if err != nil {
		return err
	}
	cfg.demoUsers = []demoUser{{name: "analyst", password: password, role: auth.RoleAnalyst}}
	ready := make(chan string, 1)
	cfg.ready = func(addr string) { ready <- addr }
	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- serve(serveCtx, cfg, cmd.ErrOrStderr()) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-served:
		return cmp.Or(err, errors.New("the server stopped before listening"))
	}
	token, err := os.ReadFile(filepath.Join(data, auth.TokenFile))
	if err != nil {
		return err
	}
	base := "http://" + addr
	fmt.Fprintf(out, "\nVigie demo\n  console:  %s/ui/  (user analyst, password %s)\n  API:      %s (token in %s)\n  data:     %s\n\n",
		base, password, base, filepath.Join(data, auth.TokenFile), data)
	client := &clientFlags{server: base}
	if err := playLive(ctx, out, sim, client, strings.TrimSpace(string(token)), speed, time.Time{}, false); err != nil && ctx.Err() == nil {
		stop()
		return errors.Join(err, <-served)
	}
	fmt.Fprintf(out, "\nThe simulated week has been sent. Try:\n  export VIGIE_SERVER=%s VIGIE_TOKEN=$(cat %s)\n  vigie incidents && vigie scope ID\nThe server keeps running; Ctrl-C stops it.\n",
		base, filepath.Join(data, auth.TokenFile))
	err = <-served
	if errors.Is(err, context.Canceled) || errors.Is(err, fs.ErrClosed) {
		return nil
	}
	return err
}
