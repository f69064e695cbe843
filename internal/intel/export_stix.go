package intel

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/TcM1911/stix2"
)

// ExportSTIX returns the case as a STIX 2.1 bundle, built with package
// stix2, whose constructors check each object's required properties:
//
//   - an identity for the exporting instance, the created_by_ref of every
//     other object;
//   - a report for the incident (report_types threat-report, labels the
//     case's labels and "severity:<level>") whose object_refs name every
//     other object;
//   - per observable: the cyber-observable object (ipv4-addr, ipv6-addr,
//     domain-name, url, file with its hash, email-addr, user-account with
//     its account_login); an observed-data with first_observed,
//     last_observed and number_observed; an indicator with a STIX pattern
//     naming the value, valid_from its first sighting, indicator_types from
//     its role, labels the role; a based-on relationship from the
//     indicator to the observed-data; a sighting of the indicator with
//     first_seen, last_seen, count, observed_data_refs and
//     where_sighted_refs (an identity per host, class system, and per
//     account, class individual; the instance when there are none); an
//     attack-pattern per ATT&CK technique, which the indicator indicates;
//     and, for matched intel, a related-to relationship to a STIX
//     indicator id or an external reference "vigie-intel" for another id.
//
// Ids are deterministic, so that the same case exported twice gives the
// same bytes: cyber-observables take the UUIDv5 STIX 2.1 defines (from
// their id-contributing properties, shared with any other producer);
// other objects a UUIDv5 from the instance, the case id and the object's
// content. Created and modified are the case's. Observables are exported
// in their order.
//
// The bundle re-imports through ParseSTIX with every observable as an
// indicator of the same type and value. It fails, naming the observable,
// when the case is not valid (see Case).
func ExportSTIX(c Case) ([]byte, error) {
	c, err := c.checked()
	if err != nil {
		return nil, err
	}
	x := &stixExport{c: &c, created: &stix2.Timestamp{Time: c.Created.UTC()},
		modified: &stix2.Timestamp{Time: c.Modified.UTC()}, seen: map[stix2.Identifier]bool{}}
	instance, err := stix2.NewIdentity(c.Instance, stix2.OptionClass(stix2.IdentityClassSystem),
		stix2.OptionDescription("Vigie instance that exported the case"))
	if err != nil {
		return nil, fmt.Errorf("case %s: identity: %w", c.ID, err)
	}
	x.domain(&instance.STIXDomainObject, "instance") // created by nobody: x.instance is not set yet
	x.instance = instance.ID
	x.add(instance)
	for i := range c.Observables {
		if err := x.observable(&c.Observables[i]); err != nil {
			return nil, fmt.Errorf("case %s: observables[%d] %s %s: %w", c.ID, i,
				c.Observables[i].Type, quoteShort(c.Observables[i].Value), err)
		}
	}
	refs := make([]stix2.Identifier, 0, len(x.objects))
	for _, o := range x.objects {
		refs = append(refs, o.GetID())
	}
	labels := c.Labels
	if c.Severity != "" {
		labels = append([]string{"severity:" + c.Severity}, labels...)
	}
	opts := []stix2.STIXOption{stix2.OptionTypes([]string{"threat-report"})}
	if c.Description != "" {
		opts = append(opts, stix2.OptionDescription(c.Description))
	}
	if len(labels) > 0 {
		opts = append(opts, stix2.OptionLabels(labels))
	}
	report, err := stix2.NewReport(c.Title, x.modified, refs, opts...)
	if err != nil {
		return nil, fmt.Errorf("case %s: report: %w", c.ID, err)
	}
	x.domain(&report.STIXDomainObject, "report")
	objects := append([]stix2.STIXObject{instance, report}, x.objects[1:]...)
	bundle, err := stix2.NewBundle(objects...)
	if err != nil {
		return nil, fmt.Errorf("case %s: bundle: %w", c.ID, err)
	}
	bundle.ID = stix2.Identifier("bundle--" + c.objectUUID("bundle", c.Modified.UTC().Format("2006-01-02T15:04:05.000000000Z")))
	out, err := json.MarshalIndent(bundle, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("case %s: encoding the bundle: %w", c.ID, err)
	}
	return append(out, '\n'), nil
}

// stixExport gathers the objects of one bundle.
type stixExport struct {
	c                 *Case
	created, modified *stix2.Timestamp
	instance          stix2.Identifier
	objects           []stix2.STIXObject
	seen              map[stix2.Identifier]bool // objects shared by observables: identities, attack patterns
}

func (x *stixExport) add(o stix2.STIXObject) { x.objects = append(x.objects, o) }

// addOnce adds o unless an object of its id is already in.
func (x *stixExport) addOnce(o stix2.STIXObject) {
	if !x.seen[o.GetID()] {
		x.seen[o.GetID()] = true
		x.add(o)
	}
}

// domain gives a domain object its derived id, the case's times and the
// instance as creator.
func (x *stixExport) domain(o *stix2.STIXDomainObject, name ...string) {
	o.ID = stix2.Identifier(string(o.Type) + "--" + x.c.objectUUID(append([]string{string(o.Type)}, name...)...))
	o.Created, o.Modified, o.CreatedBy = x.created, x.modified, x.instance
}

// relation does the same for a relationship object.
func (x *stixExport) relation(o *stix2.STIXRelationshipObject, name ...string) {
	o.ID = stix2.Identifier(string(o.Type) + "--" + x.c.objectUUID(append([]string{string(o.Type)}, name...)...))
	o.Created, o.Modified, o.CreatedBy = x.created, x.modified, x.instance
}

// observable adds the objects of one observable.
func (x *stixExport) observable(o *Observable) error {
	key := []string{string(o.Type), o.Value, string(o.Role)}
	sco, pattern, err := stixObservable(o.Type, o.Value)
	if err != nil {
		return err
	}
	x.addOnce(sco)
	first, last := &stix2.Timestamp{Time: o.FirstSeen.UTC()}, &stix2.Timestamp{Time: o.LastSeen.UTC()}
	observed, err := stix2.NewObservedData(first, last, int64(o.Count), []stix2.Identifier{sco.GetID()})
	if err != nil {
		return fmt.Errorf("observed-data: %w", err)
	}
	x.domain(&observed.STIXDomainObject, key...)
	x.add(observed)

	opts := []stix2.STIXOption{
		stix2.OptionName(roleWords(o.Role) + " " + o.Value),
		stix2.OptionTypes([]string{indicatorType(o.Role)}),
		stix2.OptionLabels([]string{roleWords(o.Role)}),
	}
	if o.Context != "" {
		opts = append(opts, stix2.OptionDescription(o.Context))
	}
	var extRefs []*stix2.ExternalReference
	var related []stix2.Identifier
	for _, id := range o.Intel {
		stixID, _, _ := strings.Cut(id, "#")
		if sid := stix2.Identifier(stixID); stix2.IsValidIdentifier(sid) && sid.ForType(stix2.TypeIndicator) {
			related = append(related, sid)
			continue
		}
		ref, err := stix2.NewExternalReference("vigie-intel", "imported indicator that matched", "", id, nil)
		if err != nil {
			return fmt.Errorf("intel %s: %w", quoteShort(id), err)
		}
		extRefs = append(extRefs, ref)
	}
	if len(extRefs) > 0 {
		opts = append(opts, stix2.OptionExternalReferences(extRefs))
	}
	ind, err := stix2.NewIndicator(pattern, stix2.PatternTypeSTIX, first, opts...)
	if err != nil {
		return fmt.Errorf("indicator: %w", err)
	}
	x.domain(&ind.STIXDomainObject, key...)
	x.add(ind)

	basedOn, err := ind.AddBasedOn(observed.ID)
	if err != nil {
		return fmt.Errorf("based-on relationship: %w", err)
	}
	x.relation(&basedOn.STIXRelationshipObject, append(key, "based-on")...)
	x.add(basedOn)

	where, err := x.sighters(o)
	if err != nil {
		return err
	}
	sighting, err := stix2.NewSighting(ind.ID, stix2.OptionFirstSeen(first), stix2.OptionLastSeen(last),
		stix2.OptionCount(int64(o.Count)), stix2.OptionObservedData([]stix2.Identifier{observed.ID}),
		stix2.OptionWhereSighted(where))
	if err != nil {
		return fmt.Errorf("sighting: %w", err)
	}
	x.relation(&sighting.STIXRelationshipObject, key...)
	x.add(sighting)

	for _, tech := range o.Techniques {
		ap, err := x.attackPattern(tech)
		if err != nil {
			return err
		}
		rel, err := stix2.NewRelationship(stix2.RelationshipTypeIndicates, ind.ID, ap)
		if err != nil {
			return fmt.Errorf("indicates relationship: %w", err)
		}
		x.relation(&rel.STIXRelationshipObject, append(key, "indicates", string(ap))...)
		x.add(rel)
	}
	for _, target := range related {
		rel, err := stix2.NewRelationship(stix2.RelationshipTypeRelatedTo, ind.ID, target,
			stix2.OptionDescription("imported indicator that matched"))
		if err != nil {
			return fmt.Errorf("related-to relationship: %w", err)
		}
		x.relation(&rel.STIXRelationshipObject, append(key, "related-to", string(target))...)
		x.add(rel)
	}
	return nil
}

// sighters returns the identities of the hosts and accounts an
// observable was seen on, added to the bundle, or the instance's.
func (x *stixExport) sighters(o *Observable) ([]stix2.Identifier, error) {
	var ids []stix2.Identifier
	for _, group := range []struct {
		names []string
		class string
	}{{o.Hosts, stix2.IdentityClassSystem}, {o.Accounts, stix2.IdentityClassIndividual}} {
		for _, name := range group.names {
			id, err := stix2.NewIdentity(name, stix2.OptionClass(group.class))
			if err != nil {
				return nil, fmt.Errorf("identity %s: %w", quoteShort(name), err)
			}
			x.domain(&id.STIXDomainObject, group.class, name)
			x.addOnce(id)
			ids = append(ids, id.ID)
		}
	}
	if len(ids) == 0 {
		ids = append(ids, x.instance)
	}
	return ids, nil
}

// attackPattern adds the attack-pattern of an ATT&CK technique id and
// returns its id.
func (x *stixExport) attackPattern(tech string) (stix2.Identifier, error) {
	tech = strings.ToUpper(tech)
	ref, err := stix2.NewExternalReference("mitre-attack", "", attackURL(tech), tech, nil)
	if err != nil {
		return "", fmt.Errorf("technique %s: %w", quoteShort(tech), err)
	}
	ap, err := stix2.NewAttackPattern(tech, stix2.OptionExternalReferences([]*stix2.ExternalReference{ref}))
	if err != nil {
		return "", fmt.Errorf("technique %s: %w", quoteShort(tech), err)
	}
	x.domain(&ap.STIXDomainObject, tech)
	x.addOnce(ap)
	return ap.ID, nil
}

// attackURL is the page of an ATT&CK technique id ("T1110.003"), or ""
// when tech is not one.
func attackURL(tech string) string {
	base, sub, hasSub := strings.Cut(tech, ".")
	if len(base) != 5 || base[0] != 'T' || !isDigits(base[1:]) || hasSub && (len(sub) != 3 || !isDigits(sub)) {
		return ""
	}
	if hasSub {
		return "https://attack.mitre.org/techniques/" + base + "/" + sub + "/"
	}
	return "https://attack.mitre.org/techniques/" + base + "/"
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// indicatorType is the STIX indicator_types entry of a role.
func indicatorType(r Role) string {
	switch r {
	case RoleAttacker, RoleC2, RoleExfiltration, RolePayload:
		return stix2.IndicatorTypeMaliciousActivity
	case RoleCompromised:
		return stix2.IndicatorTypeCompromised
	}
	return stix2.IndicatorTypeUnknown
}

// stixObservable returns the cyber-observable object of a normalised
// value, with the id STIX 2.1 defines for it, and the pattern that
// matches it.
func stixObservable(t Type, v string) (stix2.STIXObject, string, error) {
	var (
		sco     stix2.STIXObject
		base    *stix2.STIXCyberObservableObject
		path    string
		idProps string // the id-contributing properties, in canonical JSON
		err     error
	)
	valueProps := `{"value":` + canonicalString(v) + `}`
	switch t {
	case IP, CIDR:
		addr, perr := netip.ParseAddr(v)
		if t == CIDR {
			p, _ := netip.ParsePrefix(v)
			addr, perr = p.Addr(), nil
		}
		if perr != nil {
			return nil, "", perr
		}
		if addr.Is4() {
			o, e := stix2.NewIPv4Address(v)
			sco, base, path, err = o, &o.STIXCyberObservableObject, "ipv4-addr:value", e
		} else {
			o, e := stix2.NewIPv6Address(v)
			sco, base, path, err = o, &o.STIXCyberObservableObject, "ipv6-addr:value", e
		}
		idProps = valueProps
	case Domain:
		o, e := stix2.NewDomainName(v)
		sco, base, path, idProps, err = o, &o.STIXCyberObservableObject, "domain-name:value", valueProps, e
	case URL:
		o, e := stix2.NewURL(v)
		sco, base, path, idProps, err = o, &o.STIXCyberObservableObject, "url:value", valueProps, e
	case Email:
		o, e := stix2.NewEmailAddress(v)
		sco, base, path, idProps, err = o, &o.STIXCyberObservableObject, "email-addr:value", valueProps, e
	case Account:
		o, e := stix2.NewUserAccount(stix2.OptionAccountLogin(v))
		sco, base, path, err = o, &o.STIXCyberObservableObject, "user-account:account_login", e
		idProps = `{"account_login":` + canonicalString(v) + `}`
	case MD5, SHA1, SHA256:
		alg := map[Type]stix2.HashAlgorithm{MD5: stix2.MD5, SHA1: stix2.SHA1, SHA256: stix2.SHA256}[t]
		o, e := stix2.NewFile("", stix2.Hashes{alg: v})
		sco, base, err = o, &o.STIXCyberObservableObject, e
		path = "file:hashes.'" + string(alg) + "'"
		idProps = `{"hashes":{` + canonicalString(string(alg)) + `:` + canonicalString(v) + `}}`
	default:
		return nil, "", fmt.Errorf("unknown indicator type %q", t)
	}
	if err != nil {
		return nil, "", err
	}
	base.ID = stix2.Identifier(string(base.Type) + "--" +
		uuidString(uuidV5([16]byte(stix2.CyberObservableNamespace), idProps)))
	return sco, "[" + path + " = " + patternString(v) + "]", nil
}

// patternString quotes s as a STIX pattern string literal: in single
// quotes, with ' and \ escaped by a backslash.
func patternString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// canonicalString writes s as a JSON string the way the JSON
// Canonicalization Scheme (RFC 8785) does, which STIX 2.1 uses for the
// names of cyber-observable ids: only ", \ and control characters are
// escaped, the latter as \b \t \n \f \r or \u00xx.
func canonicalString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
