package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// liveDetection runs the configured rules on every stored event and
// reloads them when their files change.
type liveDetection struct {
	cfg   *serveConfig
	live  *detect.Live
	rules *detect.RuleSet // as loaded at start
	// current is the rule set in force, replaced on reload.
	current atomic.Pointer[detect.RuleSet]
	log     *slog.Logger
	// fingerprint identifies the rule files as last loaded.
	fingerprint [32]byte
	// switches, when set, says which rules analysts turned off.
	switches *ruleSwitches
}

func newLiveDetection(cfg *serveConfig, st detect.LiveStore, log *slog.Logger, switches *ruleSwitches,
	onAlerts func(context.Context, []*event.Event), extra ...behave.Detector) (*liveDetection, error) {
	d := &liveDetection{cfg: cfg, log: log, switches: switches}
	rs, err := d.load()
	if err != nil {
		return nil, err
	}
	d.rules = rs
	d.current.Store(rs)
	d.fingerprint, _ = d.fingerprintRules()
	behaviour, note, err := newBehaviour(&cfg.Detection, extra...)
	if err != nil {
		return nil, err
	}
	if note != "" {
		log.Info("behaviour detection", "detectors", note)
	}
	d.live, err = detect.NewLive(rs, detect.LiveConfig{
		Store:     st,
		Behaviour: behaviour,
		StatePath: filepath.Join(cfg.Data, "detection.state"),
		IdleAfter: cmp.Or(time.Duration(cfg.Detection.Lateness), time.Minute),
		OnAlerts:  onAlerts,
		Logger:    log,
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *liveDetection) load() (*detect.RuleSet, error) {
	dc := d.cfg.Detection
	c := detect.Config{Placeholders: dc.Placeholders}
	if d.switches != nil {
		disabled, err := d.switches.Disabled(context.Background())
		if err != nil {
			return nil, fmt.Errorf("reading the rules turned off: %w", err)
		}
		c.Disabled = disabled
	}
	c.Correlation.Lateness = cmp.Or(time.Duration(dc.Lateness), time.Minute)
	c.Correlation.MaxGroups = cmp.Or(dc.MaxGroups, 100_000)
	if dc.Logsources != "" {
		m, err := loadLogsources(dc.Logsources)
		if err != nil {
			return nil, err
		}
		c.Sources = m
	}
	if len(dc.Rules) == 0 {
		return detect.Compile(c, nil), nil
	}
	rs, err := detect.Load(c, dc.Rules...)
	if err != nil {
		return nil, fmt.Errorf("detection rules: %w", err)
	}
	if len(rs.Reports) == 0 {
		return nil, fmt.Errorf("detection rules: no Sigma rules (*.yml) in %v", dc.Rules)
	}
	return rs, nil
}

// reload loads the rules again and gives them to live detection.
func (d *liveDetection) reload() error {
	rs, err := d.load()
	if err != nil {
		return err
	}
	d.live.Reload(rs)
	d.current.Store(rs)
	return nil
}

// knows reports whether a rule of that ID is loaded, enabled or not.
func (d *liveDetection) knows(id string) bool {
	for _, r := range d.current.Load().Reports {
		if r.ID == id {
			return true
		}
	}
	return false
}

// fingerprintRules hashes the names, sizes and modification times of the
// rule files and the log source file.
func (d *liveDetection) fingerprintRules() ([32]byte, error) {
	h := sha256.New()
	paths := append([]string{}, d.cfg.Detection.Rules...)
	if d.cfg.Detection.Logsources != "" {
		paths = append(paths, d.cfg.Detection.Logsources)
	}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if info, err := e.Info(); err == nil && !e.IsDir() {
				fmt.Fprintf(h, "%s\x00%d\x00%d\n", path, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
		if err != nil {
			return [32]byte{}, err
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// run runs detection until ctx ends, and checks the rule files for
// changes until reloadCtx ends.
func (d *liveDetection) run(ctx, reloadCtx context.Context) {
	go d.watch(reloadCtx)
	if err := d.live.Run(ctx); err != nil {
		d.log.Error("live detection stopped", "err", err)
	}
}

func (d *liveDetection) watch(ctx context.Context) {
	t := time.NewTicker(cmp.Or(time.Duration(d.cfg.Detection.ReloadEvery), 10*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fp, err := d.fingerprintRules()
		if err != nil {
			if !os.IsNotExist(err) {
				d.log.Warn("checking rule files", "err", err)
			}
			continue
		}
		if fp == d.fingerprint {
			continue
		}
		rs, err := d.load()
		if err != nil {
			d.log.Error("rules changed but do not load; keeping the previous rules", "err", err)
			d.fingerprint = fp
			continue
		}
		d.fingerprint = fp
		d.live.Reload(rs)
		d.current.Store(rs)
	}
}
