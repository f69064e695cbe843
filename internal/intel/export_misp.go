package intel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The MISP event written by ExportMISP, in the MISP core format
// (draft-dulaunoy-misp-core-format): every field the draft says MUST or
// SHALL be present, with its JSON type (ids, timestamps and enumerations
// are strings).
type mispExport struct {
	Event mispExportEvent `json:"Event"`
}

type mispExportEvent struct {
	ID               string                `json:"id"`
	UUID             string                `json:"uuid"`
	Info             string                `json:"info"`
	Date             string                `json:"date"`
	Timestamp        string                `json:"timestamp"`
	Published        bool                  `json:"published"`
	PublishTimestamp string                `json:"publish_timestamp"`
	ThreatLevelID    string                `json:"threat_level_id"`
	Analysis         string                `json:"analysis"`
	Distribution     string                `json:"distribution"`
	SharingGroupID   string                `json:"sharing_group_id"`
	OrgID            string                `json:"org_id"`
	OrgcID           string                `json:"orgc_id"`
	AttributeCount   string                `json:"attribute_count"`
	Locked           bool                  `json:"locked"`
	Org              mispExportOrg         `json:"Org"`
	Orgc             mispExportOrg         `json:"Orgc"`
	Attribute        []mispExportAttribute `json:"Attribute"`
	Tag              []mispExportTag       `json:"Tag"`
}

type mispExportOrg struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type mispExportAttribute struct {
	ID             string `json:"id"`
	UUID           string `json:"uuid"`
	EventID        string `json:"event_id"`
	Type           string `json:"type"`
	Category       string `json:"category"`
	Value          string `json:"value"`
	ToIDs          bool   `json:"to_ids"`
	Deleted        bool   `json:"deleted"`
	Distribution   string `json:"distribution"`
	SharingGroupID string `json:"sharing_group_id"`
	Timestamp      string `json:"timestamp"`
	Comment        string `json:"comment"`
	FirstSeen      string `json:"first_seen,omitempty"`
	LastSeen       string `json:"last_seen,omitempty"`
}

type mispExportTag struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Colour     string `json:"colour"`
	Exportable bool   `json:"exportable"`
}

// mispTagColour is the colour of the tags ExportMISP writes.
const mispTagColour = "#1f5f8b"

// ExportMISP returns the case as a MISP event in the core JSON format,
// {"Event": {…}}, ready to import into a MISP instance:
//
//   - the event: uuid derived from the instance and case id, info the
//     title on one line (at most 256 characters), date the day the case
//     was created, timestamp its last change, published false,
//     threat_level_id from the severity (critical and high "1", medium
//     "2", low and informational "3", none "4"), analysis "1" (ongoing)
//     or "2" (complete), distribution "0" (the receiving organisation
//     only: the receiver decides to share further), Org and Orgc the
//     exporting instance, Tag the case's labels;
//   - an attribute per observable, to_ids true, of the MISP type and
//     category its type and role give (ip-src for an attacker's or a
//     compromised address, ip-dst for others; domain, url; md5, sha1,
//     sha256 as Payload delivery; email-src, email-dst or target-email;
//     target-user for accounts), first_seen and last_seen its sightings,
//     comment its role, context, count, hosts, accounts, techniques and
//     matched intel;
//   - the case's description as an attribute of type text, to_ids false.
//
// Numeric ids ("id", "event_id", "org_id") are numbered within the file
// from 1, as MISP gives its own on import. The event re-imports through
// ParseMISP with every observable as an indicator of the same type and
// value. It fails, naming the observable, when the case is not valid (see
// Case).
func ExportMISP(c Case) ([]byte, error) {
	c, err := c.checked()
	if err != nil {
		return nil, err
	}
	stamp := strconv.FormatInt(c.Modified.Unix(), 10)
	org := mispExportOrg{ID: "1", Name: oneLine(c.Instance, 256),
		UUID: uuidString(uuidV5(vigieNamespace, "organisation\x00"+c.Instance))}
	ev := mispExportEvent{
		ID:               "1",
		UUID:             c.objectUUID("misp-event"),
		Info:             oneLine(c.Title, 256),
		Date:             c.Created.UTC().Format(time.DateOnly),
		Timestamp:        stamp,
		PublishTimestamp: "0",
		ThreatLevelID:    mispThreatLevel(c.Severity),
		Analysis:         "1",
		Distribution:     "0",
		SharingGroupID:   "0",
		OrgID:            org.ID,
		OrgcID:           org.ID,
		Org:              org,
		Orgc:             org,
		Attribute:        make([]mispExportAttribute, 0, len(c.Observables)+1),
		Tag:              make([]mispExportTag, 0, len(c.Labels)),
	}
	if c.Complete {
		ev.Analysis = "2"
	}
	attr := func(uuid, typ, category, value string, toIDs bool, comment string) *mispExportAttribute {
		ev.Attribute = append(ev.Attribute, mispExportAttribute{
			ID: strconv.Itoa(len(ev.Attribute) + 1), UUID: uuid, EventID: ev.ID, Type: typ, Category: category,
			Value: value, ToIDs: toIDs, Distribution: "5", SharingGroupID: "0", Timestamp: stamp, Comment: comment,
		})
		return &ev.Attribute[len(ev.Attribute)-1]
	}
	for i := range c.Observables {
		o := &c.Observables[i]
		typ, category, err := mispAttributeType(o.Type, o.Role, o.Value)
		if err != nil {
			return nil, fmt.Errorf("case %s: observables[%d] %s %s: %w", c.ID, i, o.Type, quoteShort(o.Value), err)
		}
		a := attr(c.objectUUID("misp-attribute", string(o.Type), o.Value, string(o.Role)), typ, category, o.Value,
			true, mispComment(o))
		a.FirstSeen, a.LastSeen = mispTimeString(o.FirstSeen), mispTimeString(o.LastSeen)
	}
	if c.Description != "" {
		attr(c.objectUUID("misp-attribute", "description"), "text", "Other", c.Description, false, "incident summary")
	}
	for i, l := range c.Labels {
		ev.Tag = append(ev.Tag, mispExportTag{ID: strconv.Itoa(i + 1), Name: l, Colour: mispTagColour, Exportable: true})
	}
	ev.AttributeCount = strconv.Itoa(len(ev.Attribute))
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(mispExport{Event: ev}); err != nil {
		return nil, fmt.Errorf("case %s: encoding the MISP event: %w", c.ID, err)
	}
	return out.Bytes(), nil
}

// mispThreatLevel maps a Sigma level to a MISP threat_level_id.
func mispThreatLevel(level string) string {
	switch level {
	case "critical", "high":
		return "1"
	case "medium":
		return "2"
	case "low", "informational":
		return "3"
	}
	return "4"
}

// mispAttributeType returns the MISP attribute type and category of an
// observable, valid pairs of the core format that ParseMISP reads back as
// the same indicator type.
func mispAttributeType(t Type, r Role, v string) (typ, category string, err error) {
	switch t {
	case IP, CIDR:
		if t == CIDR {
			if _, err := netip.ParsePrefix(v); err != nil {
				return "", "", err
			}
		}
		if r == RoleAttacker || r == RoleCompromised {
			return "ip-src", "Network activity", nil
		}
		return "ip-dst", "Network activity", nil
	case Domain:
		return "domain", "Network activity", nil
	case URL:
		return "url", "Network activity", nil
	case MD5, SHA1, SHA256:
		return string(t), "Payload delivery", nil
	case Email:
		switch r {
		case RoleCompromised:
			return "target-email", "Targeting data", nil
		case RoleC2, RoleExfiltration:
			return "email-dst", "Network activity", nil
		}
		return "email-src", "Payload delivery", nil
	case Account:
		return "target-user", "Targeting data", nil
	}
	return "", "", fmt.Errorf("unknown indicator type %q", t)
}

// mispComment describes an observable in words for its attribute.
func mispComment(o *Observable) string {
	parts := []string{roleWords(o.Role)}
	if o.Context != "" {
		parts = append(parts, o.Context)
	}
	if o.Count == 1 {
		parts = append(parts, "seen once")
	} else {
		parts = append(parts, fmt.Sprintf("seen %d times", o.Count))
	}
	lists := []struct {
		name  string
		items []string
	}{{"hosts", o.Hosts}, {"accounts", o.Accounts}, {"ATT&CK", o.Techniques}, {"matched intel", o.Intel}}
	for _, l := range lists {
		if len(l.items) > 0 {
			parts = append(parts, l.name+": "+strings.Join(l.items, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// mispTimeString formats a time as MISP's first_seen and last_seen:
// ISO 8601 to the microsecond, in UTC.
func mispTimeString(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}
