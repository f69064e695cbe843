// Package decode defines the contract every log format decoder meets and the
// helpers they share: a line scanner that enforces the record size limit and
// turns undecodable records into pipeline-error events instead of dropping them.
//
// Each format lives in its own sub-package (syslog, authlog, jsonl,
// winjson, evtx, zeek, cloudtrail, weblog, auditd, entra, m365). Choosing a decoder from a file's content is the
// job of package detect, not of this one.
package decode
