package simulate

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Simulation is a generated organisation, its activity and its breach,
// laid out as files. It is immutable once Generate returns and safe for
// concurrent use.
type Simulation struct {
	cfg    Config
	files  [numFiles][]record // each in time order, without the silenced records
	labels []Label
	truth  Truth
	nets   []geoRange
}

// Generate simulates cfg. The result depends on cfg only.
func Generate(cfg Config) (*Simulation, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := newOrg(cfg)
	b := &builder{cfg: cfg, org: o}
	b.normal()
	pl := b.breach()
	return b.finish(pl), nil
}

// finish sorts the records into files, renders Windows events with their
// record numbers, removes what logging did not see, and numbers the lines.
func (b *builder) finish(pl *plan) *Simulation {
	s := &Simulation{cfg: b.cfg, nets: b.org.nets}
	start, end := b.cfg.Start, b.cfg.end()
	for _, r := range b.recs {
		// A record's time is what its file says: whole seconds in
		// auth.log and the cloud logs, milliseconds in Winlogbeat's,
		// microseconds in Zeek's.
		r.t = r.t.Truncate(precision[fileSpecs[r.file].format])
		if r.t.Before(start) || !r.t.Before(end) {
			if r.label != nil {
				panic(fmt.Sprintf("BUG: simulate: labelled %s record at %s, outside the simulation", r.label.stage, r.t))
			}
			continue
		}
		s.files[r.file] = append(s.files[r.file], r)
	}
	b.recs = nil
	for f := range s.files {
		slices.SortStableFunc(s.files[f], func(a, b record) int { return a.t.Compare(b.t) })
	}
	// Record numbers count every event a host logged, shipped or not.
	next := map[string]int64{}
	for i := range s.files[fileWindows] {
		r := &s.files[fileWindows][i]
		id, ok := next[r.source]
		if !ok {
			id = 100_000 + int64(hash64(r.source)%900_000)
		}
		next[r.source] = id + 1
		r.body = r.win.render(r.t, id)
		r.win = nil
	}
	for _, g := range pl.gaps {
		s.files[g.file] = slices.DeleteFunc(s.files[g.file], func(r record) bool {
			silent := (g.source == "" || r.source == g.source) && r.t.After(g.from) && r.t.Before(g.until)
			if silent && r.label != nil {
				panic(fmt.Sprintf("BUG: simulate: labelled %s record at %s inside a silence", r.label.stage, r.t))
			}
			return silent
		})
	}
	for f, recs := range s.files {
		first := firstLine(fileID(f))
		for i, r := range recs {
			if r.label == nil {
				continue
			}
			s.labels = append(s.labels, Label{File: fileSpecs[f].name, Line: first + i, Stage: r.label.stage,
				Technique: r.label.technique, Time: r.t.UTC(), Entities: r.label.entities})
		}
	}
	slices.SortStableFunc(s.labels, func(a, b Label) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	s.truth = s.makeTruth(b.org, pl)
	return s
}

// precision is the resolution of the timestamps of each format.
var precision = map[string]time.Duration{
	FormatSyslog: time.Second, FormatWinJSON: time.Millisecond, FormatZeek: time.Microsecond,
	FormatCloudTrail: time.Second, FormatEntra: time.Second, FormatM365: time.Second,
}

// firstLine is the line number of the first record of a file.
func firstLine(f fileID) int {
	switch fileSpecs[f].format {
	case FormatZeek:
		return len(zeekHeader("conn", time.Time{})) + 1
	case FormatCloudTrail:
		return 2
	}
	return 1
}

// makeTruth summarises the simulation.
func (s *Simulation) makeTruth(o *org, pl *plan) Truth {
	t := Truth{
		Seed: s.cfg.Seed, Start: s.cfg.Start, End: s.cfg.end(), Days: s.cfg.Days, Users: s.cfg.Users,
		Org: OrgTruth{Name: o.name, Domain: o.domain, ADDomain: o.netbios, Tenant: o.tenantID,
			SharePoint: "https://" + o.spHost, AWSAccount: o.awsAccount, OfficeEgress: o.nets[0].prefix.String(), VPNPool: o.vpnPool.String()},
		Breach: pl.truth,
		Labels: len(s.labels),
	}
	for i, recs := range s.files {
		fi := FileInfo{Name: fileSpecs[i].name, Format: fileSpecs[i].format, Records: len(recs)}
		for _, r := range recs {
			if r.label != nil {
				fi.Labelled++
			}
		}
		t.Files = append(t.Files, fi)
	}
	for _, stage := range Stages {
		st := StageTruth{Stage: stage, Summary: stageSummaries[stage]}
		for _, l := range s.labels {
			if l.Stage != stage {
				continue
			}
			if st.Events == 0 || l.Time.Before(st.Start) {
				st.Start = l.Time
			}
			if l.Time.After(st.End) {
				st.End = l.Time
			}
			st.Events++
			if !slices.Contains(st.Techniques, l.Technique) {
				st.Techniques = append(st.Techniques, l.Technique)
			}
		}
		slices.Sort(st.Techniques)
		t.Breach.Stages = append(t.Breach.Stages, st)
	}
	if o.travelling != nil {
		t.Benign = append(t.Benign, Benign{Kind: "travel", UserName: o.travelling.upn, Country: o.travelTo.code,
			Description: "a member of legal staff on mission abroad: cloud sign-ins from a new country, from a residential range of " + o.travelTo.name,
			From:        maxTime(o.travelFrom, s.cfg.Start), Until: o.travelUntil})
	}
	t.Benign = append(t.Benign,
		Benign{Kind: "periodic", Description: "MON01's cron heartbeat to a monitoring service, TLS every 5 minutes ± 1 s, all week",
			SourceIP: o.mon.ip.String(), Destination: hcPing, Period: hcPingPeriod.Seconds(), From: s.cfg.Start, Until: s.cfg.end()},
		Benign{Kind: "periodic", Description: "every workstation's Defender signature check, TLS about every 4 hours ± 5 %",
			Destination: defenderDomain, Period: defenderPeriod.Seconds(), From: s.cfg.Start, Until: s.cfg.end()},
		Benign{Kind: "periodic", Description: "BKP01's nightly backup: several GB read over SMB from FS01, SQL01, APP01 and DC01 around 01:00 UTC",
			SourceIP: o.bkp.ip.String(), Period: (24 * time.Hour).Seconds(), From: s.cfg.Start, Until: s.cfg.end()},
		Benign{Kind: "periodic", Description: "svc-monitor logs on to every Windows server from MON01 (network logon) every 30 minutes: one account, many hosts",
			UserName: "svc-monitor", SourceIP: o.mon.ip.String(), Period: (30 * time.Minute).Seconds(), From: s.cfg.Start, Until: s.cfg.end()},
		Benign{Kind: "internet-noise", Description: "internet scanners guess SSH passwords on gw01 all week, 1 to 6 attempts each with common user names, from " +
			"198.51.100.0/24: real attempts, none successful, not part of the breach",
			HostName: o.gw.name, From: s.cfg.Start, Until: s.cfg.end()},
	)
	t.Notes = notes
	return t
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

var stageSummaries = map[string]string{
	StageSpray:          "one address sprays one password per round over every Entra ID account (errors 50126 and 50034) and a few SSH accounts on gw01, three rounds about 45 minutes apart",
	StageInitialAccess:  "the sprayed password works: Entra sign-ins from the Seychelles (OfficeHome, Azure VPN, SharePoint, AWS) while the owner works in the Netherlands, and remote desktop from the VPN pool to the owner's workstation",
	StageC2:             "PowerShell fetches an implant that resolves and connects to a rare domain every 60 s ± 20 % until the end",
	StageDiscovery:      "whoami, net user/group /domain, nltest, net view, ipconfig, systeminfo from the implant's cmd.exe; DescribeTrails and GetTrailStatus in AWS",
	StageLateral:        "from the workstation: explicit credentials and remote desktop to APP01, an NTLM logon and the C$ share on SQL01, servers the account never used",
	StageStaging:        "hundreds of files read from the Cases share of FS01 (5145, 4663) in an hour at night, then a split, encrypted 7-Zip archive",
	StageExfiltration:   "the archive volumes uploaded to a new file host (one HTTP PUT, then TLS), SharePoint files downloaded with rclone and mail read from the Seychelles",
	StageDefenseEvasion: "CloudTrail StopLogging from the Seychelles; FS01's Security log cleared (1102) and its shipper stopped: FS01 goes silent until an administrator restarts it",
}

var notes = []string{
	"All times are UTC. Staff work in their home country's hours, with fixed UTC offsets (no daylight saving).",
	"auth.log uses RFC 3164 timestamps without a year: Vigie's syslog decoder gives each the latest year that puts it no more than a day after the time of reading, so read the file within a year of 'end'.",
	"A user is named as each record names it: the sAMAccountName in Windows and Linux records, the user principal name in Entra, Microsoft 365 and CloudTrail records.",
	"Labels of conn.log records name the destination domain, which the record itself does not carry; labels of DNS records name the resolver as destination.ip, as the records do.",
	"A label's host.name is the host that logged the record, or for Zeek records the internal host of the connection.",
	"Windows events of the silenced host that happened while its shipper was stopped are missing: its winlog.record_id jumps over them.",
	"geo.csv ranges come mostly from the documentation and benchmarking blocks (RFC 5737, RFC 2544) and documentation ASNs (RFC 5398); a few residential ranges look real. All assignments are made up. mmdbwriter needs IncludeReservedNetworks to load them.",
	"The benign entries below are not attacks, though they look like some: use them to measure false positives.",
}

// Labels returns the labels of the malicious records, in time order.
func (s *Simulation) Labels() []Label { return slices.Clone(s.labels) }

// Truth returns the summary of the simulation.
func (s *Simulation) Truth() Truth { return s.truth }

// Files describes the event files.
func (s *Simulation) Files() []FileInfo { return slices.Clone(s.truth.Files) }

// FileNames lists every file WriteDir writes.
func FileNames() []string {
	var names []string
	for _, f := range fileSpecs {
		names = append(names, f.name)
	}
	return append(names, FileLabels, FileTruth, FileGeo)
}

// WriteDir writes every file into dir, creating it if needed.
func (s *Simulation) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output folder: %w", err)
	}
	for _, name := range FileNames() {
		if err := s.writeFileTo(filepath.Join(dir, name), name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Simulation) writeFileTo(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	err = s.WriteFile(w, name)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// WriteFile writes the file called name (one of FileNames) to w.
func (s *Simulation) WriteFile(w io.Writer, name string) error {
	switch name {
	case FileLabels:
		for _, l := range s.labels {
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(b, '\n')); err != nil {
				return err
			}
		}
		return nil
	case FileTruth:
		b, err := json.MarshalIndent(s.truth, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case FileGeo:
		return writeGeo(w, s.nets)
	}
	for f, spec := range fileSpecs {
		if spec.name == name {
			return s.writeEvents(w, fileID(f))
		}
	}
	return fmt.Errorf("no simulation file %q: want one of %v", name, FileNames())
}

// writeEvents writes an event file with its framing: Zeek's header and
// #close line, CloudTrail's Records array with one record per line.
func (s *Simulation) writeEvents(w io.Writer, f fileID) error {
	spec := fileSpecs[f]
	recs := s.files[f]
	bw := bufio.NewWriter(w)
	switch spec.format {
	case FormatZeek:
		for _, h := range zeekHeader(spec.zeek, s.cfg.Start) {
			bw.WriteString(h)
			bw.WriteByte('\n')
		}
	case FormatCloudTrail:
		bw.WriteString("{\"Records\":[\n")
	}
	for i, r := range recs {
		bw.Write(r.body)
		if spec.format == FormatCloudTrail && i < len(recs)-1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	switch spec.format {
	case FormatZeek:
		bw.WriteString("#close\t" + s.cfg.end().Format("2006-01-02-15-04-05") + "\n")
	case FormatCloudTrail:
		bw.WriteString("]}\n")
	}
	return bw.Flush()
}
