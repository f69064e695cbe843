package simulate

import "time"

// Breach stages, in the order they begin.
const (
	StageSpray          = "spray"
	StageInitialAccess  = "initial-access"
	StageC2             = "c2"
	StageDiscovery      = "discovery"
	StageLateral        = "lateral"
	StageStaging        = "staging"
	StageExfiltration   = "exfiltration"
	StageDefenseEvasion = "defense-evasion"
)

// Stages lists the breach stages in the order of their first events.
var Stages = []string{
	StageSpray, StageInitialAccess, StageC2, StageDiscovery,
	StageLateral, StageStaging, StageExfiltration, StageDefenseEvasion,
}

// Label marks one malicious record: one line of labels.jsonl.
type Label struct {
	File      string    `json:"file"`
	Line      int       `json:"line"` // 1-based line of File holding the record
	Stage     string    `json:"stage"`
	Technique string    `json:"technique"` // MITRE ATT&CK technique id
	Time      time.Time `json:"time"`
	Entities  Entities  `json:"entities"`
}

// Entities are the accounts, hosts and addresses a labelled record
// concerns, under their ECS names and spelled as the record spells them,
// so that they compare equal to what Vigie decodes: a user is the
// sAMAccountName in Windows and Linux records and the user principal name
// in Entra, Microsoft 365 and CloudTrail records; a Windows host is its
// fully qualified name (winlog.computer_name), a Linux host its syslog
// name. For Zeek records, HostName is the fully qualified name of the
// internal host of the connection, which the record itself does not name.
type Entities struct {
	UserName          string `json:"user.name,omitempty"`
	SourceIP          string `json:"source.ip,omitempty"`
	HostName          string `json:"host.name,omitempty"`
	DestinationIP     string `json:"destination.ip,omitempty"`
	DestinationDomain string `json:"destination.domain,omitempty"`
}

// Truth summarises the breach and the benign look-alikes: truth.json.
type Truth struct {
	Seed   uint64    `json:"seed"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Days   int       `json:"days"`
	Users  int       `json:"users"`
	Org    OrgTruth  `json:"organisation"`
	Breach Breach    `json:"breach"`
	// Benign lists ordinary activity that looks suspicious: periodic
	// connections and staff travelling. It is not labelled.
	Benign []Benign `json:"benign"`
	// Files counts the records of each event file.
	Files []FileInfo `json:"files"`
	// Labels is the number of lines of labels.jsonl.
	Labels int `json:"labels"`
	// Notes explain how to read the files.
	Notes []string `json:"notes"`
}

// OrgTruth names the synthetic organisation.
type OrgTruth struct {
	Name         string `json:"name"`
	Domain       string `json:"domain"`
	ADDomain     string `json:"ad_domain"`
	Tenant       string `json:"tenant_id"`
	SharePoint   string `json:"sharepoint"`
	AWSAccount   string `json:"aws_account"`
	OfficeEgress string `json:"office_egress"`
	VPNPool      string `json:"vpn_pool"`
}

// Breach is the ground truth of the attack.
type Breach struct {
	// AttackerIP sprayed passwords and used the stolen account.
	AttackerIP      string `json:"attacker_ip"`
	AttackerCountry string `json:"attacker_country"`
	Account         struct {
		UserName    string `json:"user.name"`
		UPN         string `json:"upn"`
		Role        string `json:"role"`
		HomeCountry string `json:"home_country"`
	} `json:"compromised_account"`
	Workstation   string   `json:"compromised_workstation"`
	WorkstationIP string   `json:"compromised_workstation_ip"`
	VPNAddress    string   `json:"vpn_address"`
	LateralHosts  []string `json:"lateral_hosts"`
	// Hosts lists every host the attacker touched.
	Hosts        []string     `json:"hosts"`
	Exfiltration Exfiltration `json:"exfiltration"`
	C2           C2           `json:"c2"`
	Silenced     Silence      `json:"silenced_host"`
	CloudTrail   Silence      `json:"cloudtrail_stopped"`
	Stages       []StageTruth `json:"stages"`
}

// Exfiltration describes the data that left.
type Exfiltration struct {
	DestinationIP     string    `json:"destination.ip"`
	DestinationDomain string    `json:"destination.domain"`
	Bytes             int64     `json:"bytes"` // uploaded to the destination, as Zeek counted it
	Connections       int       `json:"connections"`
	Archive           string    `json:"archive"`
	FilesStaged       int       `json:"files_staged"` // file share files read while staging
	Share             string    `json:"share"`
	CloudDownloads    int       `json:"m365_files_downloaded"`
	SharePointSite    string    `json:"sharepoint_site"`
	Start             time.Time `json:"start"`
	End               time.Time `json:"end"`
}

// C2 describes the implant's beacon.
type C2 struct {
	Domain   string    `json:"domain"`
	IP       string    `json:"ip"`
	Interval float64   `json:"interval_seconds"`
	Jitter   float64   `json:"jitter"` // each interval is Interval × (1 ± Jitter), uniform
	Beacons  int       `json:"beacons"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Process  string    `json:"process"`
}

// Silence is a source that stopped: no record of it in [From, Until).
type Silence struct {
	Host  string    `json:"host,omitempty"`
	Name  string    `json:"name,omitempty"`
	Event string    `json:"event"` // what stopped it
	At    time.Time `json:"at"`    // time of that event
	From  time.Time `json:"silent_from"`
	Until time.Time `json:"silent_until"` // when logging resumed, or the end of the simulation
}

// StageTruth times one stage.
type StageTruth struct {
	Stage      string    `json:"stage"`
	Techniques []string  `json:"techniques"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Events     int       `json:"events"`
	Summary    string    `json:"summary"`
}

// Benign is ordinary activity that a detector may mistake for an attack.
type Benign struct {
	Kind        string    `json:"kind"` // "periodic", "travel" or "internet-noise"
	Description string    `json:"description"`
	UserName    string    `json:"user.name,omitempty"`
	SourceIP    string    `json:"source.ip,omitempty"`
	HostName    string    `json:"host.name,omitempty"`
	Destination string    `json:"destination.domain,omitempty"`
	Country     string    `json:"country,omitempty"`
	Period      float64   `json:"period_seconds,omitempty"`
	From        time.Time `json:"from"`
	Until       time.Time `json:"until"`
}

// FileInfo describes one event file.
type FileInfo struct {
	Name     string `json:"name"`
	Format   string `json:"format"` // Vigie's decoder name
	Records  int    `json:"records"`
	Labelled int    `json:"labelled"`
}
