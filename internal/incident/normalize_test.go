package incident

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ field, in, want string }{
		{"user.name", "Alice", "alice"},
		{"user.name", `CORP\Alice`, "alice"},
		{"user.name", "alice@court.example", "alice"},
		{"user.name", `NT AUTHORITY\SYSTEM`, "system"},
		{"user.name", `trailing\`, `trailing\`},
		{"user.name", "@odd", "@odd"},
		{"host.name", "WS-07.corp.court.example", "ws-07"},
		{"host.name", "ws-07.", "ws-07"},
		{"host.name", "10.0.0.5", "10.0.0.5"},
		{"host.name", "fe80::1", "fe80::1"},
		{"source.ip", "::ffff:10.0.0.5", "10.0.0.5"},
		{"destination.ip", "2001:DB8:0:0::1", "2001:db8::1"},
		{"source.ip", "[2001:db8::1]", "2001:db8::1"},
		{"source.ip", "not-an-ip", "not-an-ip"},
		{"destination.domain", "Evil.Example.", "evil.example"},
		{"file.path", `C:\Users\Alice\secret.docx`, `c:\users\alice\secret.docx`},
		{"file.path", "/home/Alice/x", "/home/Alice/x"},
		{"process.name", "  Cmd.exe ", "Cmd.exe"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.field, tt.in); got != tt.want {
			t.Errorf("Normalize(%s, %q) = %q, want %q", tt.field, tt.in, got, tt.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"alice", `CORP\alice`, "a@b", "ws.corp", "::ffff:1.2.3.4", "[::1]", `\\`, "@", ".", "a\\b@c\\d"} {
		f.Add("user.name", s)
		f.Add("host.name", s)
		f.Add("source.ip", s)
	}
	f.Fuzz(func(t *testing.T, field, value string) {
		n := Normalize(field, value)
		if again := Normalize(field, n); again != n {
			t.Errorf("Normalize(%s, %q) = %q, but normalising that again gives %q", field, value, n, again)
		}
		if len(n) > 3*len(value) { // an invalid byte becomes U+FFFD
			t.Errorf("Normalize(%s, %q) grew to %d bytes", field, value, len(n))
		}
	})
}
