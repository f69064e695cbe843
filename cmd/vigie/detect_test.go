package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// The sample auth.log holds 20 SSH failures: 17 from 203.0.113.45 within
// two minutes and 3 from 192.0.2.200. testdata/rules/ssh.yml matches each
// failure (low) and correlates ten within ten minutes from one address
// (high, generate: true).

func TestHuntJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := runCLI(t, ctx, "hunt", "--rules", "testdata/rules", "--json", "testdata/sample/auth.log")
	if err != nil {
		t.Fatal(err)
	}
	var matches, correlations int
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var j detect.JSON
		if err := dec.Decode(&j); err != nil {
			t.Fatalf("decoding %q: %v", out, err)
		}
		switch j.Kind {
		case "match":
			matches++
			if j.File != "testdata/sample/auth.log" || j.RecordID == "" || j.Event["message"] == nil || j.Level != "low" {
				t.Errorf("match %+v lacks its file, record, event or level", j)
			}
		case "correlation":
			correlations++
			if j.Group["source.ip"] != "203.0.113.45" || len(j.Events) < 10 || j.Level != "high" {
				t.Errorf("correlation %+v: want group source.ip=203.0.113.45 with at least 10 events", j)
			}
		}
	}
	if matches != 20 || correlations != 1 {
		t.Errorf("hunt found %d matches and %d correlations, want 20 and 1", matches, correlations)
	}
	if _, err := runCLI(t, ctx, "hunt", "testdata/sample/auth.log"); err == nil || !strings.Contains(err.Error(), "--rules") {
		t.Errorf("hunt without rules: %v, want an error naming --rules", err)
	}
}

func TestHuntLevelAndCSV(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := runCLI(t, ctx, "hunt", "--rules", "testdata/rules", "--csv", "--level", "high", "testdata/sample/auth.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "timestamp,level,kind") || !strings.Contains(lines[1], ",high,correlation,") {
		t.Errorf("hunt --csv --level high printed %q, want a header and the one correlation", out)
	}
}

func TestRulesLint(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("title: broken\nlogsource: {product: windows}\ndetection:\n    sel:\n        Image|nosuchmodifier: x\n    condition: sel\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "mac.yml"), []byte("title: mac rule\nlogsource: {product: macos, category: process_creation}\ndetection:\n    sel: {Image: x}\n    condition: sel\n"), 0o600)
	ctx := context.Background()
	out, err := runCLI(t, ctx, "rules", "lint", "--json", "testdata/rules", dir)
	if err == nil || !strings.Contains(err.Error(), "1 invalid") {
		t.Fatalf("lint with one invalid rule: %v, want an error counting it", err)
	}
	byTitle := map[string]detect.RuleReport{}
	var invalid []detect.RuleReport
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r detect.RuleReport
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("decoding %q: %v", out, err)
		}
		byTitle[r.Title] = r
		if r.Status == detect.StatusInvalid {
			invalid = append(invalid, r)
		}
	}
	for _, title := range []string{"SSH authentication failure", "SSH brute force from one address"} {
		if byTitle[title].Status != detect.StatusOK {
			t.Errorf("%s: %+v, want ok", title, byTitle[title])
		}
	}
	if r := byTitle["mac rule"]; r.Status != detect.StatusUnsupported || !strings.Contains(r.Reason, "macos") {
		t.Errorf("mac rule: %+v, want unsupported for its log source", r)
	}
	if len(invalid) != 1 || !strings.Contains(invalid[0].Reason, "bad.yml:5:") || !strings.Contains(invalid[0].Reason, "nosuchmodifier") {
		t.Errorf("invalid = %+v, want bad.yml:5:… naming the modifier", invalid)
	}
}

func TestRulesTestCommand(t *testing.T) {
	ctx := context.Background()
	out, err := runCLI(t, ctx, "rules", "test", "../../internal/detect/testdata")
	if err != nil || !strings.Contains(out, "0 failed") {
		t.Fatalf("rules test: %v\n%s", err, out)
	}
	// A case whose expectation is wrong fails, showing both sides.
	b, err := os.ReadFile("../../internal/detect/testdata/windows_logon_guessing.txtar")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.txtar")
	os.WriteFile(bad, []byte(strings.Replace(string(b), " 5\n", " 4\n", 1)), 0o600)
	out, err = runCLI(t, ctx, "rules", "test", bad)
	if err == nil || !strings.Contains(out, "FAIL") || !strings.Contains(out, "want:") {
		t.Errorf("rules test of a wrong case: %v\n%s", err, out)
	}
}

func TestRulesLogsources(t *testing.T) {
	out, err := runCLI(t, context.Background(), "rules", "logsources")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "process_creation") || !strings.Contains(out, "Image→NewProcessName") {
		t.Errorf("rules logsources does not show process_creation with 4688's renames:\n%s", out)
	}
}

// TestServeDetectsLive runs the server with rules, ingests the sample and
// expects the alerts through the API and "vigie alerts".
func TestServeDetectsLive(t *testing.T) {
	dir := t.TempDir()
	// A short lateness, so that correlation windows close one second
	// after the events stop rather than a minute.
	config := filepath.Join(dir, "vigie.yaml")
	os.WriteFile(config, []byte("detection:\n  lateness: 1s\n"), 0o600)
	s := startServer(t, dir, "--rules", "testdata/rules", "--config", config)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := runCLI(t, ctx, "ingest", "--server", s.url, "--token", s.token, "testdata/sample/auth.log"); err != nil {
		t.Fatal(err)
	}
	var got api.AlertsResponse
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		out, err := runCLI(t, ctx, "alerts", "--server", s.url, "--token", s.token, "--json", "--limit", "100")
		if err != nil {
			t.Fatal(err)
		}
		got.Alerts = got.Alerts[:0]
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var a api.Alert
			if err := dec.Decode(&a); err != nil {
				t.Fatal(err)
			}
			got.Alerts = append(got.Alerts, a)
		}
		if len(got.Alerts) >= 21 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var matches, correlations int
	for _, a := range got.Alerts {
		if a.Kind == "correlation" {
			correlations++
			if a.Group["source.ip"] != "203.0.113.45" || a.Level != "high" {
				t.Errorf("correlation alert %+v", a)
			}
		} else {
			matches++
			if len(a.Evidence) != 1 || !contains(a.Techniques, "T1110.001") {
				t.Errorf("match alert %+v lacks evidence or technique", a)
			}
		}
	}
	if matches != 20 || correlations != 1 {
		t.Fatalf("server raised %d matches and %d correlations, want 20 and 1\n%s", matches, correlations, s.stderr.String())
	}
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "2 rules: 2 ok") {
		t.Errorf("serve did not print the rule summary at start:\n%s", s.stderr.String())
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestBundledRules checks the starter rules in rules/: they all load,
// their txtar cases pass, and on real data they find what the ground
// truth says (../shared/data/README.md).
func TestBundledRules(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := runCLI(t, ctx, "rules", "lint", "--quiet", "../../rules"); err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("lint of rules/: %v\n%s", err, out)
	}
	if out, err := runCLI(t, ctx, "rules", "test", "--rules", "../../rules", "../../rules/tests"); err != nil {
		t.Fatalf("rules test: %v\n%s", err, out)
	}
	hunt := func(path string) []detect.JSON {
		t.Helper()
		out, err := runCLI(t, ctx, "hunt", "--no-progress", "--json", "--rules", "../../rules", path)
		if err != nil {
			t.Fatal(err)
		}
		var all []detect.JSON
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var j detect.JSON
			if err := dec.Decode(&j); err != nil {
				t.Fatal(err)
			}
			all = append(all, j)
		}
		return all
	}

	// OpenSSH_2k: the five brute-force sources of the ground truth.
	bruteforce := map[string]bool{}
	for _, j := range hunt(shareddata.Path(t, "linux/OpenSSH_2k.log")) {
		if j.RuleID == "06288e4b-00b8-4ff9-8c60-688ef44cb6bb" {
			bruteforce[j.Group["source.ip"]] = true
		}
	}
	for _, ip := range []string{"183.62.140.253", "187.141.143.180", "103.99.0.122", "112.95.230.3", "5.188.10.180"} {
		if !bruteforce[ip] {
			t.Errorf("OpenSSH_2k: no brute-force alert for %s (alerts for %v)", ip, bruteforce)
		}
	}
	if bruteforce[""] {
		t.Error("OpenSSH_2k: a brute-force alert groups failures without an address")
	}

	// Stratus CloudTrail: the three trail-tampering techniques, the three
	// shares with another account, and the four credential-access
	// techniques that read secrets, parameters or instance passwords (one
	// correlation per detonation, each by its own identity); nothing else.
	files := map[string]int{}
	harvesters := map[string]bool{}
	for _, j := range hunt(shareddata.Path(t, "cloudtrail/stratus")) {
		if j.Kind == detect.KindCorrelation {
			harvesters[j.Group["userIdentity.arn"]] = true
			continue
		}
		files[filepath.Base(j.File)]++
	}
	want := map[string]int{"aws.defense-evasion.cloudtrail-delete.json": 1,
		"aws.defense-evasion.cloudtrail-event-selectors.json": 1, "aws.defense-evasion.cloudtrail-stop.json": 1,
		"aws.exfiltration.ec2-share-ami.json": 1, "aws.exfiltration.ec2-share-ebs-snapshot.json": 1,
		"aws.exfiltration.rds-share-snapshot.json": 1}
	if len(files) != len(want) {
		t.Errorf("CloudTrail detections by file = %v, want %v", files, want)
	}
	for f, n := range want {
		if files[f] != n {
			t.Errorf("%s: %d detections, want %d", f, files[f], n)
		}
	}
	// The identities of the detonations of
	// aws.credential-access.{ec2-get-password-data,
	// secretsmanager-batch-retrieve-secrets, secretsmanager-retrieve-secrets,
	// ssm-retrieve-securestring-parameters}.json.
	for _, arn := range []string{
		"arn:aws:sts::457448411975:assumed-role/stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000",
		"arn:aws:iam::165109126369:user/christophe", "arn:aws:iam::903144391865:user/christophe",
		"arn:aws:iam::933175858973:user/christophe"} {
		if !harvesters[arn] {
			t.Errorf("no bulk secret retrieval alert for %s", arn)
		}
	}
	if len(harvesters) != 4 {
		t.Errorf("bulk secret retrieval alerts for %d identities, want 4: %v", len(harvesters), harvesters)
	}

	// EVTX attack samples: the two files named for a cleared log are
	// caught, and so are the 24 others that begin with the 1102 of the
	// researcher who cleared the log before recording the attack.
	cleared := map[string]bool{}
	for _, j := range hunt(shareddata.Path(t, "evtx/attack-samples")) {
		if j.RuleID == "28175995-2420-4bbc-85ab-cca94825ab17" {
			cleared[filepath.Base(j.File)] = true
		}
	}
	for _, f := range []string{"DE_1102_security_log_cleared.evtx", "DE_104_system_log_cleared.evtx"} {
		if !cleared[f] {
			t.Errorf("%s: no log-cleared alert", f)
		}
	}
	if len(cleared) != 26 {
		t.Errorf("log cleared found in %d files, want 26", len(cleared))
	}
}

// TestServeReloadsRules adds a rule file while the server runs: events
// stored after the reload are matched by the new rule without a restart.
func TestServeReloadsRules(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.Mkdir(rules, 0o700)
	b, err := os.ReadFile("testdata/rules/ssh.yml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(rules, "ssh.yml"), b, 0o600)
	config := filepath.Join(dir, "vigie.yaml")
	os.WriteFile(config, []byte("detection:\n  reload_every: 100ms\n  lateness: 1s\n"), 0o600)
	s := startServer(t, filepath.Join(dir, "data"), "--rules", rules, "--config", config)

	os.WriteFile(filepath.Join(rules, "sudo.yml"), []byte(`title: Sudo to root
id: 3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b
logsource: {product: linux, service: sudo}
detection:
    keywords: ['COMMAND=']
    condition: keywords
level: medium
`), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.stderr.String(), "rules reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload logged:\n%s", s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	log := "Mar  1 10:00:00 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow\n"
	f := filepath.Join(dir, "sudo.log")
	os.WriteFile(f, []byte(log), 0o600)
	if _, err := runCLI(t, ctx, "ingest", "--server", s.url, "--token", s.token, f); err != nil {
		t.Fatal(err)
	}
	for {
		out, err := runCLI(t, ctx, "alerts", "--server", s.url, "--token", s.token, "rule.name:\"Sudo to root\"")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "Sudo to root") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert from the rule added at run time:\n%s", s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop(t)
}

// TestHuntDetectors runs behaviour detectors offline: on OpenSSH_2k the
// brute-force detector names the ground truth's top source, in the JSON
// shape of a Sigma detection with kind behaviour.
func TestHuntDetectors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := runCLI(t, ctx, "hunt", "--no-progress", "--json", "--detectors", "bruteforce,spray", shareddata.Path(t, "linux/OpenSSH_2k.log"))
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var j struct {
			Kind, Detector, Title, Level string
			SourceIP                     any            `json:"source.ip"`
			Why                          map[string]any `json:"why"`
			Evidence                     []string       `json:"evidence"`
		}
		if err := dec.Decode(&j); err != nil {
			t.Fatal(err)
		}
		if j.Kind != "behaviour" || j.Title == "" || j.Why["text"] == nil || len(j.Evidence) == 0 {
			t.Errorf("behaviour line lacks kind, title, why or evidence: %+v", j)
		}
		if ip, ok := j.SourceIP.(string); ok && j.Detector == "bruteforce" {
			sources[ip] = true
		}
	}
	for _, ip := range []string{"183.62.140.253", "187.141.143.180", "103.99.0.122"} {
		if !sources[ip] {
			t.Errorf("no brute-force finding from %s (found %v)", ip, sources)
		}
	}
	if _, err := runCLI(t, ctx, "hunt", "--detectors", "travel", "testdata/sample/auth.log"); err == nil || !strings.Contains(err.Error(), "GeoIP") {
		t.Errorf("travel without a GeoIP database: %v, want an error saying so", err)
	}
	if _, err := runCLI(t, ctx, "hunt", "--detectors", "telepathy", "testdata/sample/auth.log"); err == nil || !strings.Contains(err.Error(), "bruteforce") {
		t.Errorf("unknown detector: %v, want an error listing the detectors", err)
	}
}

// TestServeBehaviour runs the detectors live: the sample's brute force
// becomes a behaviour alert listed by vigie alerts.
func TestServeBehaviour(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "--detectors", "all")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := runCLI(t, ctx, "ingest", "--server", s.url, "--token", s.token, "testdata/sample/auth.log"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := runCLI(t, ctx, "alerts", "--server", s.url, "--token", s.token, "--json", "rule.ruleset:behave")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, `"rule_id":"vigie.behave.bruteforce"`) && strings.Contains(out, "203.0.113.45") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no brute-force behaviour alert for 203.0.113.45:\n%s\n%s", out, s.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "without a GeoIP database: not travel, newplace") {
		t.Errorf("serve did not say which detectors need a GeoIP database:\n%s", s.stderr.String())
	}
}

func TestBehaviourConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("detection:\n  detectors: [bruteforce]\n  behaviour:\n    bruteforce: {failures: 20, window: 5m}\n"), 0o600)
	cfg, err := loadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Detection.Behaviour
	if b.BruteForce.Failures != 20 || b.BruteForce.Window != 5*time.Minute {
		t.Errorf("bruteforce config = %+v, want failures 20 in 5m", b.BruteForce)
	}
	if def := catalog.DefaultConfig(); b.Spray != def.Spray || b.BruteForce.SlowFailures != def.BruteForce.SlowFailures {
		t.Errorf("keys left out lost their defaults: spray %+v, slow failures %d", b.Spray, b.BruteForce.SlowFailures)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("detection:\n  behaviour:\n    bruteforce:\n      failurez: 20\n"), 0o600)
	if _, err := loadConfig(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml:4") {
		t.Errorf("unknown detector key: %v, want an error at bad.yaml:4", err)
	}
	invalid := filepath.Join(dir, "invalid.yaml")
	os.WriteFile(invalid, []byte("detection:\n  detectors: [bruteforce]\n  behaviour:\n    bruteforce: {failures: -3}\n"), 0o600)
	cfg, err = loadConfig(invalid)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := newBehaviour(&cfg.Detection); err == nil || !strings.Contains(err.Error(), "detection.behaviour.bruteforce") {
		t.Errorf("negative failures: %v, want an error naming detection.behaviour.bruteforce", err)
	}
}
