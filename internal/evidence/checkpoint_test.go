package evidence

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "vigie.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode %04o, want 0600", got)
	}
	// The file is a PKCS#8 PEM that the standard library reads back.
	data, _ := os.ReadFile(path)
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("key file is not a PEM PRIVATE KEY:\n%s", data)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.PublicKey(k1.Public()).Equal(parsed.(ed25519.PrivateKey).Public()) {
		t.Error("the key in the file is not the key returned")
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !k2.Public().Equal(k1.Public()) {
		t.Error("second load returned another key")
	}
	msg := []byte("hello")
	if !ed25519.Verify(ed25519.PublicKey(k1.Public()), msg, k2.Sign(msg)) {
		t.Error("signature of the reloaded key does not verify under the first key")
	}
}

func TestLoadOrCreateKeyRefuses(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	if _, err := LoadOrCreateKey(good); err != nil {
		t.Fatal(err)
	}
	goodPEM, _ := os.ReadFile(good)
	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	f := func(name string, content []byte, mode os.FileMode, want string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreateKey(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got error %v, want one containing %q", name, err, want)
		}
	}
	f("readable.key", goodPEM, 0o644, "chmod 600")
	f("group.key", goodPEM, 0o640, "mode 0640")
	f("empty.key", nil, 0o600, "no PEM block")
	f("rsa.key", rsaLike, 0o600, `"RSA PRIVATE KEY"`)
	f("garbage.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), 0o600, "parsing PKCS#8")
	if _, err := LoadOrCreateKey(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("folder as key: got %v", err)
	}
}

func TestPublicKeyText(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := k.Public()
	text, err := pub.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(text), "vigie-ed25519:") || len(text) != len("vigie-ed25519:")+44 {
		t.Fatalf("text form %q", text)
	}
	var back PublicKey
	if err := back.UnmarshalText(text); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(pub) {
		t.Error("round trip changed the key")
	}
	sum := sha256.Sum256(pub)
	if got, want := pub.KeyID(), hex.EncodeToString(sum[:8]); got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
	for _, bad := range []string{"", "ed25519:" + string(text[14:]), "vigie-ed25519:AAAA", "vigie-ed25519:!!"} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) succeeded", bad)
		}
	}
}

func testCheckpoint(t testing.TB) (Checkpoint, PublicKey) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	root := sha256.Sum256([]byte("root"))
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))
	return SignCheckpoint(k, "vigie-court-1", 1234, root, at), k.Public()
}

func TestCheckpointBody(t *testing.T) {
	c, _ := testCheckpoint(t)
	want := "vigie checkpoint v1\nvigie-court-1\n1234\n" +
		"SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n" + // base64 of SHA-256("root")
		"2025-03-14T08:26:53.589793238Z\n"
	if got := string(c.Body()); got != want {
		t.Errorf("body:\n%s\nwant:\n%s", got, want)
	}
}

func TestCheckpointVerify(t *testing.T) {
	c, pub := testCheckpoint(t)
	if err := c.Verify(pub); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	other, _ := GenerateKey()
	mutations := map[string]func(*Checkpoint){
		"size":      func(c *Checkpoint) { c.Size++ },
		"root":      func(c *Checkpoint) { c.Root[31] ^= 1 },
		"origin":    func(c *Checkpoint) { c.Origin = "vigie-court-2" },
		"time":      func(c *Checkpoint) { c.Time = c.Time.Add(time.Nanosecond) },
		"signature": func(c *Checkpoint) { c.Signature = append([]byte(nil), c.Signature...); c.Signature[0] ^= 1 },
		"key id":    func(c *Checkpoint) { c.KeyID = other.Public().KeyID() },
	}
	for name, mutate := range mutations {
		m := c
		mutate(&m)
		if err := m.Verify(pub); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("%s changed: Verify = %v, want ErrBadCheckpoint", name, err)
		}
	}
	if err := c.Verify(other.Public()); err == nil || !strings.Contains(err.Error(), "not by") {
		t.Errorf("other key: Verify = %v", err)
	}
}

func TestCheckpointJSON(t *testing.T) {
	c, pub := testCheckpoint(t)
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	if fields["root"] != "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=" || fields["size"] != 1234.0 ||
		fields["time"] != "2025-03-14T08:26:53.589793238Z" || fields["key_id"] != pub.KeyID() {
		t.Errorf("JSON form: %s", data)
	}
	var back Checkpoint
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(pub); err != nil {
		t.Errorf("round-tripped checkpoint does not verify: %v", err)
	}
	if string(back.Body()) != string(c.Body()) || string(back.Signature) != string(c.Signature) {
		t.Errorf("round trip changed the checkpoint:\n%+v\n%+v", back, c)
	}
	for _, bad := range []string{
		`{}`,
		`{"origin":"a","size":-1}`,
		strings.Replace(string(data), `"size":1234`, `"size":"1234"`, 1),
		strings.Replace(string(data), `.589793238Z`, `.589793238+01:00`, 1),
		strings.Replace(string(data), `"root":"SBNJ`, `"root":"`, 1),
	} {
		if err := json.Unmarshal([]byte(bad), &back); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("Unmarshal(%s) = %v, want ErrBadCheckpoint", bad, err)
		}
	}
}

func TestCheckpointText(t *testing.T) {
	c, pub := testCheckpoint(t)
	text := c.Text()
	if !strings.HasPrefix(text, string(c.Body())+"\n\u2014 "+pub.KeyID()+" ") {
		t.Errorf("text form:\n%s", text)
	}
	back, err := ParseCheckpointText(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(pub); err != nil {
		t.Errorf("parsed checkpoint does not verify: %v", err)
	}
	lines := strings.Split(text, "\n")
	f := func(line int, replace string, wantLine int) {
		t.Helper()
		l := append([]string(nil), lines...)
		l[line-1] = replace
		_, err := ParseCheckpointText(strings.Join(l, "\n"))
		var ce *CheckpointError
		if !errors.As(err, &ce) || ce.Line != wantLine {
			t.Errorf("line %d = %q: error %v, want one on line %d", line, replace, err, wantLine)
		}
	}
	f(1, "vigie checkpoint v2", 1)
	f(2, "", 2)
	f(3, "01234", 3)
	f(3, "-1", 3)
	f(4, "AAAA", 4)
	f(5, "2025-03-14T09:26:53+01:00", 5)
	f(6, "x", 6)
	f(7, "- "+pub.KeyID()+" AAAA", 7)
	f(7, "\u2014 "+pub.KeyID()+" AAAA", 7)
	if _, err := ParseCheckpointText(strings.TrimSuffix(text, "\n")); err == nil {
		t.Error("text without its final line break parsed")
	}
}

func FuzzParseCheckpointText(f *testing.F) {
	c, pub := testCheckpoint(f)
	f.Add(c.Text())
	f.Add("vigie checkpoint v1\n\n0\n\n\n\n\n")
	f.Add(strings.Repeat("\n", 7))
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseCheckpointText(text)
		if err != nil {
			if !errors.Is(err, ErrBadCheckpoint) {
				t.Fatalf("error %v does not match ErrBadCheckpoint", err)
			}
			return
		}
		// What parses prints back to the same text, and verifies only if
		// it is the signed checkpoint.
		if got.Text() != text {
			t.Fatalf("Text() = %q, parsed from %q", got.Text(), text)
		}
		if got.Verify(pub) == nil && text != c.Text() {
			t.Fatalf("a changed checkpoint verifies: %q", text)
		}
	})
}

func FuzzCheckpointJSON(f *testing.F) {
	c, _ := testCheckpoint(f)
	data, _ := json.Marshal(c)
	f.Add(data)
	f.Add([]byte(`{"origin":"x","size":0,"root":"","time":"","key_id":"","signature":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Checkpoint
		if err := json.Unmarshal(data, &got); err != nil {
			return
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back Checkpoint
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("re-reading %s: %v", again, err)
		}
		if back.Text() != got.Text() {
			t.Fatalf("JSON round trip changed %q into %q", got.Text(), back.Text())
		}
	})
}
