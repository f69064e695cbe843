package syslog

import (
	"bufio"
	"bytes"
	"os"
	"testing"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
)

// The benchmarks read OpenSSH_2k.log (loghub, research use): 2,000 sshd
// lines, 225 KB. Compare BenchmarkDecodeOpenSSH with the two baselines over
// the same bytes: BenchmarkSplitLinesOpenSSH only splits lines, and
// BenchmarkLinesOpenSSH adds what decode.Lines does for any format (an
// Event per line, a copy of the line, sorting no fields).

func readOpenSSH(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(shareddata.Path(b, "linux/OpenSSH_2k.log"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// countSink counts events and drops them.
type countSink struct{ events, rejected int }

func (s *countSink) Event(*event.Event) error { s.events++; return nil }
func (s *countSink) Reject(string, int)       { s.rejected++ }

func BenchmarkDecodeOpenSSH(b *testing.B) {
	data := readOpenSSH(b)
	d := testDecoder()
	var sink countSink
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(bytes.NewReader(data), &sink); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sink.events)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkSplitLinesOpenSSH(b *testing.B) {
	data := readOpenSSH(b)
	lines := 0
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			lines++
		}
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkLinesOpenSSH(b *testing.B) {
	data := readOpenSSH(b)
	var sink countSink
	nothing := func([]byte, *event.Event) error { return nil }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := decode.Lines(bytes.NewReader(data), 0, Format, &sink, nothing); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sink.events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeMessage decodes one message of each shape, as a network
// transport would.
func BenchmarkDecodeMessage(b *testing.B) {
	for _, bm := range []struct{ name, msg string }{
		{"format=bsd", "<38>Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2"},
		{"format=rfc5424", `<38>1 2024-05-01T10:00:00.123Z bastion sshd 4242 - [origin ip="10.0.0.1"] Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2`},
	} {
		b.Run(bm.name, func(b *testing.B) {
			d := testDecoder()
			msg := []byte(bm.msg)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				e := event.Event{Raw: msg}
				if err := d.DecodeMessage(msg, &e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
