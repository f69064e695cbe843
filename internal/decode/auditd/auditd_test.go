package auditd

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
)

// decodeString decodes in with d and fails on a Decode error.
func decodeString(t *testing.T, d Decoder, in string) *decode.Collect {
	t.Helper()
	var c decode.Collect
	if err := d.Decode(strings.NewReader(in), &c); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return &c
}

// values returns every value of a field.
func values(e *event.Event, name string) []string {
	var out []string
	for _, f := range e.Values(name) {
		out = append(out, f.Value)
	}
	return out
}

// check fails unless e has exactly the given values for each field, given
// as name, value, name, value…; a name repeated gives several values, and
// the value "" says the field is absent.
func check(t *testing.T, e *event.Event, pairs ...string) {
	t.Helper()
	want := map[string][]string{}
	var order []string
	for i := 0; i+1 < len(pairs); i += 2 {
		name, v := pairs[i], pairs[i+1]
		if _, ok := want[name]; !ok {
			order = append(order, name)
			want[name] = nil
		}
		if v != "" {
			want[name] = append(want[name], v)
		}
	}
	for _, name := range order {
		if diff := cmp.Diff(want[name], values(e, name)); diff != "" {
			t.Errorf("event %s: field %s (-want +got):\n%s", e.Raw[:min(len(e.Raw), 60)], name, diff)
		}
	}
}

// TestFixture decodes testdata/fixture.log: an execve with hex-encoded
// arguments and cwd, two PATH records and a PROCTITLE; a USER_LOGIN with
// msg='…' and the ENRICHED part; a line that is not a record; and a
// memfd_create call with a hex comm and two hex-encoded keys.
func TestFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/fixture.log")
	if err != nil {
		t.Fatal(err)
	}
	c := decodeString(t, Decoder{}, string(data))
	if len(c.Events) != 4 {
		t.Fatalf("got %d events, want 4", len(c.Events))
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")

	exec := c.Events[0]
	if got, want := string(exec.Raw), strings.Join(lines[:7], "\n"); got != want {
		t.Errorf("Raw = %q, want the first 7 lines %q", got, want)
	}
	if want := time.Date(2023, 11, 14, 22, 13, 20, 123e6, time.UTC); !exec.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", exec.Time, want)
	}
	check(t, exec,
		"type", "SYSCALL", "type", "EXECVE", "type", "CWD", "type", "PATH", "type", "PROCTITLE", "type", "EOE",
		"key", "susp_activity", "syscall", "59", "SYSCALL", "execve", "success", "yes",
		"exe", "/usr/bin/bash", "comm", "bash", "uid", "1000", "auid", "1000", "argc", "3",
		// SYSCALL's registers and EXECVE's arguments share their names.
		"a0", "55d0c8a0e4f0", "a0", "bash", "a1", "55d0c8a0e590", "a1", "-c",
		"a2", "55d0c8a12345", "a2", "echo aWQ= | base64 -d | sh",
		"cwd", "/home/alice/my scripts",
		"name", "/usr/bin/bash", "name", "/lib64/ld-linux-x86-64.so.2",
		"item", "0", "item", "1", "dev", "08:01", // dev is the same in both PATH records
		"proctitle", "bash -c echo aWQ= | base64 -d | sh",
		"event.module", "auditd", "event.sequence", "100",
		"event.category", "process", "event.type", "start", "event.outcome", "success",
		"process.executable", "/usr/bin/bash", "process.name", "bash",
		"process.pid", "4242", "process.parent.pid", "4100",
		"process.command_line", "bash -c echo aWQ= | base64 -d | sh",
		"process.working_directory", "/home/alice/my scripts",
		"user.id", "1000", "user.name", "", "host.name", "",
		"Image", "/usr/bin/bash", "CommandLine", "bash -c echo aWQ= | base64 -d | sh",
		"CurrentDirectory", "/home/alice/my scripts", "User", "1000",
		"ProcessId", "4242", "ParentProcessId", "4100")
	if pid := exec.Values("process.pid"); len(pid) != 1 || pid[0].Type != event.Number {
		t.Errorf("process.pid = %v, want one Number", pid)
	}

	login := c.Events[1]
	check(t, login,
		"type", "USER_LOGIN", "op", "login", "id", "1000", "exe", "/usr/sbin/sshd",
		"hostname", "203.0.113.7", "addr", "203.0.113.7", "terminal", "/dev/pts/1", "res", "success",
		"msg", "", // read as the pairs inside it
		"UID", "root", "AUID", "alice",
		"event.category", "authentication", "event.type", "start", "event.outcome", "success",
		"source.ip", "203.0.113.7", "process.executable", "/usr/sbin/sshd", "process.pid", "4300",
		"User", "root", "user.id", "0", "CommandLine", "")

	bad := c.Events[2]
	if bad.Kind != event.KindPipelineError || string(bad.Raw) != lines[8] || len(bad.Fields) != 0 {
		t.Errorf("event 2 = %v %q, want a pipeline error keeping %q", bad.Kind, bad.Raw, lines[8])
	}
	var se *SyntaxError
	if !strings.Contains(bad.ParseError, "no audit record") {
		t.Errorf("ParseError = %q", bad.ParseError)
	}
	if _, err := parseRecord(lines[8]); !errors.As(err, &se) {
		t.Errorf("parseRecord error %v is not a *SyntaxError", err)
	}

	memfd := c.Events[3]
	check(t, memfd,
		"type", "SYSCALL", "type", "PROCTITLE", "SYSCALL", "memfd_create", "comm", "ecasound x",
		"key", "memfd", "key", "audio", "event.category", "", "CommandLine", "ecasound",
		"process.command_line", "ecasound", "process.name", "ecasound x")
}

// TestValues checks how values are read, one record at a time.
func TestValues(t *testing.T) {
	f := func(line string, pairs ...string) {
		t.Helper()
		c := decodeString(t, Decoder{}, line)
		if len(c.Events) != 1 || c.Events[0].Kind != event.KindEvent {
			t.Fatalf("%q: got %v, want one event", line, c.Events)
		}
		check(t, c.Events[0], pairs...)
	}
	// An EXECVE argument is hex when it needs to be; SYSCALL's a0 is a
	// hex number and stays as written.
	f(`type=EXECVE msg=audit(1.000:1): argc=2 a0="ls" a1=2D6C612022612062220A`, "a0", "ls", "a1", "-la \"a b\"\n")
	f(`type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=2 a0=ABCD exe="/bin/cat" name=2F6574632F706173737764`,
		"a0", "ABCD", "SYSCALL", "open", "name", "/etc/passwd")
	// Decoded bytes that are not UTF-8.
	f(`type=PATH msg=audit(1.000:1): item=0 name=2F746D702FFF`, "name", "/tmp/\uFFFD")
	// A long argument in chunks, and an argument that is an empty string.
	f(`type=EXECVE msg=audit(1.000:1): argc=3 a0="echo" a1_len=6 a1[0]=616263 a1[1]="def" a2=""`,
		"a1", "abcdef", "a1_len", "6", "CommandLine", "echo abcdef ")
	// PATH names and cwd, quoted or hex; (null) is kept as written.
	f(`type=PATH msg=audit(1.000:1): item=0 name=2F746D702F6120622E7368 nametype=CREATE`, "name", "/tmp/a b.sh", "nametype", "CREATE")
	f(`type=PATH msg=audit(1.000:1): item=0 name=(null) inode=5`, "name", "(null)")
	f(`type=CWD msg=audit(1.000:1): cwd="/root"`, "cwd", "/root", "process.working_directory", "/root")
	// node= before type=, and the ENRICHED part.
	f("node=web01 type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=no exit=-2 uid=33\x1dARCH=x86_64 SYSCALL=execve UID=\"www-data\"",
		"host.name", "web01", "node", "", "SYSCALL", "execve", "ARCH", "x86_64", "User", "www-data", "user.name", "www-data",
		"event.outcome", "failure", "event.category", "process")
	// A user-space record whose message has a quote in it.
	f(`type=USER_CMD msg=audit(1.000:1): pid=1 uid=1000 msg='cwd="/home/a" cmd=6964202D75 terminal=pts/0 res=success'`,
		"cmd", "id -u", "cwd", "/home/a", "res", "success", "event.outcome", "success")
	// SELinux words that are not pairs are skipped.
	f(`type=AVC msg=audit(1.000:1): avc:  denied  { read } for  pid=1 comm="cat" name="shadow"`, "pid", "1", "comm", "cat", "name", "shadow")
	// A numeric type from the kernel, and one unknown to the table.
	f(`type=1327 audit(1.000:1): proctitle="cat"`, "type", "PROCTITLE")
	f(`type=9999 audit(1.000:1): x=1`, "type", "UNKNOWN[9999]")
}

// TestGrouping checks when events are cut.
func TestGrouping(t *testing.T) {
	rec := func(serial, typ, rest string) string {
		return "type=" + typ + " msg=audit(1700000000.000:" + serial + "): " + rest + "\n"
	}
	serials := func(c *decode.Collect) []string {
		var out []string
		for _, e := range c.Events {
			if e.Kind == event.KindPipelineError {
				out = append(out, "error")
				continue
			}
			s, _ := e.Get(FieldSequence)
			out = append(out, s+":"+strings.Join(values(e, "type"), ","))
		}
		return out
	}
	tests := []struct {
		name string
		d    Decoder
		in   string
		want []string
	}{
		{"serial change", Decoder{}, rec("1", "SYSCALL", "") + rec("1", "CWD", "") + rec("2", "SYSCALL", ""),
			[]string{"1:SYSCALL,CWD", "2:SYSCALL"}},
		{"EOE ends", Decoder{}, rec("1", "SYSCALL", "") + rec("1", "EOE", "") + rec("1", "PATH", ""),
			[]string{"1:SYSCALL,EOE", "1:PATH"}},
		{"user-space record alone", Decoder{}, rec("1", "USER_CMD", "") + rec("1", "USER_CMD", ""),
			[]string{"1:USER_CMD", "1:USER_CMD"}},
		{"malformed between", Decoder{}, rec("1", "SYSCALL", "") + "junk\n" + rec("1", "CWD", ""),
			[]string{"1:SYSCALL", "error", "1:CWD"}},
		{"record limit", Decoder{MaxRecords: 2}, rec("1", "SYSCALL", "") + rec("1", "PATH", "") + rec("1", "PATH", "item=1"),
			[]string{"1:SYSCALL,PATH", "1:PATH"}},
		{"byte limit", Decoder{MaxRecord: 60}, rec("1", "SYSCALL", "") + rec("1", "PATH", ""),
			[]string{"1:SYSCALL", "1:PATH"}},
		{"nodes apart", Decoder{}, "node=a " + rec("1", "SYSCALL", "") + "node=b " + rec("1", "SYSCALL", ""),
			[]string{"1:SYSCALL", "1:SYSCALL"}},
		{"blank lines", Decoder{}, "\n" + rec("1", "SYSCALL", "") + "\r\n\n" + rec("1", "CWD", ""),
			[]string{"1:SYSCALL,CWD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeString(t, tt.d, tt.in)
			if diff := cmp.Diff(tt.want, serials(c)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTooLarge checks that a line over MaxRecord is rejected, not
// delivered, and does not end the event around it.
func TestTooLarge(t *testing.T) {
	in := "type=SYSCALL msg=audit(1.000:1): pid=1\n" +
		"type=EXECVE msg=audit(1.000:1): argc=1 a0=\"" + strings.Repeat("x", 200) + "\"\n" +
		"type=EOE msg=audit(1.000:1): \n"
	c := decodeString(t, Decoder{MaxRecord: 100}, in)
	if c.Rejected["too_large"] != 1 || len(c.Events) != 1 {
		t.Fatalf("got %d events and rejections %v, want 1 event and 1 too_large", len(c.Events), c.Rejected)
	}
	check(t, c.Events[0], "type", "SYSCALL", "type", "EOE")
}

// failSink fails on the first event.
type failSink struct{ events int }

var errStop = errors.New("stop")

func (s *failSink) Event(*event.Event) error { s.events++; return errStop }
func (s *failSink) Reject(string, int)       {}

func TestSinkError(t *testing.T) {
	in := "type=SYSCALL msg=audit(1.000:1): pid=1\ntype=SYSCALL msg=audit(1.000:2): pid=2\ntype=SYSCALL msg=audit(1.000:3): pid=3\n"
	var s failSink
	if err := (Decoder{}).Decode(strings.NewReader(in), &s); !errors.Is(err, errStop) {
		t.Fatalf("Decode = %v, want the sink's error", err)
	}
	if s.events != 1 {
		t.Errorf("sink called %d times after failing, want 1", s.events)
	}
}

// errReader returns data, then a read error.
type errReader struct{ data *bytes.Reader }

var errRead = errors.New("disk on fire")

func (r errReader) Read(p []byte) (int, error) {
	if r.data.Len() == 0 {
		return 0, errRead
	}
	return r.data.Read(p)
}

// TestReadError checks that the event read before a read error is
// delivered.
func TestReadError(t *testing.T) {
	in := "type=SYSCALL msg=audit(1.000:1): pid=1\ntype=CWD msg=audit(1.000:1): cwd=\"/\"\n"
	var c decode.Collect
	err := (Decoder{}).Decode(errReader{bytes.NewReader([]byte(in))}, &c)
	if !errors.Is(err, errRead) {
		t.Fatalf("Decode = %v, want the read error", err)
	}
	if len(c.Events) != 1 {
		t.Fatalf("got %d events, want the 1 read before the error", len(c.Events))
	}
}

func TestLooks(t *testing.T) {
	f := func(head string, want bool) {
		t.Helper()
		if got := Looks([]byte(head)); got != want {
			t.Errorf("Looks(%.60q) = %v, want %v", head, got, want)
		}
	}
	f("type=SYSCALL msg=audit(1684329817.579:2995): arch=c000003e syscall=59\n", true)
	f("node=web01 type=EXECVE msg=audit(1684329817.579:2995): argc=1 a0=\"id\"\n", true)
	f("type=DAEMON_START msg=audit(1684329817.579:1): op=start ver=3.0.9", true) // one partial line
	f("May 17 13:23:37 web01 audispd: type=SYSCALL msg=audit(1.000:1): pid=1\nMay 17 13:23:37 web01 audispd: type=EOE msg=audit(1.000:1): \n", true)
	f("May 17 13:23:38 web02 kernel: audit: type=1300 audit(1.000:2): pid=2\n", true)
	// A syslog file with an audit line among others is syslog.
	f("May 17 13:23:37 web01 audispd: type=SYSCALL msg=audit(1.000:1): pid=1\nMay 17 13:23:38 web01 sshd[1]: Accepted password for a\n", false)
	f("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n", false)
	f("filetype=SYSCALL msg=audit(1.000:1):\n", false)
	f(`{"type":"SYSCALL","msg":"audit(1.000:1)"}`, false)
	f("", false)
}
