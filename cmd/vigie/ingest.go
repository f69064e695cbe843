package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// ingestBatch is the number of events sent per request.
const ingestBatch = 2000

type fileResult struct {
	File      string `json:"file"`
	Format    string `json:"format"`
	Events    int    `json:"events"`
	Malformed int    `json:"malformed"`
	Rejected  int    `json:"rejected"`
	Error     string `json:"error,omitempty"`
}

func newIngestCommand() *cobra.Command {
	var (
		client    clientFlags
		format    string
		source    string
		asJSON    bool
		noBar     bool
		maxRecord int
	)
	registry := detect.New(detect.Config{})
	cmd := &cobra.Command{
		Use:   "ingest --server URL [flags] FILE...",
		Short: "Send log files to a Vigie server",
		Long: `Decode log files and send their events to a running Vigie server, which
answers only once they are durably stored. The format of each file is
detected from its content; --format forces one. "-" reads standard input.

Formats: ` + strings.Join(registry.Names(), ", ") + `.

Each record's original bytes are sent with it and stored unchanged.
Records that cannot be decoded are sent and stored raw, marked malformed.
A file that cannot be read to the end (a truncated EVTX file, say) is
reported with the offset of the fault; the other files are still sent.`,
		Example: `  vigie ingest --server http://127.0.0.1:8080 /var/log/auth.log
  vigie ingest --format zeek conn.log.gz dns.log.gz
  vigie ingest --json Security.evtx System.evtx
  cat events.ndjson | vigie ingest --format json -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := client.resolveToken()
			if err != nil {
				return err
			}
			registry = detect.New(detect.Config{MaxRecord: maxRecord})
			if format != "" {
				if _, ok := registry.ByName(format); !ok {
					return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(registry.Names(), ", "))
				}
			}
			var total int64
			for _, a := range args {
				if fi, err := os.Stat(a); err == nil {
					total += fi.Size()
				}
			}
			var bar *progressbar.ProgressBar
			if !noBar && !asJSON {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
					progressbar.OptionShowBytes(true), progressbar.OptionSetDescription("ingest"),
					progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
			}
			s := &sender{ctx: cmd.Context(), client: &client, token: token, http: &http.Client{Timeout: 5 * time.Minute}}
			var failed int
			out := cmd.OutOrStdout()
			for _, path := range args {
				res := ingestFile(s, registry, path, format, source, bar)
				if res.Error != "" {
					failed++
				}
				if asJSON {
					json.NewEncoder(out).Encode(res)
				} else {
					if bar != nil {
						bar.Clear()
					}
					line := fmt.Sprintf("%s: %s, %d events (%d malformed, %d rejected)", res.File, res.Format, res.Events, res.Malformed, res.Rejected)
					if res.Error != "" {
						line += ": " + res.Error
					}
					fmt.Fprintln(out, line)
				}
				if cmd.Context().Err() != nil {
					return cmd.Context().Err()
				}
			}
			if bar != nil {
				bar.Finish()
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d files not fully ingested", failed, len(args))
			}
			return nil
		},
	}
	client.register(cmd)
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "force the input format instead of detecting it")
	f.StringVar(&source, "source", "", "source name to record (default file/<file name>)")
	f.BoolVar(&asJSON, "json", false, "print one JSON result per file instead of text")
	f.BoolVar(&noBar, "no-progress", false, "do not draw a progress bar")
	f.IntVar(&maxRecord, "max-record", decode.DefaultMaxRecord, "largest record accepted, in bytes")
	return cmd
}

// ingestFile decodes one file and sends its events.
func ingestFile(s *sender, reg *detect.Registry, path, format, source string, bar *progressbar.ProgressBar) fileResult {
	res := fileResult{File: path}
	if path == "-" {
		res.File = "stdin"
	}
	if source == "" {
		source = "file/" + filepath.Base(res.File)
	}
	s.source = source
	sk := &ingestSink{s: s, res: &res}
	var progress io.Writer
	if bar != nil {
		progress = bar
	}
	var err error
	res.Format, err = decodeFile(reg, path, format, progress, sk)
	if ferr := sk.flush(); err == nil {
		err = ferr
	}
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// decodeFile decodes the file at path ("-" for standard input) into sink,
// detecting its format from its content unless format is given, and
// returns the format used. When progress is not nil, the bytes read are
// written to it as they are read.
func decodeFile(reg *detect.Registry, path, format string, progress io.Writer, sink decode.Sink) (string, error) {
	var f *os.File
	if path == "-" {
		f = os.Stdin
	} else {
		var err error
		if f, err = os.Open(path); err != nil {
			return format, err
		}
		defer f.Close()
	}
	br := bufio.NewReaderSize(f, 64<<10)
	if format == "" {
		head, _ := br.Peek(16 << 10)
		format = reg.Detect(head, path)
	}
	dec, ok := reg.ByName(format)
	if !ok {
		return format, fmt.Errorf("unknown format %q", format)
	}
	var src io.Reader = br
	if progress != nil {
		src = io.TeeReader(br, progress)
	}
	// EVTX is read in chunks from the start: give it the file itself.
	if format == detect.EVTX {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			src = f
			if progress != nil {
				src = io.TeeReader(f, progress)
			}
		}
	}
	return format, dec.Decode(src, sink)
}

type ingestSink struct {
	s     *sender
	res   *fileResult
	batch []*event.Event
}

func (k *ingestSink) Event(e *event.Event) error {
	k.res.Events++
	if e.Kind == event.KindPipelineError {
		k.res.Malformed++
	}
	k.batch = append(k.batch, e)
	if len(k.batch) >= ingestBatch {
		return k.flush()
	}
	return nil
}

func (k *ingestSink) Reject(reason string, size int) { k.res.Rejected++ }

func (k *ingestSink) flush() error {
	if len(k.batch) == 0 {
		return nil
	}
	err := k.s.send(k.batch)
	k.batch = k.batch[:0]
	return err
}

// sender posts batches of events to the server, retrying while it answers
// 429 or 503.
type sender struct {
	ctx    context.Context
	client *clientFlags
	token  string
	source string
	http   *http.Client
}

func (s *sender) send(events []*event.Event) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("encoding event: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.client.url("/api/v1/events?format=vigie"), bytes.NewReader(buf.Bytes()))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+s.token)
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("X-Vigie-Source", s.source)
		resp, err := s.http.Do(req)
		if err != nil {
			if s.ctx.Err() != nil || attempt >= 5 {
				return fmt.Errorf("sending events: %w", err)
			}
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return nil
			case http.StatusTooManyRequests, http.StatusServiceUnavailable:
				if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
					backoff = time.Duration(secs) * time.Second
				}
				if attempt >= 30 {
					return apiError(resp, body)
				}
			default:
				return apiError(resp, body)
			}
		}
		select {
		case <-time.After(backoff):
		case <-s.ctx.Done():
			return errors.Join(errors.New("interrupted"), s.ctx.Err())
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}
