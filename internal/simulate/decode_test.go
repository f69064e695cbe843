package simulate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

func readFile(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decoderFor returns Vigie's decoder of an event file, skipping the test
// when the format is one whose decoder is not registered yet.
func decoderFor(t *testing.T, reg *detect.Registry, spec fileSpec) decode.Decoder {
	t.Helper()
	d, ok := reg.ByName(spec.format)
	if !ok {
		switch spec.format {
		case FormatEntra, FormatM365:
			t.Skipf("%s: the %s decoder is not registered in internal/decode/detect yet", spec.name, spec.format)
		}
		t.Fatalf("%s: no decoder named %q", spec.name, spec.format)
	}
	return d
}

// TestDecodes decodes every event file with Vigie's registry: the format
// detected from the content is the one intended, every record becomes one
// well-formed event with the time of the record.
func TestDecodes(t *testing.T) {
	sim := generated(t)
	files := contents(t, sim)
	reg := detect.New(detect.Config{})
	for f, spec := range fileSpecs {
		t.Run(spec.name, func(t *testing.T) {
			dec := decoderFor(t, reg, spec)
			data := files[spec.name]
			if got := reg.Detect(data[:min(len(data), 16<<10)], spec.name); got != spec.format {
				t.Errorf("Detect = %q, want %q", got, spec.format)
			}
			var sink decode.Collect
			if err := dec.Decode(bytes.NewReader(data), &sink); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(sink.Rejected) > 0 {
				t.Errorf("rejected: %v", sink.Rejected)
			}
			recs := sim.files[f]
			if len(sink.Events) != len(recs) {
				t.Fatalf("%d events, %d records", len(sink.Events), len(recs))
			}
			for i, e := range sink.Events {
				if e.Kind == event.KindPipelineError {
					t.Fatalf("record %d malformed: %v\n%s", i, e.Fields, e.Raw)
				}
				want := recs[i].t
				got := e.Time
				if spec.format == FormatSyslog {
					// No year in the file: compare the rest.
					got = got.AddDate(want.Year()-got.Year(), 0, 0)
				}
				if !got.Equal(want) {
					t.Fatalf("record %d: time %s, want %s\n%s", i, e.Time, want, e.Raw)
				}
			}
			checkFields(t, spec, sink.Events)
		})
	}
}

// checkFields checks that the ECS fields detectors read are there.
func checkFields(t *testing.T, spec fileSpec, events []*event.Event) {
	t.Helper()
	var need []string
	switch spec.format {
	case FormatWinJSON:
		need = []string{event.EventCode, event.HostName, "EventID", "Channel"}
	case FormatZeek:
		need = []string{event.SourceIP, event.DestinationIP}
	case FormatCloudTrail:
		need = []string{event.EventAction, event.EventProvider, event.CloudAccountID}
	case FormatSyslog:
		need = []string{event.HostName, event.ProcessName, event.Message}
	case FormatEntra:
		need = []string{event.UserName, event.SourceIP, event.EventOutcome, "source.geo.country_iso_code"}
	case FormatM365:
		need = []string{event.EventAction, event.UserName, event.SourceIP}
	}
	for i, e := range events {
		for _, name := range need {
			if _, ok := e.Get(name); !ok {
				t.Fatalf("event %d has no %s: %s", i, name, e.Raw)
			}
		}
	}
}

// decodeLine decodes one line of a file on its own: Zeek lines after their
// file's header, CloudTrail lines without the array's comma.
func decodeLine(t *testing.T, reg *detect.Registry, spec fileSpec, data, line []byte) *event.Event {
	t.Helper()
	format := spec.format
	in := append([]byte(nil), line...)
	switch format {
	case FormatZeek:
		in = slices.Concat(headerBlock(data), line, []byte("\n"))
	case FormatCloudTrail:
		in = bytes.TrimSuffix(in, []byte(","))
	case FormatEntra, FormatM365:
		if _, ok := reg.ByName(format); !ok {
			format = detect.JSON // decode as generic JSON until the format's decoder exists
		}
	}
	d, _ := reg.ByName(format)
	var sink decode.Collect
	if err := d.Decode(bytes.NewReader(in), &sink); err != nil || len(sink.Events) != 1 {
		t.Fatalf("decoding %s line: %v, %d events\n%s", spec.name, err, len(sink.Events), line)
	}
	e := sink.Events[0]
	if e.Kind == event.KindPipelineError {
		t.Fatalf("%s line malformed: %s", spec.name, line)
	}
	return e
}

// headerBlock returns the header lines of a Zeek file, with their newlines.
func headerBlock(data []byte) []byte {
	var out []byte
	for len(data) > 0 && data[0] == '#' {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		out = append(append(out, line...), '\n')
		data = rest
	}
	return out
}

// TestLabels checks that every label points at an existing line that
// decodes to an event of its stage, naming its entities.
func TestLabels(t *testing.T) {
	sim := generated(t)
	files := contents(t, sim)
	reg := detect.New(detect.Config{})
	b := sim.Truth().Breach
	specs := map[string]fileSpec{}
	for _, s := range fileSpecs {
		specs[s.name] = s
	}
	labels := sim.Labels()
	if n := bytes.Count(files[FileLabels], []byte("\n")); n != len(labels) || n != sim.Truth().Labels {
		t.Fatalf("labels.jsonl has %d lines, %d labels, truth says %d", n, len(labels), sim.Truth().Labels)
	}
	lines := map[string][][]byte{}
	for name, data := range files {
		lines[name] = bytes.Split(data, []byte("\n"))
	}
	seen := map[string]bool{}
	for _, l := range labels {
		key := fmt.Sprintf("%s:%d", l.File, l.Line)
		if seen[key] {
			t.Fatalf("%s labelled twice", key)
		}
		seen[key] = true
		spec, ok := specs[l.File]
		if !ok {
			t.Fatalf("label names unknown file %q", l.File)
		}
		if l.Line < 1 || l.Line > len(lines[l.File]) || len(lines[l.File][l.Line-1]) == 0 {
			t.Fatalf("%s has no line %d", l.File, l.Line)
		}
		line := lines[l.File][l.Line-1]
		e := decodeLine(t, reg, spec, files[l.File], line)
		if !e.Time.IsZero() && spec.format != FormatSyslog && !e.Time.Equal(l.Time) {
			t.Errorf("%s: label time %s, record time %s", key, l.Time, e.Time)
		}
		if err := entitiesIn(spec, l.Entities, line); err != nil {
			t.Errorf("%s (%s): %v\n%.400s", key, l.Stage, err, line)
		}
		if err := stageChecks[l.Stage](b, l, spec, e, string(line)); err != nil {
			t.Errorf("%s (%s %s): %v\n%.400s", key, l.Stage, l.Technique, err, line)
		}
	}
}

// entitiesIn checks that the entities of a label appear in its line, for
// those the record carries.
func entitiesIn(spec fileSpec, e Entities, line []byte) error {
	values := []string{e.UserName, e.SourceIP}
	switch spec.format {
	case FormatZeek:
		values = append(values, e.DestinationIP)
		if spec.zeek != "conn" {
			values = append(values, e.DestinationDomain)
		}
	case FormatWinJSON, FormatSyslog:
		values = append(values, e.HostName)
	}
	lower := strings.ToLower(string(line))
	for _, v := range values {
		if v != "" && !strings.Contains(lower, strings.ToLower(v)) {
			return fmt.Errorf("entity %q not in the record", v)
		}
	}
	if e.UserName == "" && e.SourceIP == "" && e.HostName == "" {
		return fmt.Errorf("label names no user, address or host")
	}
	return nil
}

func get(e *event.Event, name string) string {
	v, _ := e.Get(name)
	return v
}

// failed reports whether an Entra or Microsoft 365 sign-in failed: by
// event.outcome, or from the record when it was decoded as plain JSON.
func failed(e *event.Event, line string) bool {
	if o := get(e, event.EventOutcome); o != "" {
		return o == event.OutcomeFailure
	}
	return strings.Contains(line, `"UserLoginFailed"`) || (strings.Contains(line, `"errorCode":`) && !strings.Contains(line, `"errorCode":0,`))
}

// hostOf returns the short name of the host of an event.
func hostOf(e *event.Event) string {
	h, _, _ := strings.Cut(get(e, event.HostName), ".")
	return h
}

func oneOf(v string, list ...string) bool { return slices.Contains(list, v) }

// stageChecks says, per stage, what a labelled record must be.
var stageChecks = map[string]func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error{
	StageSpray: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		if !strings.Contains(line, b.AttackerIP) {
			return fmt.Errorf("not from the attacker %s", b.AttackerIP)
		}
		switch spec.format {
		case FormatSyslog:
			if get(e, event.EventOutcome) != event.OutcomeFailure && !strings.Contains(line, "Connection closed") {
				return fmt.Errorf("sshd line is not a failure")
			}
		case FormatEntra, FormatM365:
			if !failed(e, line) {
				return fmt.Errorf("sign-in succeeded")
			}
		case FormatZeek:
			if get(e, event.DestinationPort) != "22" {
				return fmt.Errorf("not SSH")
			}
		default:
			return fmt.Errorf("spray in %s", spec.name)
		}
		return nil
	},
	StageInitialAccess: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		switch spec.format {
		case FormatEntra, FormatM365:
			if failed(e, line) || !strings.Contains(line, b.AttackerIP) {
				return fmt.Errorf("not a success from the attacker")
			}
		case FormatWinJSON:
			if !oneOf(get(e, "EventID"), "4624", "4634") || get(e, "LogonType") != "10" || hostOf(e) != b.Workstation {
				return fmt.Errorf("not a remote desktop session on %s", b.Workstation)
			}
		case FormatZeek:
			if get(e, event.SourceIP) != b.VPNAddress || get(e, event.DestinationPort) != "3389" {
				return fmt.Errorf("not remote desktop from the VPN address")
			}
		case FormatCloudTrail:
			if !oneOf(get(e, event.EventAction), "AssumeRoleWithSAML", "ConsoleLogin") {
				return fmt.Errorf("not a console sign-in")
			}
		default:
			return fmt.Errorf("initial access in %s", spec.name)
		}
		return nil
	},
	StageC2: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		switch spec.format {
		case FormatZeek:
			if !strings.Contains(line, b.C2.Domain) && get(e, event.DestinationIP) != b.C2.IP && get(e, event.DestinationPort) != "53" {
				return fmt.Errorf("not traffic to the C2")
			}
			if get(e, event.SourceIP) != b.WorkstationIP {
				return fmt.Errorf("not from the compromised workstation")
			}
		case FormatWinJSON:
			if get(e, "EventID") != "4688" || hostOf(e) != b.Workstation {
				return fmt.Errorf("not a process on the workstation")
			}
		default:
			return fmt.Errorf("c2 in %s", spec.name)
		}
		return nil
	},
	StageDiscovery: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		switch spec.format {
		case FormatWinJSON:
			if get(e, "EventID") != "4688" || !oneOf(get(e, event.ProcessName), "cmd.exe", "whoami.exe", "net.exe", "nltest.exe", "ipconfig.exe", "systeminfo.exe") {
				return fmt.Errorf("not a discovery command")
			}
		case FormatCloudTrail:
			if !oneOf(get(e, event.EventAction), "DescribeTrails", "GetTrailStatus") {
				return fmt.Errorf("not a trail look-up")
			}
		default:
			return fmt.Errorf("discovery in %s", spec.name)
		}
		return nil
	},
	StageLateral: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		switch spec.format {
		case FormatWinJSON:
			h := hostOf(e)
			if !slices.Contains(b.LateralHosts, h) && !(h == b.Workstation && get(e, "EventID") == "4648") {
				return fmt.Errorf("on %s, not a lateral host", h)
			}
		case FormatZeek:
			if get(e, event.SourceIP) != b.WorkstationIP || !oneOf(get(e, event.DestinationPort), "3389", "445") {
				return fmt.Errorf("not remote desktop or SMB from the workstation")
			}
		default:
			return fmt.Errorf("lateral movement in %s", spec.name)
		}
		return nil
	},
	StageStaging: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		switch spec.format {
		case FormatWinJSON:
			switch get(e, "EventID") {
			case "5145", "4663":
				if !strings.Contains(line, `Cases`) || hostOf(e) != b.Silenced.Host {
					return fmt.Errorf("not a read of the Cases share")
				}
			case "4624", "4634":
				if get(e, event.SourceIP) != b.WorkstationIP && get(e, "EventID") == "4624" {
					return fmt.Errorf("logon not from the workstation")
				}
			case "4688":
				if !oneOf(get(e, event.ProcessName), "cmd.exe", "7z.exe") {
					return fmt.Errorf("not the archiver")
				}
			default:
				return fmt.Errorf("event %s while staging", get(e, "EventID"))
			}
		case FormatZeek:
			if get(e, event.DestinationPort) != "445" || get(e, event.SourceIP) != b.WorkstationIP {
				return fmt.Errorf("not SMB from the workstation")
			}
		default:
			return fmt.Errorf("staging in %s", spec.name)
		}
		return nil
	},
	StageExfiltration: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		switch spec.format {
		case FormatZeek:
			if !strings.Contains(line, b.Exfiltration.DestinationIP) && !strings.Contains(line, b.Exfiltration.DestinationDomain) &&
				!(get(e, event.DestinationPort) == "53" && l.Entities.DestinationDomain == b.Exfiltration.DestinationDomain) {
				return fmt.Errorf("not to the exfiltration host")
			}
		case FormatM365:
			if !strings.Contains(line, b.AttackerIP) || !(strings.Contains(line, `"FileDownloaded"`) || strings.Contains(line, `"MailItemsAccessed"`)) {
				return fmt.Errorf("not a download from the attacker")
			}
		default:
			return fmt.Errorf("exfiltration in %s", spec.name)
		}
		return nil
	},
	StageDefenseEvasion: func(b Breach, l Label, spec fileSpec, e *event.Event, line string) error {
		switch spec.format {
		case FormatWinJSON:
			switch get(e, "EventID") {
			case "1102", "4624", "4672":
				if hostOf(e) != b.Silenced.Host {
					return fmt.Errorf("not on %s", b.Silenced.Host)
				}
			case "4688":
				if !oneOf(get(e, event.ProcessName), "cmd.exe", "wevtutil.exe", "sc.exe") {
					return fmt.Errorf("not wevtutil or sc")
				}
			default:
				return fmt.Errorf("event %s", get(e, "EventID"))
			}
		case FormatCloudTrail:
			if get(e, event.EventAction) != "StopLogging" {
				return fmt.Errorf("not StopLogging")
			}
		default:
			return fmt.Errorf("defense evasion in %s", spec.name)
		}
		return nil
	},
}
