package intel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// mispEvent is the part of a MISP event (core format) that is read.
type mispEvent struct {
	UUID          string          `json:"uuid"`
	Info          string          `json:"info"`
	ThreatLevelID flexString      `json:"threat_level_id"`
	Tag           []mispTag       `json:"Tag"`
	Attribute     []mispAttribute `json:"Attribute"`
	Object        []mispObject    `json:"Object"`
}

type mispObject struct {
	UUID      string          `json:"uuid"`
	Name      string          `json:"name"`
	Attribute []mispAttribute `json:"Attribute"`
}

type mispAttribute struct {
	UUID      string     `json:"uuid"`
	Type      string     `json:"type"`
	Value     string     `json:"value"`
	ToIDs     flexBool   `json:"to_ids"`
	Deleted   flexBool   `json:"deleted"`
	Comment   string     `json:"comment"`
	FirstSeen flexString `json:"first_seen"`
	LastSeen  flexString `json:"last_seen"`
	Tag       []mispTag  `json:"Tag"`
}

type mispTag struct {
	Name string `json:"name"`
}

// flexBool reads MISP's booleans, written as true, "1" or 1 by different
// versions and exports.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true", "1":
		*b = true
	case "false", "0", "", "null":
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", shorten(string(data)))
	}
	return nil
}

// flexString reads a string that some exports write as a number.
type flexString string

func (s *flexString) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		*s = ""
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	if _, err := strconv.ParseFloat(string(data), 64); err != nil {
		return fmt.Errorf("%s is not a string or number", shorten(string(data)))
	}
	*s = flexString(data)
	return nil
}

// mispDocument is any of the shapes a MISP event file comes in: the
// export {"Event": {…}}, the API's {"response": [{"Event": {…}}, …]} (or
// {"response": {"Attribute": […]}} from an attribute search), or a bare
// event.
type mispDocument struct {
	Event    *mispEvent      `json:"Event"`
	Response json.RawMessage `json:"response"`
	mispEvent
}

// mispTypes maps the MISP attribute types Vigie matches to the indicator
// types of their parts: a composite type ("domain|ip") names one per part,
// "" for a part that is not matched (the file name of filename|md5, the
// port of ip-dst|port).
var mispTypes = map[string][]Type{
	"ip-src":          {IP},
	"ip-dst":          {IP},
	"ip-src|port":     {IP, ""},
	"ip-dst|port":     {IP, ""},
	"domain":          {Domain},
	"hostname":        {Domain},
	"hostname|port":   {Domain, ""},
	"domain|ip":       {Domain, IP},
	"url":             {URL},
	"md5":             {MD5},
	"sha1":            {SHA1},
	"sha256":          {SHA256},
	"filename|md5":    {"", MD5},
	"filename|sha1":   {"", SHA1},
	"filename|sha256": {"", SHA256},
	"email":           {Email},
	"email-src":       {Email},
	"email-dst":       {Email},
	"target-email":    {Email},
	"target-user":     {Account},
}

// mispNotMatched explains why some common attribute types are skipped.
var mispNotMatched = map[string]string{
	"uri":  "uri is a path without a host: Vigie matches absolute URLs",
	"link": "link is a reference, not an indicator",
}

// ParseMISP reads a MISP event in the core JSON format: {"Event": {…}},
// {"response": [{"Event": {…}}, …]}, or a bare event. Its attributes and
// the attributes of its objects whose type Vigie matches become
// indicators (ip-src, ip-dst and their |port forms, domain, hostname,
// domain|ip, url, md5, sha1, sha256, filename|md5/sha1/sha256, email,
// email-src, email-dst, target-email, target-user); others are skipped
// with the reason, and so are deleted attributes and, unless
// Options.MISPAllAttributes, those whose to_ids is false.
//
// An indicator's ID is the attribute uuid (with "#type:value" added for
// the second part of domain|ip), Name the event info, Description the
// attribute comment, ValidFrom and ValidUntil the attribute's first_seen
// and last_seen, Labels the event's and attribute's tag names.
//
// Confidence comes from the first of: a confidence tag on the attribute,
// on the event, the event's threat level, else DefaultConfidence. The
// tags read are misp:confidence-level (completely-confident 100,
// usually-confident 75, fairly-confident 50, rarely-confident 25,
// unconfident 0), estimative-language:confidence-in-analytic-judgment
// (high 85, moderate 60, low 30) and admiralty-scale:information-credibility
// (1 100, 2 80, 3 60, 4 40, 5 20); threat_level_id 1 (high) gives 85, 2
// (medium) 60, 3 (low) 30, 4 (undefined) DefaultConfidence. The levels of
// findings (Detector) follow: 80 and over high, 50 and over medium.
//
// The file is rejected, naming the attribute (its path and uuid), when it
// is not JSON of one of these shapes, or when an attribute has no type, a
// value that is not valid for its type, or a first_seen or last_seen that
// is not an RFC 3339 time.
func (o Options) ParseMISP(r io.Reader, source string) (*ImportReport, error) {
	o = o.withDefaults()
	data, err := readLimited(r, o.MaxBytes, source)
	if err != nil {
		return nil, err
	}
	var doc mispDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(source, data, err, "not a MISP event")
	}
	type located struct {
		ev   *mispEvent
		path string
	}
	var events []located
	switch {
	case doc.Event != nil:
		events = append(events, located{doc.Event, "Event"})
	case len(doc.Response) > 0 && doc.Response[0] == '[':
		var list []struct {
			Event *mispEvent `json:"Event"`
		}
		if err := json.Unmarshal(doc.Response, &list); err != nil {
			return nil, &ParseError{Source: source, Object: "response", Msg: "not a list of MISP events", Err: err}
		}
		for i, item := range list {
			if item.Event == nil {
				return nil, &ParseError{Source: source, Object: fmt.Sprintf("response[%d]", i), Msg: "no Event"}
			}
			events = append(events, located{item.Event, fmt.Sprintf("response[%d].Event", i)})
		}
	case len(doc.Response) > 0:
		var ev mispEvent
		if err := json.Unmarshal(doc.Response, &ev); err != nil {
			return nil, &ParseError{Source: source, Object: "response", Msg: "not a MISP attribute list", Err: err}
		}
		events = append(events, located{&ev, "response"})
	case doc.UUID != "" || doc.Info != "" || len(doc.mispEvent.Attribute) > 0 || len(doc.Object) > 0:
		events = append(events, located{&doc.mispEvent, "Event"})
	default:
		return nil, &ParseError{Source: source, Msg: "no MISP event: want {\"Event\": …}, {\"response\": …} or an event"}
	}
	count := 0
	for _, le := range events {
		count += len(le.ev.Attribute)
		for _, obj := range le.ev.Object {
			count += len(obj.Attribute)
		}
	}
	if count > o.MaxObjects {
		return nil, fmt.Errorf("%s: %d attributes, over %d: %w", source, count, o.MaxObjects, ErrTooLarge)
	}
	rep := &ImportReport{}
	for _, le := range events {
		ev := le.ev
		eventConf, ok := mispConfidence(ev.Tag)
		if !ok {
			eventConf = threatLevelConfidence(string(ev.ThreatLevelID))
		}
		var eventLabels []string
		for _, t := range ev.Tag {
			eventLabels = appendNew(eventLabels, t.Name)
		}
		do := func(attr *mispAttribute, where string) error {
			return o.mispAttribute(rep, source, ev, attr, where, eventConf, eventLabels)
		}
		for i := range ev.Attribute {
			if err := do(&ev.Attribute[i], fmt.Sprintf("%s.Attribute[%d]", le.path, i)); err != nil {
				return nil, err
			}
		}
		for j := range ev.Object {
			for i := range ev.Object[j].Attribute {
				where := fmt.Sprintf("%s.Object[%d].Attribute[%d]", le.path, j, i)
				if err := do(&ev.Object[j].Attribute[i], where); err != nil {
					return nil, err
				}
			}
		}
	}
	return rep, nil
}

// mispAttribute adds the indicators of one attribute to rep.
func (o Options) mispAttribute(rep *ImportReport, source string, ev *mispEvent, attr *mispAttribute,
	where string, eventConf int, eventLabels []string) error {
	if attr.UUID != "" {
		where += " " + attr.UUID
	}
	fail := func(msg string, err error) error {
		return &ParseError{Source: source, Object: where, Msg: msg, Err: err}
	}
	if attr.Type == "" {
		return fail("attribute has no type", nil)
	}
	if strings.TrimSpace(attr.Value) == "" {
		return fail("attribute has no value", nil)
	}
	types, known := mispTypes[attr.Type]
	switch {
	case bool(attr.Deleted):
		rep.Skipped = append(rep.Skipped, Skipped{Object: where, Reason: "deleted"})
		return nil
	case !known:
		reason, ok := mispNotMatched[attr.Type]
		if !ok {
			reason = "attribute type " + attr.Type + " is not matched"
		}
		rep.Skipped = append(rep.Skipped, Skipped{Object: where, Reason: reason})
		return nil
	case !bool(attr.ToIDs) && !o.MISPAllAttributes:
		rep.Skipped = append(rep.Skipped, Skipped{Object: where, Reason: "to_ids is false"})
		return nil
	}
	parts := []string{attr.Value}
	if len(types) == 2 {
		i := strings.LastIndexByte(attr.Value, '|')
		if i < 0 {
			return fail(fmt.Sprintf("value %s of type %s has no '|'", quoteShort(attr.Value), attr.Type), nil)
		}
		parts = []string{attr.Value[:i], attr.Value[i+1:]}
	}
	base := Indicator{
		Name:        ev.Info,
		Description: attr.Comment,
		Confidence:  eventConf,
		Source:      source,
		Format:      FormatMISP,
	}
	if c, ok := mispConfidence(attr.Tag); ok {
		base.Confidence = c
	}
	var err error
	if base.ValidFrom, err = mispTime(string(attr.FirstSeen)); err != nil {
		return fail("first_seen", err)
	}
	if base.ValidUntil, err = mispTime(string(attr.LastSeen)); err != nil {
		return fail("last_seen", err)
	}
	if !base.ValidFrom.IsZero() && !base.ValidUntil.IsZero() && base.ValidUntil.Before(base.ValidFrom) {
		return fail("last_seen is before first_seen", nil)
	}
	if !base.ValidUntil.IsZero() && base.ValidUntil.Equal(base.ValidFrom) {
		// Seen once: last_seen is inclusive in MISP, ValidUntil is not.
		base.ValidUntil = base.ValidUntil.Add(time.Second)
	}
	labels := append([]string(nil), eventLabels...)
	for _, t := range attr.Tag {
		labels = appendNew(labels, t.Name)
	}
	first := true
	for i, t := range types {
		if t == "" {
			continue
		}
		vt := t
		if t == IP && strings.Contains(parts[i], "/") {
			vt = CIDR
		}
		value, err := Normalise(vt, parts[i])
		if err != nil {
			return fail("value of type "+attr.Type, err)
		}
		ind := base
		ind.Type, ind.Value = vt, value
		ind.Labels = append([]string(nil), labels...)
		switch {
		case attr.UUID == "":
			ind.ID = derivedID(vt, value)
		case first:
			ind.ID = attr.UUID
		default:
			ind.ID = attr.UUID + "#" + derivedID(vt, value)
		}
		first = false
		rep.Indicators = append(rep.Indicators, ind)
	}
	return nil
}

// mispTime reads first_seen or last_seen: "" or an RFC 3339 time.
func mispTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New(quoteShort(s) + " is not an RFC 3339 time")
	}
	return t.UTC(), nil
}

// mispConfidence returns the confidence a list of tags states, if any.
func mispConfidence(tags []mispTag) (int, bool) {
	for _, t := range tags {
		name, value, ok := strings.Cut(t.Name, "=")
		if !ok {
			continue
		}
		value = strings.ToLower(strings.Trim(value, `"`))
		var table map[string]int
		switch strings.ToLower(name) {
		case "misp:confidence-level":
			table = map[string]int{"completely-confident": 100, "usually-confident": 75,
				"fairly-confident": 50, "rarely-confident": 25, "unconfident": 0}
		case "estimative-language:confidence-in-analytic-judgment":
			table = map[string]int{"high": 85, "moderate": 60, "low": 30}
		case "admiralty-scale:information-credibility":
			table = map[string]int{"1": 100, "2": 80, "3": 60, "4": 40, "5": 20}
		}
		if c, ok := table[value]; ok {
			return c, true
		}
	}
	return 0, false
}

// threatLevelConfidence maps an event's threat_level_id to a confidence.
func threatLevelConfidence(id string) int {
	switch id {
	case "1":
		return 85
	case "2":
		return 60
	case "3":
		return 30
	}
	return DefaultConfidence
}

func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
