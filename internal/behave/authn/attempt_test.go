package authn

import (
	"strings"
	"testing"
	"time"
)

// sshd writes several lines per attempt; the counts expected here are the
// passwords tried, read from the lines (the wording is OpenSSH's and
// pam_unix's, as in shared/data/linux/OpenSSH_2k.log; the addresses are
// documentation ones).
func TestAttemptsMergeConnectionRecords(t *testing.T) {
	cases := []struct {
		name              string
		log               string
		source, account   int // attempts for 203.0.113.9 and for the account
		accountKey        string
		wantRecords       int // records AuthOf accepts
		wantDistinctUsers int
	}{{
		// One password for an account that does not exist: four records
		// (the PAM line names no user, the input_userauth_request line no
		// address), one attempt.
		name: "invalid user",
		log: `Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 203.0.113.9
Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]
Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9
Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 203.0.113.9 port 38926 ssh2
Dec 10 06:55:48 LabSZ sshd[24200]: Connection closed by 203.0.113.9 [preauth]`,
		source: 1, account: 1, accountKey: "webmaster@labsz", wantRecords: 4,
	}, {
		// Six passwords for root in one connection: one PAM line and one
		// sshd line, then both folded ("message repeated 5 times", "PAM 5
		// more authentication failures"). The PAM lines give the peer by
		// name, so they count for the account only.
		name: "repeated root",
		log: `Dec 10 07:13:31 LabSZ sshd[24227]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host.example.net  user=root
Dec 10 07:13:43 LabSZ sshd[24227]: Failed password for root from 203.0.113.9 port 42393 ssh2
Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 203.0.113.9 port 42393 ssh2]
Dec 10 07:13:56 LabSZ sshd[24227]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=host.example.net  user=root`,
		source: 6, account: 6, accountKey: "root@labsz", wantRecords: 4,
	}, {
		// Two connections (two pids) with one password each.
		name: "two connections",
		log: `Dec 10 07:27:50 LabSZ sshd[24235]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root
Dec 10 07:27:52 LabSZ sshd[24235]: Failed password for root from 203.0.113.9 port 48020 ssh2
Dec 10 07:27:53 LabSZ sshd[24237]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root
Dec 10 07:27:55 LabSZ sshd[24237]: Failed password for root from 203.0.113.9 port 49362 ssh2`,
		source: 2, account: 2, accountKey: "root@labsz", wantRecords: 4,
	}, {
		// Three passwords for an invalid user in one connection: the
		// "Invalid user" line announces the first; each "Failed" line is
		// one.
		name: "invalid user, three passwords",
		log: `Dec 10 09:12:46 LabSZ sshd[24501]: Invalid user oracle from 203.0.113.9
Dec 10 09:12:48 LabSZ sshd[24501]: Failed password for invalid user oracle from 203.0.113.9 port 1066 ssh2
Dec 10 09:12:50 LabSZ sshd[24501]: Failed password for invalid user oracle from 203.0.113.9 port 1066 ssh2
Dec 10 09:12:52 LabSZ sshd[24501]: Failed password for invalid user oracle from 203.0.113.9 port 1066 ssh2`,
		source: 3, account: 3, accountKey: "oracle@labsz", wantRecords: 4,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := decodeLines(t, "auth.log", []byte(c.log))
			conns := newConnections(100)
			source, account, records := 0, 0, 0
			for _, r := range recs {
				at, ok := attemptOf(r.ev, &conns)
				if !ok {
					continue
				}
				records++
				if at.Source == "203.0.113.9" {
					source += at.SourceCount
				}
				if at.Account != "" {
					if at.Account != c.accountKey {
						t.Errorf("account key %q, want %q", at.Account, c.accountKey)
					}
					account += at.AccountCount
				}
			}
			if source != c.source || account != c.account || records != c.wantRecords {
				t.Errorf("attempts: source %d, account %d, from %d records; want %d, %d, from %d",
					source, account, records, c.source, c.account, c.wantRecords)
			}
			// Without merging, every record counts: the figures the
			// merging exists to avoid.
			unmerged := 0
			for _, r := range recs {
				if at, ok := attemptOf(r.ev, nil); ok && at.Source == "203.0.113.9" {
					unmerged += at.SourceCount
				}
			}
			if strings.HasPrefix(c.name, "invalid user") && unmerged <= c.source {
				t.Errorf("unmerged count %d is not above the merged %d: the case does not exercise merging", unmerged, c.source)
			}
		})
	}
}

// A process id reused by another client, or after a long silence, is a
// new connection.
func TestAttemptsConnectionReset(t *testing.T) {
	conns := newConnections(100)
	log := `Dec 10 07:27:52 LabSZ sshd[24235]: Failed password for root from 203.0.113.9 port 48020 ssh2
Dec 10 07:27:55 LabSZ sshd[24235]: Failed password for root from 198.51.100.4 port 49362 ssh2
Dec 10 07:27:58 LabSZ sshd[24235]: Failed password for admin from 198.51.100.4 port 49362 ssh2
Dec 10 09:00:00 LabSZ sshd[24235]: Failed password for admin from 198.51.100.4 port 49362 ssh2`
	var got []int
	for _, r := range decodeLines(t, "auth.log", []byte(log)) {
		if at, ok := attemptOf(r.ev, &conns); ok {
			got = append(got, at.SourceCount)
		}
	}
	// Each line is a new connection (new peer, new account, an hour and a
	// half later) and counts one.
	if len(got) != 4 || got[0] != 1 || got[1] != 1 || got[2] != 1 || got[3] != 1 {
		t.Errorf("source counts %v, want [1 1 1 1]", got)
	}
}

// Windows records are never merged: the process id of a 4625 is the LSA
// process that serves every logon.
func TestAttemptsWindowsNotMerged(t *testing.T) {
	conns := newConnections(100)
	n := 0
	for i := range 3 {
		e := failure(t0.Add(time.Duration(i)*time.Second), "alice", "203.0.113.9", "ws1")
		e.Set("process.pid", "652")
		if at, ok := attemptOf(e, &conns); ok {
			n += at.SourceCount
		}
	}
	if n != 3 {
		t.Errorf("3 failed 4625 with one process id counted %d attempts, want 3", n)
	}
}
