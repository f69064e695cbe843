package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// hayabusaRate is Hayabusa's published hunting speed (events/s), quoted,
// not measured here: 6.1 GB of EVTX with 3,633 rules on a laptop.
const hayabusaRate = 12_800

// huntRun is what one "vigie hunt" run reports.
type huntRun struct {
	records     int
	scanRate    float64       // records/s while reading and matching, from the summary
	load, total time.Duration // rule loading; the whole run as the summary says
	detections  int
	maxRSS      int64 // bytes
}

// runHunt measures vigie hunt end to end and writes the per-file results.
func runHunt(cfg config) error {
	fmt.Printf("machine: %s\n", machine())
	tmp, err := os.MkdirTemp("", "vigie-bench-hunt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "vigie")
	build := exec.Command("go", "build", "-o", bin, "./cmd/vigie")
	build.Dir = cfg.repo
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building cmd/vigie in %s: %w", cfg.repo, err)
	}

	attackDir := filepath.Join(cfg.shared, "evtx", "attack-samples")
	var files []string
	err = filepath.WalkDir(attackDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".evtx") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	// The .evtx files are named one by one: the folder also holds
	// LICENSE.GPL, which hunt would read as 553 lines of text.
	args := []string{"hunt", "--no-progress", "--json"}
	for _, p := range rulePaths(cfg.shared) {
		args = append(args, "--rules", p)
	}
	args = append(args, files...)
	fmt.Printf("vigie hunt --json over the %d .evtx files of evtx/attack-samples with the SigmaHQ folders (%s), %d rounds, output to /dev/null\n",
		len(files), strings.Join(sigmaFolders, ", "), cfg.rounds)

	var runs []huntRun
	for i := range cfg.rounds {
		r, err := huntOnce(bin, args, os.DevNull, tmp)
		if err != nil {
			return err
		}
		fmt.Printf("  run %d: %d records, %.0f records/s reading and matching, rules loaded in %s, %s in all, peak RSS %s, %d detections\n",
			i+1, r.records, r.scanRate, r.load.Round(time.Millisecond), r.total.Round(time.Millisecond), mib(uint64(r.maxRSS)), r.detections)
		runs = append(runs, r)
	}
	scan, whole, load, rss := make([]float64, len(runs)), make([]float64, len(runs)), make([]float64, len(runs)), make([]float64, len(runs))
	for i, r := range runs {
		scan[i] = r.scanRate
		whole[i] = float64(r.records) / r.total.Seconds()
		load[i] = r.load.Seconds()
		rss[i] = float64(r.maxRSS)
	}
	fmt.Printf("median: %.0f records/s reading and matching (%.1fx Hayabusa's published %d events/s, not measured here), %.0f records/s including rule loading (%.2fs), peak RSS %s\n",
		median(scan), median(scan)/hayabusaRate, hayabusaRate, median(whole), median(load), mib(uint64(median(rss))))

	// One more run, kept, for the results per file.
	out := filepath.Join(tmp, "hunt.json")
	if _, err := huntOnce(bin, args, out, tmp); err != nil {
		return err
	}
	return writeResults(cfg, attackDir, out)
}

// huntOnce runs vigie hunt with stdout to the file out, under
// /usr/bin/time -v when it exists, and reads its summary.
func huntOnce(bin string, args []string, out, tmp string) (huntRun, error) {
	var r huntRun
	stdout, err := os.Create(out)
	if err != nil {
		return r, err
	}
	defer stdout.Close()
	timeFile := filepath.Join(tmp, "time.txt")
	var cmd *exec.Cmd
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		cmd = exec.Command("/usr/bin/time", append([]string{"-v", "-o", timeFile, bin}, args...)...)
	} else {
		timeFile = ""
		cmd = exec.Command(bin, args...)
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("vigie hunt: %w\n%s", err, stderr.String())
	}
	if r, err = parseSummary(stderr.String()); err != nil {
		return r, err
	}
	if timeFile != "" {
		data, err := os.ReadFile(timeFile)
		if err != nil {
			return r, err
		}
		m := regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`).FindSubmatch(data)
		if m == nil {
			return r, errors.New("/usr/bin/time -v printed no maximum resident set size")
		}
		kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
		r.maxRSS = kb << 10
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	return r, nil
}

var (
	summaryRecords = regexp.MustCompile(`Records: (\d+)`)
	summaryTime    = regexp.MustCompile(`Time: (\S+): rules loaded in (\S+), records read and matched in (\S+) \((\d+) records/s\)`)
	summaryDetect  = regexp.MustCompile(`Detections: (\d+)`)
)

// parseSummary reads the summary vigie hunt prints on standard error.
func parseSummary(s string) (huntRun, error) {
	var r huntRun
	rec := summaryRecords.FindStringSubmatch(s)
	tm := summaryTime.FindStringSubmatch(s)
	det := summaryDetect.FindStringSubmatch(s)
	if rec == nil || tm == nil || det == nil {
		return r, fmt.Errorf("no summary in vigie hunt's output:\n%s", s)
	}
	r.records, _ = strconv.Atoi(rec[1])
	r.total, _ = time.ParseDuration(tm[1])
	r.load, _ = time.ParseDuration(tm[2])
	r.scanRate, _ = strconv.ParseFloat(tm[4], 64)
	r.detections, _ = strconv.Atoi(det[1])
	return r, nil
}

// fileResult is one line of results/attack-samples.tsv.
type fileResult struct {
	tactic     string
	records    int
	detections int
	rules      map[string]bool
}

// writeResults writes results/attack-samples.tsv from hunt's JSON output
// (out) and the record count of each file, and prints the coverage.
func writeResults(cfg config, attackDir, out string) error {
	samples, err := loadAttackSamples(attackDir)
	if err != nil {
		return err
	}
	byFile := map[string]*fileResult{}
	var damaged []string
	for _, s := range samples {
		byFile[s.rel] = &fileResult{tactic: s.tactic, records: len(s.events), rules: map[string]bool{}}
		if s.err != nil {
			damaged = append(damaged, s.rel)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var a struct {
			RuleID string   `json:"rule_id"`
			File   string   `json:"file"`
			Events []string `json:"events"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fmt.Errorf("reading hunt output: %w", err)
		}
		file := a.File
		if file == "" && len(a.Events) > 0 { // a correlation: the file of its first event
			file, _, _ = strings.Cut(a.Events[0], "#")
		}
		rel, err := filepath.Rel(attackDir, file)
		if err != nil || byFile[filepath.ToSlash(rel)] == nil {
			return fmt.Errorf("hunt output names %q, not an attack sample", file)
		}
		fr := byFile[filepath.ToSlash(rel)]
		fr.detections++
		fr.rules[a.RuleID] = true
	}
	if err := sc.Err(); err != nil {
		return err
	}

	var b strings.Builder
	b.WriteString("file\ttactic\trecords\tdetections\tdistinct_rules\n")
	names := make([]string, 0, len(byFile))
	for k := range byFile {
		names = append(names, k)
	}
	sort.Strings(names)
	type cover struct{ files, detected int }
	tactics := map[string]*cover{}
	var tacticNames []string
	missed := map[string][]string{}
	detected := 0
	for _, name := range names {
		fr := byFile[name]
		fmt.Fprintf(&b, "%s\t%s\t%d\t%d\t%d\n", name, fr.tactic, fr.records, fr.detections, len(fr.rules))
		c := tactics[fr.tactic]
		if c == nil {
			c = &cover{}
			tactics[fr.tactic] = c
			tacticNames = append(tacticNames, fr.tactic)
		}
		c.files++
		if fr.detections > 0 {
			c.detected++
			detected++
		} else {
			missed[fr.tactic] = append(missed[fr.tactic], strings.TrimSuffix(filepath.Base(name), ".evtx"))
		}
	}
	dir := cfg.results
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "attack-samples.tsv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s\n", path)
	fmt.Printf("files with at least one detection: %d of %d; read with damage: %d %v\n", detected, len(names), len(damaged), damaged)
	sort.Strings(tacticNames)
	for _, t := range tacticNames {
		fmt.Printf("  %-22s %3d of %3d\n", t, tactics[t].detected, tactics[t].files)
	}
	fmt.Printf("files without a detection, by tactic:\n")
	for _, t := range tacticNames {
		if len(missed[t]) > 0 {
			fmt.Printf("  %s: %s\n", t, strings.Join(missed[t], ", "))
		}
	}
	return nil
}

// machine describes the machine: CPUs and model.
func machine() string {
	return fmt.Sprintf("%d CPUs (%s)", runtime.NumCPU(), cpuModel())
}
