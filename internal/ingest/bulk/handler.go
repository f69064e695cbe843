package bulk

import (
	"bufio"
	"bytes"
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
	"github.com/vigie-sec/vigie/internal/ingest/ndjson"
)

// Submitter is what the handler needs from the ingest pipeline.
type Submitter interface {
	TrySubmit(ctx context.Context, events []*event.Event) error
	Reject(src event.SourceID, reason string)
}

// Config configures a Handler. Submit and JSON are required.
type Config struct {
	Submit Submitter
	// JSON decodes one document into an event.
	JSON decode.LineFunc
	// MaxBody limits a request body after decompression; default 64 MiB.
	MaxBody int64
	// MaxRecord limits one document; default decode.DefaultMaxRecord.
	MaxRecord int
	// Version is the Elasticsearch version announced to clients;
	// default "8.11.0".
	Version string
}

// Handler serves the Elasticsearch subset. Mount it at "/" below the API's
// own routes: it answers every path it knows and 404 otherwise.
type Handler struct{ cfg Config }

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxRecord <= 0 {
		cfg.MaxRecord = decode.DefaultMaxRecord
	}
	if cfg.Version == "" {
		cfg.Version = "8.11.0"
	}
	return &Handler{cfg: cfg}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	path := strings.Trim(r.URL.Path, "/")
	parts := strings.Split(path, "/")
	switch {
	case path == "":
		h.root(w, r)
	case parts[len(parts)-1] == "_bulk" && len(parts) <= 2:
		index := ""
		if len(parts) == 2 {
			index = parts[0]
		}
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			esError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST for _bulk")
			return
		}
		h.bulk(w, r, index)
	case parts[0] == "_license":
		writeJSON(w, http.StatusOK, map[string]any{"license": map[string]string{"status": "active", "type": "basic", "uid": "vigie"}})
	case parts[0] == "_xpack":
		writeJSON(w, http.StatusOK, map[string]any{"features": map[string]any{}})
	case parts[0] == "_index_template", parts[0] == "_template", parts[0] == "_ilm",
		parts[0] == "_ingest", parts[0] == "_component_template", parts[0] == "_data_stream",
		parts[0] == "_alias", parts[0] == "_nodes", parts[0] == "_cluster":
		// Set-up calls: accept them. A GET for a named template answers
		// that it exists so clients do not try to install it on every start.
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		writeJSON(w, http.StatusOK, map[string]any{"acknowledged": true})
	default:
		esError(w, http.StatusNotFound, "not_found", fmt.Sprintf("Vigie implements only _bulk and the shipper handshake, not %s %s", r.Method, r.URL.Path))
	}
}

func (h *Handler) root(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":         "vigie",
		"cluster_name": "vigie",
		"cluster_uuid": "vigie",
		"version": map[string]any{
			"number":                              h.cfg.Version,
			"build_flavor":                        "default",
			"build_type":                          "vigie",
			"lucene_version":                      "9.8.0",
			"minimum_wire_compatibility_version":  "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

// item is one entry of the response's "items".
type item map[string]itemResult

type itemResult struct {
	Index  string   `json:"_index"`
	ID     string   `json:"_id,omitempty"`
	Status int      `json:"status"`
	Result string   `json:"result,omitempty"`
	Error  *esCause `json:"error,omitempty"`
}

type esCause struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// action is the metadata line of a bulk entry.
type action map[string]struct {
	Index string `json:"_index"`
	ID    string `json:"_id"`
}

func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, defaultIndex string) {
	body, err := ndjson.Body(w, r, h.cfg.MaxBody)
	if err != nil {
		esError(w, http.StatusBadRequest, "parse_exception", err.Error())
		return
	}
	defer body.Close()
	bound := r.Header.Get("X-Vigie-Source")
	if len(bound) > 128 {
		bound = bound[:128]
	}
	var (
		events []*event.Event
		items  []item
		sub    = h.cfg.Submit
	)
	br := bufio.NewReaderSize(body, 64<<10)
	lineNo := 0
	next := func() ([]byte, error) {
		for {
			line, err := readLine(br, h.cfg.MaxRecord)
			lineNo++
			if len(bytes.TrimSpace(line)) > 0 || err != nil {
				return line, err
			}
		}
	}
	for {
		meta, err := next()
		if err == io.EOF && len(bytes.TrimSpace(meta)) == 0 {
			break
		}
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			sub.Reject(event.SourceID("bulk/"+defaultIndex), "body_too_large")
			esError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception",
				fmt.Sprintf("request body over %d bytes; lower the shipper's bulk_max_size", h.cfg.MaxBody))
			return
		}
		if err != nil && err != io.EOF && !errors.Is(err, errTooLarge) {
			esError(w, http.StatusBadRequest, "parse_exception", fmt.Sprintf("line %d: %v", lineNo, err))
			return
		}
		var a action
		if jerr := json.Unmarshal(meta, &a); jerr != nil || len(a) != 1 {
			esError(w, http.StatusBadRequest, "illegal_argument_exception",
				fmt.Sprintf("line %d: expected an action line such as {\"index\":{}}", lineNo))
			return
		}
		var op string
		for k := range a {
			op = k
		}
		index := a[op].Index
		if index == "" {
			index = defaultIndex
		}
		if op == "delete" {
			items = append(items, item{op: {Index: index, ID: a[op].ID, Status: http.StatusBadRequest,
				Error: &esCause{Type: "action_request_validation_exception", Reason: "Vigie never deletes stored events"}}})
			continue
		}
		doc, derr := next()
		src := event.SourceID("bulk/" + index)
		if bound != "" {
			src = event.SourceID("bulk/" + bound)
		}
		switch {
		case errors.Is(derr, errTooLarge):
			sub.Reject(src, "too_large")
			items = append(items, item{op: {Index: index, Status: http.StatusRequestEntityTooLarge,
				Error: &esCause{Type: "content_too_long_exception", Reason: fmt.Sprintf("document over %d bytes", h.cfg.MaxRecord)}}})
			continue
		case derr != nil && derr != io.EOF:
			esError(w, http.StatusBadRequest, "parse_exception", fmt.Sprintf("line %d: %v", lineNo, derr))
			return
		case len(bytes.TrimSpace(doc)) == 0:
			esError(w, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("line %d: action %q without a document", lineNo, op))
			return
		}
		if op != "index" && op != "create" {
			items = append(items, item{op: {Index: index, ID: a[op].ID, Status: http.StatusBadRequest,
				Error: &esCause{Type: "action_request_validation_exception", Reason: "Vigie accepts only index and create: stored events are never altered"}}})
			continue
		}
		c := &collector{src: src}
		if err := decode.Line(doc, "json", c, h.cfg.JSON); err != nil {
			esError(w, http.StatusInternalServerError, "exception", err.Error())
			return
		}
		if c.e != nil {
			if index != "" {
				c.e.Set("vigie.bulk_index", index)
			}
			events = append(events, c.e)
		}
		items = append(items, item{op: {Index: index, ID: a[op].ID, Status: http.StatusCreated, Result: "created"}})
		if derr == io.EOF {
			break
		}
	}
	if err := sub.TrySubmit(r.Context(), events); err != nil {
		status, retry := ingest.HTTPStatus(err)
		if retry > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(retry))
		}
		typ := "es_rejected_execution_exception"
		if status != http.StatusTooManyRequests {
			typ = "unavailable_shards_exception"
		}
		esError(w, status, typ, err.Error())
		return
	}
	anyErr := false
	for _, it := range items {
		for _, res := range it {
			anyErr = anyErr || res.Status >= 300
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"took": 1, "errors": anyErr, "items": items})
}

type collector struct {
	src event.SourceID
	e   *event.Event
}

func (c *collector) Event(e *event.Event) error {
	e.Source = c.src
	c.e = e
	return nil
}

func (c *collector) Reject(string, int) {}

var errTooLarge = errors.New("line too large")

// readLine reads one line; a line over max is consumed and reported as
// errTooLarge.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) <= max {
				long = append(long, chunk...)
			}
			continue
		}
		line := chunk
		if long != nil {
			long = append(long, chunk...)
			line = long
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > max {
			if err == nil || err == io.EOF {
				return nil, errTooLarge
			}
		}
		return bytes.Clone(line), err
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func esError(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, map[string]any{
		"error":  map[string]any{"type": typ, "reason": reason, "root_cause": []esCause{{Type: typ, Reason: reason}}},
		"status": status,
	})
}
