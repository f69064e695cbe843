// Package access detects unusual access to stored data: one account, or
// one client, reading or downloading far more than it usually does, or
// touching a great many distinct files or objects in a short time — the
// collection step before exfiltration, and the reading pass of
// ransomware.
//
// view.go turns the records of Windows object and share auditing (4663,
// 5145), the Microsoft 365 unified audit log (FileAccessed,
// FileDownloaded, FileSyncDownloadedFull, MailItemsAccessed) and
// CloudTrail S3 data events (GetObject, ListObjects…) into one Access
// (time, account, host and client, object, kind, bytes), so that the
// detector serves them all. mass.go is the detector.
//
// Non-goals: writes, deletions and encryption (ransomware's write pass),
// uploads and network volumes (the exfiltration detectors watch bytes
// leaving), and who may access what (permissions are not in the logs).
package access
