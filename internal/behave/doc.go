// Package behave holds Vigie's behaviour detectors: what rules miss —
// brute force and password spraying, impossible travel, logins from new
// places, lateral movement, beaconing, DNS tunnelling, exfiltration
// volume, scanning, mass data access, and sources going silent.
//
// Each detector is one file and implements Detector. Detectors read the
// ECS fields the decoders fill (event.category, event.outcome, user.name,
// source.ip, destination.ip, source.bytes…), so that one detector serves
// every source of the same kind: a failed logon is a failed logon whether
// sshd, Windows 4625, Entra ID or CloudTrail reported it.
//
// Every Finding explains itself (Why: the observed value, the threshold
// or baseline crossed, the window) and names its evidence. State is
// bounded per detector (Limits), expires, and is saved with Snapshot so
// that baselines survive a restart; detectors that learn a baseline stay
// quiet during their warm-up.
package behave
