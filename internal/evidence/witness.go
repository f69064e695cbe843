package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/webhook"
)

// WitnessConfig is one outside party that receives every new checkpoint.
// Exactly one field is set. YAML:
//
//   - file: /mnt/other/checkpoints.log
//   - webhook: {url: https://witness.example/vigie, secret: "…"}
//   - syslog: {address: "siem.example:514", network: udp}
type WitnessConfig struct {
	// File is a file, preferably on another volume or host, to which each
	// checkpoint is appended as one JSON line and synced.
	File    string                `yaml:"file,omitempty"`
	Webhook *WebhookWitnessConfig `yaml:"webhook,omitempty"`
	Syslog  *SyslogWitnessConfig  `yaml:"syslog,omitempty"`
}

// WebhookWitnessConfig posts each checkpoint's JSON, signed with the
// secret as package webhook describes.
type WebhookWitnessConfig struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
	// AllowPrivate lets the webhook reach loopback and private addresses,
	// which the SSRF guard refuses by default.
	AllowPrivate bool          `yaml:"allow_private,omitempty"`
	Timeout      time.Duration `yaml:"timeout,omitempty"` // default 10s
}

// SyslogWitnessConfig sends each checkpoint as one RFC 5424 line.
type SyslogWitnessConfig struct {
	Address string `yaml:"address"`           // host:port
	Network string `yaml:"network,omitempty"` // udp (default) or tcp
}

// defaultWitnessTimeout bounds one delivery to a webhook or syslog witness.
const defaultWitnessTimeout = 10 * time.Second

// witness receives checkpoints. Push is called by one goroutine at a
// time per witness.
type witness interface {
	name() string
	push(ctx context.Context, c Checkpoint) error
}

// newWitness builds the witness of cfg; key names it in errors
// ("evidence.witnesses[0]"), origin is the instance name for syslog.
func newWitness(cfg WitnessConfig, key, origin string) (witness, error) {
	set := 0
	for _, ok := range []bool{cfg.File != "", cfg.Webhook != nil, cfg.Syslog != nil} {
		if ok {
			set++
		}
	}
	if set != 1 {
		return nil, fmt.Errorf("%s: set exactly one of file, webhook or syslog", key)
	}
	switch {
	case cfg.File != "":
		return fileWitness{path: cfg.File}, nil
	case cfg.Webhook != nil:
		w := cfg.Webhook
		if w.URL == "" || w.Secret == "" {
			return nil, fmt.Errorf("%s.webhook: url and secret are required", key)
		}
		timeout := w.Timeout
		if timeout <= 0 {
			timeout = defaultWitnessTimeout
		}
		guard := webhook.Guard{AllowLoopback: w.AllowPrivate, AllowPrivate: w.AllowPrivate, Setting: key + ".webhook.allow_private"}
		return &webhookWitness{url: w.URL, secret: []byte(w.Secret), client: webhook.NewClient(timeout, guard)}, nil
	default:
		s := cfg.Syslog
		network := s.Network
		if network == "" {
			network = "udp"
		}
		if network != "udp" && network != "tcp" {
			return nil, fmt.Errorf("%s.syslog.network: %q, want udp or tcp", key, s.Network)
		}
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			return nil, fmt.Errorf("%s.syslog.address: %w", key, err)
		}
		return syslogWitness{network: network, address: s.Address, origin: origin}, nil
	}
}

// fileWitness appends checkpoints as JSON lines and syncs the file.
type fileWitness struct{ path string }

func (w fileWitness) name() string { return "file:" + w.path }

func (w fileWitness) push(_ context.Context, c Checkpoint) error {
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening witness file: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing witness file %s: %w", w.path, err)
	}
	return nil
}

// webhookWitness posts each checkpoint.
type webhookWitness struct {
	url    string
	secret []byte
	client *http.Client
}

func (w *webhookWitness) name() string { return "webhook:" + w.url }

func (w *webhookWitness) push(ctx context.Context, c Checkpoint) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("witness webhook: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.TimestampHeader, ts)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(w.secret, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("witness webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("witness webhook %s answered %s", w.url, resp.Status)
	}
	return nil
}

// syslogWitness sends one RFC 5424 message per checkpoint: facility
// log audit (13), severity informational, app "vigie", msgid
// "checkpoint", the checkpoint's JSON as message. Over TCP it is framed
// by octet counting (RFC 6587).
type syslogWitness struct {
	network, address, origin string
}

func (w syslogWitness) name() string { return "syslog:" + w.network + "/" + w.address }

func (w syslogWitness) push(ctx context.Context, c Checkpoint) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("<110>1 %s %s vigie - checkpoint - %s",
		c.Time.UTC().Format(time.RFC3339Nano), syslogName(w.origin), body)
	if w.network == "tcp" {
		msg = strconv.Itoa(len(msg)) + " " + msg
	}
	d := net.Dialer{Timeout: defaultWitnessTimeout}
	conn, err := d.DialContext(ctx, w.network, w.address)
	if err != nil {
		return fmt.Errorf("witness syslog: %w", err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(defaultWitnessTimeout)); err != nil {
		return fmt.Errorf("witness syslog: %w", err)
	}
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("witness syslog %s: %w", w.address, err)
	}
	return nil
}

// syslogName makes origin a valid RFC 5424 HOSTNAME: printable ASCII
// without spaces, at most 255 characters, "-" when empty.
func syslogName(origin string) string {
	b := []byte(origin)
	for i, c := range b {
		if c <= ' ' || c > '~' {
			b[i] = '_'
		}
	}
	if len(b) > 255 {
		b = b[:255]
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

// Bounds of ReadWitnessFile.
const (
	maxWitnessLine        = 4096
	MaxWitnessCheckpoints = 10_000_000
)

// ReadWitnessFile reads the checkpoints a file witness wrote: one JSON
// checkpoint per line; empty lines are skipped. It checks their form, not
// their signatures (Verify does). Errors name the file and line.
func ReadWitnessFile(path string) ([]Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading witness file: %w", err)
	}
	defer f.Close()
	cs, err := readWitness(f)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return cs, nil
}

// readWitness reads witness lines; its errors start with "LINE: ".
func readWitness(r io.Reader) ([]Checkpoint, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxWitnessLine)
	var out []Checkpoint
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if len(out) == MaxWitnessCheckpoints {
			return nil, fmt.Errorf("%d: more than %d checkpoints", line, MaxWitnessCheckpoints)
		}
		var c Checkpoint
		if err := json.Unmarshal(text, &c); err != nil {
			return nil, fmt.Errorf("%d: %w", line, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%d: line longer than %d bytes: not a checkpoint", line+1, maxWitnessLine)
		}
		return nil, fmt.Errorf("%d: %w", line+1, err)
	}
	return out, nil
}
