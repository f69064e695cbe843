package simulate

import (
	"fmt"
	"net/netip"
	"strings"
)

// Domains staff browse, by who browses them. Every name resolves to an
// address of one of the cloud ranges (see org.addrOf).
var (
	officeDomains = []string{
		"outlook.office365.com", "outlook.office365.com", "teams.microsoft.com", "teams.microsoft.com",
		"tribunalexample.sharepoint.com", "tribunalexample.sharepoint.com", "login.microsoftonline.com",
		"www.office.com", "graph.microsoft.com", "substrate.office.com",
	}
	webDomains = []string{
		"www.google.com", "www.bing.com", "en.wikipedia.org", "www.bbc.co.uk", "www.lemonde.fr",
		"www.theguardian.com", "www.reuters.com", "www.un.org", "www.linkedin.com", "www.youtube.com",
		"www.booking.com", "www.klm.com", "weather.com", "www.nytimes.com",
	}
	legalDomains = []string{
		"www.icj-cij.org", "curia.europa.eu", "hudoc.echr.coe.int", "eur-lex.europa.eu",
		"www.refworld.org", "www.ohchr.org", "www.legal-tools.org",
	}
	itDomains = []string{
		"github.com", "learn.microsoft.com", "stackoverflow.com", "portal.azure.com",
		"console.aws.amazon.com", "eu-west-1.console.aws.amazon.com", "docs.aws.amazon.com",
	}
)

// addrOf returns the address a domain resolves to. Names of Microsoft
// and AWS services resolve to the EU cloud range, news and reference sites
// to the CDN, the rest to the US cloud range.
func (o *org) addrOf(domain string) netip.Addr {
	h := int(hash64(domain) % 15000)
	switch {
	case domain == hcPing:
		return nth(o.updates, 777)
	case strings.HasSuffix(domain, "microsoft.com"), strings.HasSuffix(domain, "office.com"),
		strings.HasSuffix(domain, "office365.com"), strings.HasSuffix(domain, "sharepoint.com"),
		strings.HasSuffix(domain, "microsoftonline.com"), strings.HasSuffix(domain, "amazon.com"),
		strings.HasSuffix(domain, "azure.com"):
		return nth(o.eu, h)
	case strings.HasSuffix(domain, "windowsupdate.com"):
		return nth(o.updates, h)
	case strings.HasSuffix(domain, ".org"), strings.HasSuffix(domain, ".int"), strings.HasSuffix(domain, ".eu"),
		strings.HasSuffix(domain, ".uk"), strings.HasSuffix(domain, ".fr"):
		return nth(o.cdn, h)
	}
	return nth(o.cloud, h)
}

// Processes staff start, by role.
var (
	officeApps = []string{
		`C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`,
		`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`,
		`C:\Program Files\WindowsApps\MSTeams_24033.811.2738.2546_x64__8wekyb3d8bbwe\ms-teams.exe`,
	}
	docApps = []string{
		`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`,
		`C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE`,
		`C:\Program Files\Adobe\Acrobat DC\Acrobat\Acrobat.exe`,
		`C:\Windows\System32\notepad.exe`,
		`C:\Windows\explorer.exe`,
	}
	itApps = []string{
		`C:\Windows\System32\mmc.exe`,
		`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`C:\Windows\System32\mstsc.exe`,
		`C:\Program Files\PuTTY\putty.exe`,
		`C:\Program Files\Microsoft VS Code\Code.exe`,
	}
)

// Documents in each department's share and SharePoint site.
var (
	caseFolders = []string{"Evidence", "Filings", "Transcripts", "Witness statements", "Decisions", "Correspondence"}
	docStems    = []string{"exhibit", "statement", "transcript", "motion", "order", "memo", "annex", "report", "minutes", "brief"}
	docExts     = []string{"pdf", "pdf", "pdf", "docx", "docx", "xlsx", "msg"}
)

// documentName returns a plausible document name.
func documentName(r rng) string {
	return pick(r, docStems) + "-" + pad3(r.IntN(400)) + "." + pick(r, docExts)
}

func pad3(n int) string { return fmt.Sprintf("%03d", n) }

// caseName returns the name of case number n.
func caseName(n int) string { return "Case-2025-" + pad3(n) }

// sharePath returns a file in a department share.
func sharePath(r rng, site string) string {
	switch site {
	case "Chambers", "Prosecution", "Defence", "Registry":
		return caseName(1+r.IntN(40)) + `\` + pick(r, caseFolders) + `\` + documentName(r)
	case "IT":
		return pick(r, []string{"Scripts", "Inventory", "Procedures", "Licences"}) + `\` + documentName(r)
	}
	return pick(r, []string{"Budget", "Contracts", "Staff", "Travel", "Procurement"}) + `\` + documentName(r)
}

// shareOf names the file share of a department.
func shareOf(site string) string {
	switch site {
	case "Chambers", "Prosecution", "Defence", "Registry":
		return "Cases"
	case "IT":
		return "IT"
	}
	return "Admin"
}

// User agents.
const (
	agentEdge    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66"
	agentTeams   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66 Teams/24033.811.2738.2546"
	agentIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"
	agentOutlook = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"
	agentWU      = "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50"
	agentConsole = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66"
)
