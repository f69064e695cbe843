package authlog

import (
	"testing"
)

// BenchmarkParse parses the message shapes of OpenSSH_2k.log, in about the
// proportions they have there, plus one line no form matches.
func BenchmarkParse(b *testing.B) {
	msgs := [][2]string{
		{"sshd", "Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]"},
		{"sshd", "Failed password for root from 5.36.59.76 port 42393 ssh2"},
		{"sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root"},
		{"sshd", "pam_unix(sshd:auth): check pass; user unknown"},
		{"sshd", "Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2"},
		{"sshd", "Invalid user webmaster from 173.234.31.186"},
		{"sshd", "input_userauth_request: invalid user webmaster [preauth]"},
		{"sshd", "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!"},
		{"sshd", "PAM service(sshd) ignoring max retries; 6 > 3"},
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			Parse(m[0], m[1])
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}
