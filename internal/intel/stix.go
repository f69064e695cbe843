package intel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/TcM1911/stix2"
)

// stixHeader is what is read of every object of a bundle before the
// indicators are handed to package stix2: enough to name the object in
// errors, to check that its timestamps are strings (stix2.Timestamp
// panics on a JSON number), and to tell an absent confidence from 0.
type stixHeader struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Created    json.RawMessage `json:"created"`
	Modified   json.RawMessage `json:"modified"`
	ValidFrom  json.RawMessage `json:"valid_from"`
	ValidUntil json.RawMessage `json:"valid_until"`
	Confidence *int            `json:"confidence"`
}

// ParseSTIX reads a STIX 2.1 bundle. Indicator objects whose pattern_type
// is "stix" and whose pattern is in the subset Vigie matches (see
// parsePattern) become indicators; other indicators are skipped with the
// reason, and other objects (malware, relationships, identities…) are
// ignored. Of several versions of one indicator, the one last modified is
// kept. Revoked indicators are skipped.
//
// Each indicator takes its ID from the STIX id (with "#type:value" added
// when the pattern names several values), its Name, Description,
// ValidFrom, ValidUntil and Confidence from the object (DefaultConfidence
// when it has none), and its Labels from labels, indicator_types and the
// MITRE ATT&CK kill chain phases ("attack.<phase>").
//
// The file is rejected, with the index and id of the object at fault, when
// it is not a bundle, when an object has no valid type and id, or when an
// indicator lacks pattern, pattern_type or valid_from, has a timestamp that
// is not RFC 3339, a confidence outside 0–100, valid_until not after
// valid_from, or a pattern that is not valid STIX patterning.
func (o Options) ParseSTIX(r io.Reader, source string) (*ImportReport, error) {
	o = o.withDefaults()
	data, err := readLimited(r, o.MaxBytes, source)
	if err != nil {
		return nil, err
	}
	var bundle stix2.Bundle
	if err := json.Unmarshal(data, &bundle); err != nil {
		return nil, jsonError(source, data, err, "not a STIX bundle")
	}
	if bundle.Type != stix2.TypeBundle {
		return nil, &ParseError{Source: source, Msg: fmt.Sprintf("type is %q, want \"bundle\"", bundle.Type)}
	}
	if len(bundle.Objects) > o.MaxObjects {
		return nil, fmt.Errorf("%s: %d objects, over %d: %w", source, len(bundle.Objects), o.MaxObjects, ErrTooLarge)
	}
	type version struct {
		ind      *stix2.Indicator
		hdr      stixHeader
		where    string
		modified time.Time
	}
	var order []string
	latest := map[string]version{}
	rep := &ImportReport{}
	for i, raw := range bundle.Objects {
		where := fmt.Sprintf("objects[%d]", i)
		fail := func(msg string, err error) error {
			return &ParseError{Source: source, Object: where, Msg: msg, Err: err}
		}
		var hdr stixHeader
		if err := json.Unmarshal(raw, &hdr); err != nil {
			return nil, fail("not a STIX object", err)
		}
		if hdr.ID != "" {
			where += " " + hdr.ID
		}
		if hdr.Type == "" {
			return nil, fail("object has no type", nil)
		}
		if !stix2.IsValidIdentifier(stix2.Identifier(hdr.ID)) || !strings.HasPrefix(hdr.ID, hdr.Type+"--") {
			return nil, fail(fmt.Sprintf("id %q is not %s--<uuid>", hdr.ID, hdr.Type), nil)
		}
		if hdr.Type != string(stix2.TypeIndicator) {
			continue
		}
		times := map[string]json.RawMessage{"created": hdr.Created, "modified": hdr.Modified,
			"valid_from": hdr.ValidFrom, "valid_until": hdr.ValidUntil}
		for _, name := range []string{"created", "modified", "valid_from", "valid_until"} {
			if err := checkTimestamp(times[name]); err != nil {
				return nil, fail(name, err)
			}
		}
		var ind stix2.Indicator
		if err := json.Unmarshal(raw, &ind); err != nil {
			return nil, fail("not a STIX indicator", err)
		}
		switch {
		case ind.Pattern == "":
			return nil, fail("indicator has no pattern", nil)
		case ind.PatternType == "":
			return nil, fail("indicator has no pattern_type", nil)
		case ind.ValidFrom == nil:
			return nil, fail("indicator has no valid_from", nil)
		case hdr.Confidence != nil && (*hdr.Confidence < 0 || *hdr.Confidence > 100):
			return nil, fail(fmt.Sprintf("confidence %d is outside 0-100", *hdr.Confidence), nil)
		case ind.ValidUntil != nil && !ind.ValidUntil.After(ind.ValidFrom.Time):
			return nil, fail("valid_until is not after valid_from", nil)
		}
		v := version{ind: &ind, hdr: hdr, where: where}
		if ind.Modified != nil {
			v.modified = ind.Modified.Time
		}
		prev, seen := latest[hdr.ID]
		if !seen {
			order = append(order, hdr.ID)
		}
		if !seen || !v.modified.Before(prev.modified) {
			if seen {
				rep.Skipped = append(rep.Skipped, Skipped{Object: prev.where, Reason: "superseded by a later version"})
			}
			latest[hdr.ID] = v
		} else {
			rep.Skipped = append(rep.Skipped, Skipped{Object: where, Reason: "superseded by a later version"})
		}
	}
	for _, id := range order {
		v := latest[id]
		ind := v.ind
		if ind.Revoked {
			rep.Skipped = append(rep.Skipped, Skipped{Object: v.where, Reason: "revoked"})
			continue
		}
		if ind.PatternType != "stix" {
			rep.Skipped = append(rep.Skipped, Skipped{Object: v.where, Reason: "pattern_type " + ind.PatternType})
			continue
		}
		values, unsupported, err := parsePattern(ind.Pattern)
		if err != nil {
			return nil, &ParseError{Source: source, Object: v.where, Msg: "pattern " + quoteShort(ind.Pattern), Err: err}
		}
		if unsupported != "" {
			rep.Skipped = append(rep.Skipped, Skipped{Object: v.where, Reason: unsupported})
			continue
		}
		base := Indicator{
			Name:        ind.Name,
			Description: ind.Description,
			ValidFrom:   ind.ValidFrom.UTC(),
			Confidence:  DefaultConfidence,
			Source:      source,
			Format:      FormatSTIX,
			Labels:      stixLabels(ind),
		}
		if ind.ValidUntil != nil {
			base.ValidUntil = ind.ValidUntil.UTC()
		}
		if v.hdr.Confidence != nil {
			base.Confidence = *v.hdr.Confidence
		}
		for _, pv := range values {
			out := base
			out.Type, out.Value, out.ID = pv.Type, pv.Value, id
			if len(values) > 1 {
				out.ID = id + "#" + derivedID(pv.Type, pv.Value)
			}
			out.Labels = slices.Clone(base.Labels)
			rep.Indicators = append(rep.Indicators, out)
		}
	}
	return rep, nil
}

// checkTimestamp checks that raw, when present, is a JSON string holding
// an RFC 3339 time.
func checkTimestamp(raw json.RawMessage) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("%s is not a timestamp string", shorten(string(raw)))
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Errorf("%q is not an RFC 3339 timestamp", s)
	}
	return nil
}

// stixLabels returns the labels of an indicator: its labels, its
// indicator_types, and "attack.<phase>" for its MITRE ATT&CK kill chain
// phases, without repeats.
func stixLabels(ind *stix2.Indicator) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, l := range ind.Labels {
		add(l)
	}
	for _, t := range ind.Types {
		add(t)
	}
	for _, k := range ind.KillChainPhase {
		if k != nil && strings.HasPrefix(k.Name, "mitre-") {
			add("attack." + k.Phase)
		}
	}
	return out
}

// quoteShort quotes s for an error message, cut to 120 bytes.
func quoteShort(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%q…", s[:120])
	}
	return fmt.Sprintf("%q", s)
}

// shorten cuts s to 120 bytes for an error message.
func shorten(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
