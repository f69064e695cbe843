// Package simulate generates the logs of a synthetic organisation with one
// breach woven in, every malicious record labelled, so that Vigie's
// decoders, rules and behaviour detectors can be measured for precision
// and recall, and demonstrated live.
//
// # The organisation
//
// An international court (tribunal.example, Active Directory domain
// TRIBUNAL): staff in fourteen countries, each working their home
// country's hours (fixed UTC offsets, no daylight saving) on a
// workstation WS-nnn; Windows servers DC01, FS01 (the Cases, IT and Admin
// shares), APP01 (case management), SQL01, MON01, BKP01; Linux servers
// gw01 (SSH bastion, open to the internet) and web01; an AWS account
// reached through Entra ID single sign-on; Microsoft 365. Roles decide
// what each person uses: legal staff read case files and the case
// management application, IT administrators log on to servers, run sudo
// and call AWS, helpdesk looks accounts up.
//
// Ordinary activity: logons at working hours, cloud sign-ins from the
// office egress or home networks (one member of staff travels abroad for
// two days), file share and SharePoint use, mail, DNS and TLS browsing,
// nightly backups, a monitoring server's heartbeat every five minutes, each
// workstation's Defender signature check every four hours and daily
// Windows Update download, AWS monitoring and backup calls, internet
// scanners guessing SSH passwords, new accounts created on two days.
//
// # The breach
//
// It starts on day Days-3 and takes three days, in this order of first
// events: password spraying against Entra ID and SSH from one address in
// the Seychelles (spray); the guessed password used from there, through
// the VPN and remote desktop to the victim's workstation, and while its
// owner works at headquarters (initial-access); an implant beaconing every
// 60 s ± 20 % to a rare domain (c2); whoami, net, nltest and friends
// (discovery); remote desktop and admin shares on servers the account
// never used (lateral); mass reads of the Cases share and a 7-Zip archive
// (staging); uploads to a new file host, SharePoint downloads and mail
// read from the Seychelles (exfiltration); CloudTrail StopLogging and
// FS01's Security log cleared, FS01 then silent until an administrator
// restarts its shipper the next morning (defense-evasion).
//
// # Output
//
// Generate returns a Simulation; WriteDir writes one file per source, in
// the shapes Vigie's decoders read (see FileNames): auth.log (RFC 3164
// syslog without priority, year-less timestamps), windows.jsonl
// (Winlogbeat 7), conn.log, dns.log, http.log and ssl.log (Zeek TSV),
// cloudtrail.json (a Records object, one record per line),
// entra_signins.jsonl (Microsoft Graph signIn resources, one per line) and
// m365_audit.jsonl (Office 365 Management Activity API records, one per
// line); then labels.jsonl (one Label per malicious record: file, 1-based
// line, stage, ATT&CK technique, time, entities), truth.json (Truth: the
// breach, its stages and the benign look-alikes) and geo.csv
// (cidr,country,lat,lon,asn,org) from which tests build a GeoIP database.
//
// The output depends on the Config only: math/rand/v2 PCG streams seeded
// from Config.Seed, one per part of the simulation, and no clock. The same
// Config gives the same bytes.
//
// Play replays the same records in event-time order at a chosen speed, in
// batches that each decoder reads alone, for "vigie simulate --live".
//
// Non-goals: realism beyond what detectors read (messages are the first
// line of Windows' rendered text; no Sysmon, no EVTX), more than one
// breach per run, and daylight saving time.
package simulate
