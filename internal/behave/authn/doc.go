// Package authn holds Vigie's authentication behaviour detectors: brute
// force (fast and slow), password spraying, a success after failures,
// lateral movement (an account on a host it never used, or on many hosts
// at once) and account manipulation (a new member of a privileged group,
// an account created and then used).
//
// Every detector reads logins through behave.AuthOf, so one detector
// serves sshd, Windows (4624, 4625, 4648, 4768, 4771, 4776), Entra ID
// sign-ins and CloudTrail ConsoleLogin alike. Each implements
// behave.Detector, keeps its per-entity state in behave.Table (bounded by
// behave.Limits.MaxEntities, least recently seen evicted first), and saves
// that state as JSON with Snapshot.
//
// # Counting attempts, not lines
//
// sshd and PAM write several lines for one attempt: "Invalid user x from
// …", "input_userauth_request: invalid user x", pam_unix's
// "authentication failure; … rhost=…" and "Failed password for invalid
// user x from …" all stand for one password tried. Counting lines would
// make three attempts of one and break every threshold. The detectors
// therefore merge the records of one connection: in syslog and auditd a
// connection is the host and process id of the sshd child (reset when the
// peer or the account changes, forgotten after ten idle minutes), and its
// attempts are the largest count of any one kind of record (event.action)
// it wrote. A line that folds repetitions ("message repeated 5 times",
// "PAM 5 more authentication failures") counts as that many. Windows and
// cloud records have no such companions and count one each. See attempt.go.
//
// # Firing policy
//
// A detector reports a behaviour once per burst per entity: crossing the
// threshold gives one finding, and the events that follow in the same
// burst add nothing. The entity re-arms when the burst is over — for most
// detectors once a whole window has passed with no qualifying event (the
// doc comment of each detector says which), so that a source that keeps
// trying for hours gives one finding, and a source that comes back the
// next day gives another.
//
// # What it does not do
//
// It does not decide what to do about a finding (package respond), group
// findings into incidents, or look up who owns an address. It does not
// decode anything: a log whose decoder does not mark logins as ECS
// authentication events is invisible here. Accounts are compared by name:
// the same Windows account seen under its NetBIOS domain ("CORP") and its
// DNS domain ("corp.example.com") counts as two.
package authn
