package ndjson

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/ingest"
)

// Submitter is what the handler needs from the ingest pipeline.
type Submitter interface {
	TrySubmit(ctx context.Context, events []*event.Event) error
	Reject(src event.SourceID, reason string)
}

// Config configures a Handler. Only Submit and JSON are required.
type Config struct {
	Submit Submitter
	// JSON decodes one JSON object line into an event (format=json).
	JSON decode.LineFunc
	// Decoder returns the decoder for a format name other than json and
	// vigie; nil means only those two are accepted.
	Decoder func(format string) (decode.Decoder, bool)
	// MaxBody limits a request body after decompression; default 64 MiB.
	MaxBody int64
	// MaxRecord limits one line; default decode.DefaultMaxRecord.
	MaxRecord int
}

// Handler serves POST /api/v1/events.
type Handler struct{ cfg Config }

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxRecord <= 0 {
		cfg.MaxRecord = decode.DefaultMaxRecord
	}
	return &Handler{cfg: cfg}
}

// Response is the JSON body of a 200 answer.
type Response struct {
	Accepted  int `json:"accepted"`
	Malformed int `json:"malformed"`
	Rejected  int `json:"rejected"`
}

// sink collects the events of one request.
type sink struct {
	src      event.SourceID
	sub      Submitter
	events   []*event.Event
	rejected int
}

func (s *sink) Event(e *event.Event) error {
	e.Source = s.src
	s.events = append(s.events, e)
	return nil
}

func (s *sink) Reject(reason string, size int) {
	s.rejected++
	s.sub.Reject(s.src, reason)
}

// SourceFor names the source of an HTTP request: the X-Vigie-Source header
// or "source" query parameter when given, else the client address.
func SourceFor(r *http.Request, transport string) event.SourceID {
	name := r.Header.Get("X-Vigie-Source")
	if name == "" {
		name = r.URL.Query().Get("source")
	}
	if name == "" {
		name = r.RemoteAddr
		if i := strings.LastIndexByte(name, ':'); i > 0 {
			name = name[:i]
		}
	}
	if len(name) > 128 {
		name = name[:128]
	}
	return event.SourceID(transport + "/" + name)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpError(w, http.StatusMethodNotAllowed, 0, "use POST with one record per line")
		return
	}
	src := SourceFor(r, "http")
	format := r.URL.Query().Get("format")
	dec, err := h.decoder(format)
	if err != nil {
		httpError(w, http.StatusBadRequest, 0, err.Error())
		return
	}
	body, err := Body(w, r, h.cfg.MaxBody)
	if err != nil {
		httpError(w, http.StatusBadRequest, 0, err.Error())
		return
	}
	defer body.Close()
	s := &sink{src: src, sub: h.cfg.Submit}
	if err := dec.Decode(body, s); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			h.cfg.Submit.Reject(src, "body_too_large")
			httpError(w, http.StatusRequestEntityTooLarge, 0,
				fmt.Sprintf("request body over %d bytes; send smaller batches", h.cfg.MaxBody))
			return
		}
		httpError(w, http.StatusBadRequest, 0, fmt.Sprintf("reading body: %v", err))
		return
	}
	if err := h.cfg.Submit.TrySubmit(r.Context(), s.events); err != nil {
		status, retry := ingest.HTTPStatus(err)
		httpError(w, status, retry, err.Error())
		return
	}
	resp := Response{Accepted: len(s.events), Rejected: s.rejected}
	for _, e := range s.events {
		if e.Kind == event.KindPipelineError {
			resp.Malformed++
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (h *Handler) decoder(format string) (decode.Decoder, error) {
	switch format {
	case "", "json", "ndjson":
		return decode.Func(func(r io.Reader, s decode.Sink) error {
			return decode.Lines(r, h.cfg.MaxRecord, "json", s, h.cfg.JSON)
		}), nil
	case "vigie":
		return decode.Func(func(r io.Reader, s decode.Sink) error {
			return decode.Lines(r, h.cfg.MaxRecord, "vigie", s, vigieLine)
		}), nil
	}
	if h.cfg.Decoder != nil {
		if d, ok := h.cfg.Decoder(format); ok {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown format %q: use json, vigie, or a format that \"vigie ingest --help\" lists", format)
}

// vigieLine decodes Vigie's own event JSON. The event keeps the raw bytes
// and format of the original record; a line that is not valid event JSON
// is kept raw as malformed.
func vigieLine(line []byte, e *event.Event) error {
	var got event.Event
	if err := json.Unmarshal(line, &got); err != nil {
		return fmt.Errorf("not Vigie event JSON: %w", err)
	}
	got.ID = 0
	got.Received = e.Received
	*e = got
	e.Sort()
	return nil
}

// Body returns the request body, decompressed when Content-Encoding is
// gzip, limited to max bytes after decompression: reading past the limit
// returns an *http.MaxBytesError.
func Body(w http.ResponseWriter, r *http.Request, max int64) (io.ReadCloser, error) {
	body := http.MaxBytesReader(w, r.Body, max)
	switch strings.ToLower(r.Header.Get("Content-Encoding")) {
	case "", "identity":
		return body, nil
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		return &limitedGzip{zr: zr, body: body, left: max, max: max}, nil
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q: send gzip or none", r.Header.Get("Content-Encoding"))
	}
}

// limitedGzip limits the decompressed size, against compression bombs.
type limitedGzip struct {
	zr   *gzip.Reader
	body io.ReadCloser
	left int64
	max  int64
}

func (l *limitedGzip) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, _ := l.zr.Read(one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, &http.MaxBytesError{Limit: l.max}
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.zr.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedGzip) Close() error {
	return errors.Join(l.zr.Close(), l.body.Close())
}

// httpError writes a JSON error body.
func httpError(w http.ResponseWriter, status, retryAfter int, msg string) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(map[string]string{"error": msg})
	w.Write(b.Bytes())
}
