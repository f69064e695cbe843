package simulate

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// role is what a member of staff does, which decides what they use.
type role uint8

const (
	roleLegal    role = iota // judges, lawyers, analysts: case files, the case management application
	roleStaff                // registry, HR, finance
	roleAdmin                // IT administrators: servers, Linux, AWS
	roleHelpdesk             // IT support: accounts, workstations, a little AWS
)

var roleNames = [...]string{roleLegal: "legal", roleStaff: "staff", roleAdmin: "it-admin", roleHelpdesk: "helpdesk"}

func (r role) String() string { return roleNames[r] }

// host is a computer of the organisation.
type host struct {
	name        string // "WS-017", "FS01", "gw01"
	fqdn        string
	ip          netip.Addr
	linux       bool
	agentID     string // Winlogbeat agent id
	ephemeralID string // Winlogbeat agent ephemeral id
	logPID      int    // process id of the Windows event log service
}

// person is a member of staff.
type person struct {
	given, family string
	display       string
	sam           string // sAMAccountName, also the Linux account name
	upn           string
	role          role
	site          string // SharePoint site and file share of their department
	home          *country
	ws            *host
	rid           int    // relative id of their SID
	objectID      string // Entra object id
	puid          string // Microsoft 365 user key
	homeIP        netip.Addr
	office        bool // works at headquarters, behind the office egress
	startWork     time.Duration
	endWork       time.Duration // local working hours
	weekend       bool          // works some weekends
	linuxUID      int           // account on the Linux servers when > 0
	awsRole       string        // IAM role assumed through Entra single sign-on, if any
}

func (p *person) sid(o *org) string { return fmt.Sprintf("%s-%d", o.domainSID, p.rid) }

// org is the synthetic organisation.
type org struct {
	name       string
	domain     string // DNS and UPN suffix
	netbios    string // Active Directory domain
	domainSID  string
	tenantID   string
	spHost     string // SharePoint Online host
	awsAccount string
	samlArn    string

	people  []*person
	dc, fs  *host
	app     *host // case management application
	sql     *host
	mon     *host // monitoring server
	bkp     *host // backup server
	gw      *host // Linux SSH bastion, reachable from the internet
	web     *host // Linux public web server
	servers []*host

	nets         []geoRange
	office       []netip.Addr // office egress (NAT) addresses
	vpnPool      netip.Prefix
	apps         map[string]string // Entra application names to ids
	awsAppID     string
	cloud, cdn   netip.Prefix
	updates, eu  netip.Prefix
	attackerNet  netip.Prefix
	fileHostNet  netip.Prefix
	vpsNet       netip.Prefix
	scannerNets  []geoRange
	victim       *person
	travelling   *person
	travelFrom   time.Time
	travelUntil  time.Time
	travelTo     *country
	byCountryNet map[string][]netip.Prefix // residential ranges by country code
}

// newOrg builds the organisation of a seed.
func newOrg(cfg Config) *org {
	r := newRNG(cfg.Seed, "org")
	o := &org{
		name:       "International Tribunal",
		domain:     "tribunal.example",
		netbios:    "TRIBUNAL",
		domainSID:  fmt.Sprintf("S-1-5-21-%d-%d-%d", r.Uint32(), r.Uint32(), r.Uint32()),
		tenantID:   r.uuid(),
		spHost:     "tribunalexample.sharepoint.com",
		awsAccount: fmt.Sprintf("%012d", r.Int64N(1e12)),
		vpnPool:    netip.MustParsePrefix("10.20.200.0/24"),
		nets:       networks(),
		apps: map[string]string{
			"Microsoft Teams":                 "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
			"Office 365 Exchange Online":      "00000002-0000-0ff1-ce00-000000000000",
			"Office 365 SharePoint Online":    "00000003-0000-0ff1-ce00-000000000000",
			"OfficeHome":                      "4765445b-32c6-49b0-83e6-1d93765276ca",
			"Azure VPN":                       "41b23e61-6c1e-4545-b367-cd054e0ed4b4",
			"Microsoft Authentication Broker": "29d9ed98-a469-4536-ade2-f981bc1d605e",
		},
		byCountryNet: map[string][]netip.Prefix{},
	}
	o.awsAppID = r.uuid()
	o.apps["Amazon Web Services (AWS)"] = o.awsAppID
	o.samlArn = "arn:aws:iam::" + o.awsAccount + ":saml-provider/EntraID"
	for _, n := range o.nets {
		switch n.use {
		case useOffice:
			o.office = []netip.Addr{nth(n.prefix, 9), nth(n.prefix, 10), nth(n.prefix, 11)}
		case useResidential:
			o.byCountryNet[n.country.code] = append(o.byCountryNet[n.country.code], n.prefix)
		case useCloud:
			switch n.org {
			case "Example Cloud US":
				o.cloud = n.prefix
			case "Example Cloud EU":
				o.eu = n.prefix
			case "Example CDN":
				o.cdn = n.prefix
			default:
				o.updates = n.prefix
			}
		case useAttacker:
			switch n.country.code {
			case "SC":
				o.attackerNet = n.prefix
			case "US":
				o.fileHostNet = n.prefix
			default:
				o.vpsNet = n.prefix
			}
		case useScanner:
			o.scannerNets = append(o.scannerNets, n)
		}
	}

	server := func(name string, last byte, linux bool) *host {
		h := &host{name: name, fqdn: name + "." + o.domain, ip: netip.AddrFrom4([4]byte{10, 20, 1, last}), linux: linux}
		if linux {
			h.fqdn = strings.ToLower(name) + "." + o.domain
		} else {
			h.agentID, h.ephemeralID, h.logPID = r.uuid(), r.uuid(), 600+4*r.IntN(100)
		}
		o.servers = append(o.servers, h)
		return h
	}
	o.gw = server("gw01", 5, true)
	o.dc = server("DC01", 10, false)
	o.fs = server("FS01", 20, false)
	o.app = server("APP01", 30, false)
	o.sql = server("SQL01", 40, false)
	o.web = server("web01", 50, true)
	o.mon = server("MON01", 60, false)
	o.bkp = server("BKP01", 70, false)

	o.people = newPeople(r, o, cfg.Users)
	o.chooseVictim(r)
	o.chooseTraveller(r, cfg)
	return o
}

// newPeople makes n members of staff with their workstations.
func newPeople(r rng, o *org, n int) []*person {
	admins := max(2, n/25)
	helpdesk := max(2, n/25)
	legal := (n - admins - helpdesk) * 55 / 100
	var total int
	for _, c := range countries {
		total += c.weight
	}
	taken := map[string]bool{}
	people := make([]*person, n)
	for i := range people {
		p := &person{rid: 1104 + i, objectID: r.uuid(), puid: fmt.Sprintf("10032%011X", r.Int64N(1<<44))}
		switch {
		case i < admins:
			p.role = roleAdmin
		case i < admins+helpdesk:
			p.role = roleHelpdesk
		case i < admins+helpdesk+legal:
			p.role = roleLegal
		default:
			p.role = roleStaff
		}
		// IT works at headquarters; others live anywhere.
		p.home = countries[0]
		if p.role == roleLegal || p.role == roleStaff {
			w := r.IntN(total)
			for _, c := range countries {
				if w < c.weight {
					p.home = c
					break
				}
				w -= c.weight
			}
		}
		for {
			p.given, p.family = pick(r, p.home.given), pick(r, p.home.family)
			p.sam = strings.ToLower(p.given[:1] + "." + strings.ReplaceAll(p.family, " ", ""))
			if taken[p.sam] {
				p.sam += fmt.Sprint(r.IntN(90) + 10)
			}
			if !taken[p.sam] {
				break
			}
		}
		taken[p.sam] = true
		p.display = p.given + " " + p.family
		p.upn = p.sam + "@" + o.domain
		switch p.role {
		case roleLegal:
			p.site = pick(r, []string{"Chambers", "Prosecution", "Defence", "Registry"})
		case roleStaff:
			p.site = pick(r, []string{"HR", "Finance", "Registry"})
		default:
			p.site = "IT"
		}
		p.office = p.home.code == "NL"
		nets := o.byCountryNet[p.home.code]
		p.homeIP = nth(nets[r.IntN(len(nets))], r.IntN(60000))
		p.startWork = 7*time.Hour + 30*time.Minute + time.Duration(r.IntN(8))*15*time.Minute
		p.endWork = p.startWork + 8*time.Hour + time.Duration(r.IntN(6))*15*time.Minute
		p.weekend = r.chance(0.15) || p.role == roleAdmin
		switch p.role {
		case roleAdmin:
			p.linuxUID, p.awsRole = 1001+i, "TribunalAdmin"
		case roleHelpdesk:
			p.linuxUID, p.awsRole = 1001+i, "TribunalITSupport"
		}
		last := byte(11 + i%240)
		p.ws = &host{
			name:        fmt.Sprintf("WS-%03d", i+1),
			ip:          netip.AddrFrom4([4]byte{10, 20, byte(10 + i/240), last}),
			agentID:     r.uuid(),
			ephemeralID: r.uuid(),
			logPID:      600 + 4*r.IntN(100),
		}
		p.ws.fqdn = p.ws.name + "." + o.domain
		people[i] = p
	}
	return people
}

// chooseVictim picks the account the attacker will guess: a helpdesk
// member at headquarters.
func (o *org) chooseVictim(r rng) {
	var candidates []*person
	for _, p := range o.people {
		if p.role == roleHelpdesk {
			candidates = append(candidates, p)
		}
	}
	o.victim = pick(r, candidates)
}

// chooseTraveller sends one member of legal staff based at headquarters
// on a mission abroad for two days before the breach: a new country that
// is not an attack.
func (o *org) chooseTraveller(r rng, cfg Config) {
	var candidates []*person
	for _, p := range o.people {
		if p.role == roleLegal && p.office {
			candidates = append(candidates, p)
		}
	}
	if len(candidates) == 0 {
		return
	}
	o.travelling = pick(r, candidates)
	o.travelTo = pick(r, []*country{countryByCode("UG"), countryByCode("CD"), countryByCode("KE")})
	day := cfg.Start.AddDate(0, 0, cfg.Days-5)
	o.travelFrom = day.Add(-4 * time.Hour)
	o.travelUntil = day.AddDate(0, 0, 2).Add(-4 * time.Hour)
}

// awayIn returns the country p is in at t.
func (o *org) awayIn(p *person, t time.Time) *country {
	if p == o.travelling && !t.Before(o.travelFrom) && t.Before(o.travelUntil) {
		return o.travelTo
	}
	return p.home
}

// publicIP returns the address p's cloud sign-ins come from at t: the
// office egress for staff at headquarters on working days (some work from
// home), their home network otherwise, a hotel network when travelling.
func (o *org) publicIP(p *person, t time.Time, fromHome bool) netip.Addr {
	if c := o.awayIn(p, t); c != p.home {
		nets := o.byCountryNet[c.code]
		return nth(nets[0], 3000+int(hash64(p.sam)%500))
	}
	if p.office && !fromHome {
		return o.office[hash64(p.sam)%uint64(len(o.office))]
	}
	return p.homeIP
}

// residentialNet returns a residential range of a country.
func (o *org) residentialNet(code string) netip.Prefix { return o.byCountryNet[code][0] }
