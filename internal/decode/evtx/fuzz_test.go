package evtx

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// maxFuzzInput caps fuzz inputs, as Prometheus' parsers do. 10 KiB holds
// the file header, a chunk header and its first records: the decoder reads
// a short last chunk as truncated, so every record parsing path is reached.
const maxFuzzInput = 10 << 10

// FuzzEVTX decodes damaged EVTX files, seeded with the start of real ones
// (evtx/attack-samples, GPL-3.0). Run it with
//
//	go test -run=^$ -fuzz=FuzzEVTX -fuzzminimizetime=2s ./internal/decode/evtx
//
// Minimizing a 10 KiB input takes the default minute per new input, which
// leaves little time for fuzzing.
func FuzzEVTX(f *testing.F) {
	dir := shareddata.Path(f, "evtx/attack-samples")
	for _, name := range []string{
		"Credential Access/sysmon_10_11_lsass_memdump.evtx",
		"Credential Access/CA_hashdump_4663_4656_lsass_access.evtx",
		"Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx",
		"Credential Access/Powershell_4104_MiniDumpWriteDump_Lsass.evtx",
		"Command and Control/DE_RDP_Tunnel_5156.evtx",
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:maxFuzzInput])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			return
		}
		var c decode.Collect
		err := Decoder{}.Decode(bytes.NewReader(b), &c)
		for i, e := range c.Events {
			if e.Format != "evtx" {
				t.Errorf("event %d: format %q", i, e.Format)
			}
			switch e.Kind {
			case event.KindEvent:
				if !json.Valid(e.Raw) {
					t.Errorf("event %d: Raw is not JSON: %q", i, e.Raw)
				}
			case event.KindPipelineError:
				if err == nil {
					t.Errorf("event %d is a pipeline error (%s) but Decode returned nil", i, e.ParseError)
				}
			}
		}
	})
}
