package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/behave"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/intel"
	"github.com/vigie-sec/vigie/internal/retro"
	"github.com/vigie-sec/vigie/internal/store"
)

// hunts runs retro-hunts for the API: rules sent by the client, the
// server's own rules, behaviour detectors, or new indicators.
type hunts struct {
	*retro.Manager
	cfg   *serveConfig
	live  *liveDetection
	audit store.Auditor
	log   *slog.Logger
}

// maxHuntRules bounds the rule files of one hunt request.
const maxHuntRules = 10000

func (h *hunts) Start(ctx context.Context, req api.HuntRequest, who string) (*retro.Job, error) {
	now := time.Now()
	from, _ := api.ParseTime(req.From, now)
	to, _ := api.ParseTime(req.To, now)
	spec := retro.Spec{Name: req.Name, From: from, To: to, RequestedBy: who}
	switch {
	case req.ServerRules && len(req.Rules) > 0:
		return nil, fmt.Errorf("%w: send rules or server_rules, not both", api.ErrBadRules)
	case req.ServerRules:
		if len(h.cfg.Detection.Rules) == 0 {
			return nil, fmt.Errorf("%w: this server runs no rules (detection.rules): send them with the hunt", api.ErrBadRules)
		}
		rs, err := h.live.load() // as the files are now
		if err != nil {
			return nil, fmt.Errorf("%w: %v", api.ErrBadRules, err)
		}
		spec.Rules = rs
	case len(req.Rules) > 0:
		rs, err := loadRuleFiles(h.cfg, req.Rules)
		if err != nil {
			return nil, err
		}
		spec.Rules = rs
	}
	if len(req.Detectors) > 0 {
		dc := h.cfg.Detection
		dc.Detectors = req.Detectors
		if _, _, err := catalog.Build(dc.Detectors, dc.GeoIP, dc.GeoIPASN, &dc.Behaviour); err != nil {
			return nil, fmt.Errorf("%w: %v", retro.ErrInvalidSpec, err)
		}
		spec.Behaviour = func() *behave.Set {
			ds, _, _ := catalog.Build(dc.Detectors, dc.GeoIP, dc.GeoIPASN, &dc.Behaviour)
			return behave.NewSet(ds...)
		}
	}
	job, err := h.Manager.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	h.record(ctx, who, "hunt.start", job, map[string]any{"name": req.Name, "rules": len(req.Rules),
		"server_rules": req.ServerRules, "detectors": req.Detectors, "from": req.From, "to": req.To})
	return job, nil
}

func (h *hunts) record(ctx context.Context, who, action string, job *retro.Job, detail any) {
	b, _ := json.Marshal(detail)
	if err := h.audit.AppendAudit(ctx, &store.AuditEntry{Actor: who, Action: action, Target: "hunt/" + job.ID, Detail: b}); err != nil {
		h.log.Error("audit log", "action", action, "err", err)
	}
}

// loadRuleFiles compiles rule files sent in a request, as the server's
// detection settings (log sources, placeholders) would compile them.
// They are written to a temporary folder under their base names so that
// errors name the file the user sent.
func loadRuleFiles(cfg *serveConfig, files []api.RuleFile) (*detect.RuleSet, error) {
	if len(files) > maxHuntRules {
		return nil, fmt.Errorf("%w: %d rule files, more than %d", api.ErrBadRules, len(files), maxHuntRules)
	}
	dir, err := os.MkdirTemp("", "vigie-hunt-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	seen := map[string]bool{}
	for i, f := range files {
		name := filepath.Base(filepath.Clean("/" + f.Name))
		if name == "/" || name == "." || !strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".yaml") {
			name = fmt.Sprintf("rule-%d.yml", i+1)
		}
		if seen[name] {
			name = fmt.Sprintf("%d-%s", i+1, name)
		}
		seen[name] = true
		if err := os.WriteFile(filepath.Join(dir, name), []byte(f.YAML), 0o600); err != nil {
			return nil, err
		}
	}
	d := &liveDetection{cfg: &serveConfig{Detection: cfg.Detection}}
	d.cfg.Detection.Rules = []string{dir}
	rs, err := d.load()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", api.ErrBadRules, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	if n := invalidRules(rs); n != "" {
		return nil, fmt.Errorf("%w: %s", api.ErrBadRules, strings.ReplaceAll(n, dir+string(filepath.Separator), ""))
	}
	return rs, nil
}

// invalidRules lists the rules that did not parse, so that a hunt is not
// run with half its rules.
func invalidRules(rs *detect.RuleSet) string {
	var bad []string
	for _, r := range rs.Reports {
		if r.Status == detect.StatusInvalid {
			msg := r.Reason
			if !strings.HasPrefix(msg, r.File) {
				msg = fmt.Sprintf("%s:%d: %s", r.File, r.Line, msg)
			}
			bad = append(bad, msg)
		}
	}
	return strings.Join(bad, "; ")
}

// intelService keeps the indicators, the live IOC detector's matcher, and
// retro-matches new indicators over history.
type intelService struct {
	store    *intel.Store
	detector *intel.Detector
	hunts    *retro.Manager
	audit    store.Auditor
	log      *slog.Logger
}

func (s *intelService) Import(ctx context.Context, rep *intel.ImportReport, who string) (*api.ImportResult, error) {
	added, updated, err := s.store.Import(ctx, rep.Indicators)
	if err != nil {
		return nil, err
	}
	res := &api.ImportResult{Added: added, Updated: updated, Skipped: rep.Skipped}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]any{"added": added, "updated": updated, "skipped": len(rep.Skipped), "indicators": len(rep.Indicators)})
	if err := s.audit.AppendAudit(ctx, &store.AuditEntry{Actor: who, Action: "intel.import", Target: "intel", Detail: detail}); err != nil {
		s.log.Error("audit log", "err", err)
	}
	if added+updated > 0 {
		// Match the new indicators over the stored history: the hunt's
		// detector holds only them.
		m := intel.Compile(rep.Indicators)
		job, err := s.hunts.Start(ctx, retro.Spec{Name: fmt.Sprintf("indicators: %d new or updated", added+updated),
			RequestedBy: who, Behaviour: func() *behave.Set { return behave.NewSet(intel.NewDetector(m)) }})
		if err != nil {
			s.log.Warn("indicators imported but not matched over history", "err", err)
		} else {
			res.Hunt = job
		}
	}
	return res, nil
}

// reload gives the live detector the stored indicators.
func (s *intelService) reload(ctx context.Context) error {
	m, err := s.store.Matcher(ctx)
	if err != nil {
		return err
	}
	s.detector.Swap(m)
	return nil
}

func (s *intelService) List(ctx context.Context) ([]intel.Indicator, error) { return s.store.List(ctx) }

func (s *intelService) Delete(ctx context.Context, id, who string) error {
	if err := s.store.Delete(ctx, id); err != nil {
		return err
	}
	if err := s.audit.AppendAudit(ctx, &store.AuditEntry{Actor: who, Action: "intel.delete", Target: "intel/" + id}); err != nil {
		s.log.Error("audit log", "err", err)
	}
	return s.reload(ctx)
}

// huntOnServer sends rule files to a server as a retro-hunt, follows its
// progress until it ends, and stops it on Ctrl-C.
func huntOnServer(cmd *cobra.Command, rm *remote, name string, rulePaths, detectors []string, from, to string) error {
	ctx := cmd.Context()
	req := api.HuntRequest{Name: name, Detectors: detectors, From: from, To: to}
	for _, p := range rulePaths {
		err := filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !strings.HasSuffix(path, ".yml") && !strings.HasSuffix(path, ".yaml") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			req.Rules = append(req.Rules, api.RuleFile{Name: filepath.Base(path), YAML: string(b)})
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading rules: %w", err)
		}
	}
	if len(req.Rules) == 0 && len(detectors) == 0 {
		return errors.New("nothing to hunt with: pass --rules DIR or --detectors")
	}
	var job retro.Job
	if err := rm.call(ctx, "POST", "/api/v1/hunts", req, &job); err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	fmt.Fprintf(stderr, "vigie hunt: hunt %s started on the server with %d rule files\n", job.ID, len(req.Rules))
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for job.State == retro.Running {
		select {
		case <-ctx.Done():
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := rm.call(stopCtx, "DELETE", "/api/v1/hunts/"+job.ID, nil, &job)
			cancel()
			if err != nil {
				return fmt.Errorf("stopping hunt %s: %w", job.ID, err)
			}
			fmt.Fprintf(stderr, "\nvigie hunt: hunt %s stopped; its alerts so far are kept\n", job.ID)
			return ctx.Err()
		case <-tick.C:
		}
		if err := rm.call(ctx, "GET", "/api/v1/hunts/"+job.ID, nil, &job); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "\r%5.1f%%  %d events read, %d in range, %d alerts", 100*job.Progress(), job.Scanned, job.Matched, job.Alerts)
	}
	fmt.Fprintln(stderr)
	out := cmd.OutOrStdout()
	return rm.print(out, job, func() {
		fmt.Fprintf(out, "hunt %s %s: %d events read, %d in range, %d alerts", job.ID, job.State, job.Scanned, job.Matched, job.Alerts)
		if job.Error != "" {
			fmt.Fprintf(out, " (%s)", job.Error)
		}
		fmt.Fprintf(out, "\nlist them with: vigie alerts 'vigie.hunt.id:%s'\n", job.ID)
	})
}
