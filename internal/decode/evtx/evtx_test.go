package evtx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// evtxFiles returns the .evtx files under dir, in walk order.
func evtxFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".evtx") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func decodeFile(t testing.TB, path string) ([]*event.Event, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c decode.Collect
	err = Decoder{}.Decode(f, &c)
	return c.Events, err
}

// TestAttackSamples decodes every file of the EVTX attack samples
// (evtx/attack-samples, from sbousseaden/EVTX-ATTACK-SAMPLES, GPL-3.0) and
// checks each against the file's own headers, read by countRecords.
func TestAttackSamples(t *testing.T) {
	dir := shareddata.Path(t, "evtx/attack-samples")
	files := evtxFiles(t, dir)
	if len(files) != 277 {
		t.Errorf("found %d .evtx files, want 277", len(files))
	}
	var total, slack int
	for _, path := range files {
		name, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := countRecords(b)
		total += len(want.ids)
		slack += want.slack
		events, err := decodeFile(t, path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(events) != len(want.ids) {
			t.Errorf("%s: got %d events, want %d (records its chunk headers declare)", name, len(events), len(want.ids))
			continue
		}
		for i, e := range events {
			if e.Kind != event.KindEvent {
				t.Errorf("%s: event %d: kind %v (%s), want event", name, i, e.Kind, e.ParseError)
				continue
			}
			// An exported log renumbers record headers but keeps each
			// event's EventRecordID, so the two are not compared.
			for _, f := range []string{"EventID", "EventRecordID", "Channel", "Computer", "Provider_Name", "Level", "Keywords"} {
				if _, ok := e.Get(f); !ok {
					t.Errorf("%s: event %d: no %s field", name, i, f)
				}
			}
			if e.Time.Year() < 2000 || e.Format != "evtx" || !json.Valid(e.Raw) {
				t.Errorf("%s: event %d: time %v, format %q, valid JSON raw %v", name, i, e.Time, e.Format, json.Valid(e.Raw))
			}
		}
	}
	if total != 8255 {
		t.Errorf("%d records in all, want 8255", total)
	}
	// The data README counts 8,609 records: it includes 354 records
	// that four files keep after their chunk's free-space offset, left
	// over from earlier logs (see the package doc).
	if total+slack != 8609 {
		t.Errorf("%d records plus %d in slack space, want 8609 as the data README counts", total, slack)
	}
}

// TestFields checks values of known records, as Windows renders them,
// and a few of the ECS fields derived from them.
func TestFields(t *testing.T) {
	dir := shareddata.Path(t, "evtx/attack-samples")
	tests := []struct {
		file     string
		recordID string
		time     string
		want     map[string]string // field → value; "<Type>value" for a non-string
	}{{
		file:     "Credential Access/sysmon_10_11_lsass_memdump.evtx",
		recordID: "4434",
		time:     "2019-03-17T19:09:41.328868Z",
		want: map[string]string{
			"EventID":             "<Number>10",
			"Channel":             "Microsoft-Windows-Sysmon/Operational",
			"Computer":            "PC04.example.corp",
			"Provider_Name":       "Microsoft-Windows-Sysmon",
			"Security_UserID":     "S-1-5-18",
			"Keywords":            "0x8000000000000000",
			"Level":               "<Number>4",
			"Task":                "<Number>10",
			"GrantedAccess":       "0x1fffff", // HexInt32
			"SourceImage":         `C:\Users\IEUser\Desktop\procdump.exe`,
			"TargetImage":         `C:\Windows\system32\lsass.exe`,
			"SourceProcessId":     "<Number>1856",
			"Execution_ProcessID": "<Number>344",
			"RuleName":            "",
			"event.code":          "10", // ECS, from package winjson
			"host.name":           "PC04.example.corp",
		},
	}, {
		file:     "Credential Access/CA_hashdump_4663_4656_lsass_access.evtx",
		recordID: "314461",
		time:     "2020-03-08T22:11:34.3404793Z",
		want: map[string]string{
			"EventID":            "<Number>4656",
			"AccessMask":         "0x1f3fff", // HexInt32
			"ProcessId":          "0x1688",   // HexInt64
			"SubjectLogonId":     "0x33392",
			"RestrictedSidCount": "<Number>0",
			"Keywords":           "0x8020000000000000",
			"ObjectName":         `\Device\HarddiskVolume1\Windows\System32\lsass.exe`,
			"process.pid":        "<Number>5768", // ProcessId 0x1688
			"user.name":          "IEUser",
		},
	}, {
		file:     "Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx",
		recordID: "971",
		time:     "2020-06-30T14:24:08.254605Z",
		want: map[string]string{
			"EventID":                "<Number>4104",
			"MessageNumber":          "<Number>1", // Int32, which the parser keeps as raw bytes
			"MessageTotal":           "<Number>1",
			"Correlation_ActivityID": "4AA5EAE3-4F33-0001-3A2B-A64A334FD601",
		},
	}, {
		file:     "Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx",
		recordID: "13026",
		time:     "2019-11-04T13:46:01.1713393Z",
		want: map[string]string{
			"EventID":            "<Number>18456", // qualifiers apart
			"EventID_Qualifiers": "<Number>49152",
			"Provider_Name":      "MSSQLSERVER",
			"Data":               "sa| Reason: Password did not match that for the login provided.| [CLIENT: 10.0.2.17]",
			"Binary":             "184800000E0000000C0000004D0053004500440047004500570049004E00310030000000070000006D00610073007400650072000000",
		},
	}, {
		file:     "Command and Control/DE_RDP_Tunnel_5156.evtx",
		recordID: "227693",
		time:     "2019-02-13T18:01:41.59383Z",
		want: map[string]string{
			"EventID":         "<Number>1102", // log cleared: UserData
			"SubjectUserName": "admin01",
			"SubjectLogonId":  "0xaf855",
			"xmlns:auto-ns3":  "<absent>",
			"user.name":       "admin01",
		},
	}, {
		file:     "Command and Control/DE_RDP_Tunnel_5156.evtx",
		recordID: "227701",
		time:     "2019-02-13T18:02:04.426662Z",
		want: map[string]string{
			"EventID":          "<Number>4624",
			"TargetUserName":   "user01",
			"TargetLogonId":    "0x1414c8",
			"LogonType":        "<Number>11",
			"LogonProcessName": "User32 ", // as recorded, trailing space kept
			"IpAddress":        "127.0.0.1",
			"source.ip":        "127.0.0.1",
			"user.name":        "user01",
			"event.outcome":    "success",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file+"#"+tt.recordID, func(t *testing.T) {
			events, err := decodeFile(t, filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var e *event.Event
			for _, ev := range events {
				if id, _ := ev.Get("EventRecordID"); id == tt.recordID {
					e = ev
				}
			}
			if e == nil {
				t.Fatalf("no record %s", tt.recordID)
			}
			if got := e.Time.Format(time.RFC3339Nano); got != tt.time {
				t.Errorf("Time = %s, want %s", got, tt.time)
			}
			got := map[string]string{}
			for name := range tt.want {
				var values []string
				for _, f := range e.Values(name) {
					v := f.Value
					if f.Type != event.String {
						v = "<" + typeName(f.Type) + ">" + v
					}
					values = append(values, v)
				}
				got[name] = strings.Join(values, "|")
				if values == nil {
					got[name] = "<absent>"
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func typeName(t event.Type) string {
	return [...]string{"String", "Number", "Bool", "Null"}[t]
}

// TestRendering compares the decoder's fields with the JSON that SigmaHQ
// ships beside each regression EVTX (sigma/regression_data, DRL 1.1),
// produced by an independent EVTX parser (the Rust evtx crate). Known
// differences: that renderer cuts times to the microsecond, renders empty
// System elements as null, and trims spaces around string values; the
// decoder keeps the 100 ns of the file and values as recorded.
func TestRendering(t *testing.T) {
	dir := shareddata.Path(t, "sigma/regression_data")
	files := evtxFiles(t, dir)
	compared := 0
	for _, path := range files {
		name, _ := filepath.Rel(dir, path)
		events, err := decodeFile(t, path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		rendered, err := os.ReadFile(strings.TrimSuffix(path, ".evtx") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(rendered))
		dec.UseNumber()
		for i := 0; ; i++ {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if i >= len(events) {
				t.Errorf("%s: %d events, the JSON has more", name, len(events))
				break
			}
			compared++
			want := rustFields(doc)
			got := map[string][]string{}
			for _, f := range events[i].Fields {
				if strings.Contains(f.Name, ".") {
					continue // ECS fields
				}
				v := f.Value
				if f.Type == event.Null {
					v = "<null>"
				}
				got[f.Name] = append(got[f.Name], v)
			}
			for k, w := range want {
				if w[0] == "<null>" && got[k] == nil {
					continue // an empty System element
				}
				if k == "TimeCreated_SystemTime" && len(got[k]) == 1 {
					g, _ := time.Parse(time.RFC3339Nano, got[k][0])
					w, _ := time.Parse(time.RFC3339Nano, w[0])
					if g.Truncate(time.Microsecond).Equal(w) {
						continue
					}
				}
				if len(got[k]) == len(w) {
					same := true
					for j := range w {
						same = same && strings.TrimSpace(got[k][j]) == w[j]
					}
					if same {
						continue
					}
				}
				t.Errorf("%s: event %d: %s = %q, want %q", name, i, k, got[k], w)
			}
			for k, g := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: event %d: extra field %s = %q", name, i, k, g)
				}
			}
		}
	}
	if compared < 150 {
		t.Errorf("compared %d events, want at least 150", compared)
	}
}

// rustFields names the values of a record rendered by the Rust evtx crate
// the way the decoder does: attributes are under "#attributes", an
// element's text beside attributes is "#text".
func rustFields(doc map[string]any) map[string][]string {
	out := map[string][]string{}
	var flatten func(v any, name string, how naming)
	flatten = func(v any, name string, how naming) {
		switch x := v.(type) {
		case map[string]any:
			for k, v := range x {
				switch k {
				case "#attributes", "#text":
					flatten(v, name, how)
				default:
					flatten(v, childName(name, k, how), how)
				}
			}
		case []any:
			for _, v := range x {
				flatten(v, name, how)
			}
		case nil:
			out[name] = append(out[name], "<null>")
		default:
			if name != "" {
				out[name] = append(out[name], strings.TrimSpace(toString(x)))
			}
		}
	}
	ev, _ := doc["Event"].(map[string]any)
	for k, v := range ev {
		switch k {
		case "System":
			flatten(v, "", joinNames)
		case "EventData":
			d, ok := v.(map[string]any)
			if !ok {
				flatten(v, "EventData", leafNames)
				continue
			}
			for k, v := range d {
				switch k {
				case "#attributes":
				case "Data":
					flatten(v, "Data", leafNames)
				default:
					flatten(v, k, leafNames)
				}
			}
		case "UserData":
			flatten(v, "", leafNames)
		case "#attributes":
		default:
			flatten(v, k, joinNames)
		}
	}
	return out
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAnyReader decodes from a reader that cannot seek, in small reads.
func TestAnyReader(t *testing.T) {
	path := filepath.Join(shareddata.Path(t, "evtx/attack-samples"), "Command and Control/DE_RDP_Tunnel_5156.evtx")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	var c decode.Collect
	if err := (Decoder{}).Decode(&smallReader{b: b}, &c); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, c.Events); diff != "" {
		t.Errorf("events differ (-file +stream):\n%s", diff)
	}
}

// smallReader returns at most 1000 bytes per Read.
type smallReader struct{ b []byte }

func (r *smallReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1000)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// stopSink fails on its nth event.
type stopSink struct {
	decode.Collect
	n int
}

var errStop = errors.New("stop")

func (s *stopSink) Event(e *event.Event) error {
	if len(s.Events) == s.n {
		return errStop
	}
	return s.Collect.Event(e)
}

func TestSinkError(t *testing.T) {
	path := filepath.Join(shareddata.Path(t, "evtx/attack-samples"), "Command and Control/DE_RDP_Tunnel_5156.evtx")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sink := &stopSink{n: 5}
	if err := (Decoder{}).Decode(f, sink); err != errStop {
		t.Errorf("Decode = %v, want the sink's error", err)
	}
	if len(sink.Events) != 5 {
		t.Errorf("sink got %d events, want 5", len(sink.Events))
	}
}

// TestWorkBudget checks that chunkBudget leaves real files far from it.
func TestWorkBudget(t *testing.T) {
	most := 0
	for _, rel := range []string{"evtx/attack-samples", "sigma/regression_data"} {
		for _, path := range evtxFiles(t, shareddata.Path(t, rel)) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for start := fileHeaderSize; start+chunkSize <= len(b); start += chunkSize {
				work := bytes.Clone(b[start : start+chunkSize])
				if !bytes.Equal(work[:8], chunkMagic) {
					continue
				}
				d := fileDecoder{}
				n := int(le.Uint64(work[16:]) - le.Uint64(work[8:]) + 1)
				frames := d.frames(0, work, n, false)
				s := newScanner(work)
				for _, f := range frames {
					if !s.record(f.off + recordHeader) {
						t.Errorf("%s: chunk at %d: record at %d rejected: %v", path, start, f.off, s.err)
					}
				}
				most = max(most, s.work)
			}
		}
	}
	t.Logf("busiest chunk costs %d", most)
	if most == 0 || most > 60000 {
		t.Errorf("busiest chunk costs %d, want 1 to 60000 (chunkBudget is %d)", most, chunkBudget)
	}
}

// TestConcurrent decodes files at once with one Decoder, as the Decoder
// contract allows (run with -race).
func TestConcurrent(t *testing.T) {
	dir := shareddata.Path(t, "evtx/attack-samples")
	var files []string
	for i, p := range evtxFiles(t, dir) {
		if i%35 == 0 { // eight files from across the folders
			files = append(files, p)
		}
	}
	want := make([][]*event.Event, len(files))
	for i, p := range files {
		want[i], _ = decodeFile(t, p)
	}
	var d Decoder
	got := make([][]*event.Event, len(files))
	var wg sync.WaitGroup
	for i, p := range files {
		wg.Go(func() {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Error(err)
				return
			}
			var c decode.Collect
			if err := d.Decode(bytes.NewReader(b), &c); err != nil {
				t.Error(err)
			}
			got[i] = c.Events
		})
	}
	wg.Wait()
	for i := range files {
		if !reflect.DeepEqual(want[i], got[i]) {
			t.Errorf("%s: events differ when decoded concurrently:\n%s", files[i], cmp.Diff(want[i], got[i]))
		}
	}
}
