package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/evidence/leaf"
)

// Checkpoint is a signed statement that the integrity log had Size leaves
// whose Merkle tree root was Root at Time. Anyone holding a checkpoint
// can later ask for a consistency proof and so detect a rewrite of any of
// those Size leaves.
//
// The signed body is the text
//
//	vigie checkpoint v1
//	<origin>
//	<size, decimal>
//	<root, standard base64>
//	<time, RFC 3339 with nanoseconds, UTC>
//
// each line ending in "\n"; Signature is Ed25519 over those bytes.
type Checkpoint struct {
	Origin    string    // the instance's name
	Size      int64     // number of leaves
	Root      leaf.Hash // RFC 6962 root of the first Size leaves
	Time      time.Time // when it was signed, UTC
	KeyID     string    // PublicKey.KeyID of the signer
	Signature []byte
}

// checkpointHeader is the first line of a checkpoint body.
const checkpointHeader = "vigie checkpoint v1"

// MaxOrigin bounds the length of an origin, in bytes.
const MaxOrigin = 256

// maxCheckpointText bounds the text form accepted by ParseCheckpointText.
const maxCheckpointText = 2048

// ErrBadCheckpoint is matched (errors.Is) by every error of parsing or
// verifying a checkpoint.
var ErrBadCheckpoint = errors.New("bad checkpoint")

// CheckpointError is a malformed checkpoint text; Line counts from 1 and
// is 0 when the problem is not on one line.
type CheckpointError struct {
	Line int
	Msg  string
}

func (e *CheckpointError) Error() string {
	if e.Line == 0 {
		return "checkpoint: " + e.Msg
	}
	return fmt.Sprintf("checkpoint:%d: %s", e.Line, e.Msg)
}

// Is makes CheckpointError match ErrBadCheckpoint.
func (e *CheckpointError) Is(target error) bool { return target == ErrBadCheckpoint }

// checkOrigin says why origin cannot name an instance, or nil.
func checkOrigin(origin string) error {
	switch {
	case origin == "":
		return errors.New("origin is empty")
	case len(origin) > MaxOrigin:
		return fmt.Errorf("origin is longer than %d bytes", MaxOrigin)
	case !utf8.ValidString(origin):
		return errors.New("origin is not UTF-8")
	case strings.ContainsAny(origin, "\n\r"):
		return errors.New("origin has a line break")
	}
	return nil
}

// SignCheckpoint signs a checkpoint of the tree of size leaves whose root
// is root, at time t (kept in UTC, without monotonic reading). origin
// must be one line of at most MaxOrigin bytes; Open checks it.
func SignCheckpoint(k *Key, origin string, size int64, root leaf.Hash, t time.Time) Checkpoint {
	c := Checkpoint{Origin: origin, Size: size, Root: root, Time: t.UTC().Round(0), KeyID: k.Public().KeyID()}
	c.Signature = k.Sign(c.Body())
	return c
}

// Body returns the signed bytes of c.
func (c Checkpoint) Body() []byte {
	var b strings.Builder
	b.WriteString(checkpointHeader)
	b.WriteByte('\n')
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root[:]))
	b.WriteByte('\n')
	b.WriteString(c.Time.UTC().Format(time.RFC3339Nano))
	b.WriteByte('\n')
	return []byte(b.String())
}

// Verify checks that c was signed by pub: its key ID names pub and its
// signature is valid over its body. Errors match ErrBadCheckpoint.
func (c Checkpoint) Verify(pub PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key has %d bytes", ErrBadCheckpoint, len(pub))
	}
	if err := checkOrigin(c.Origin); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	if c.Size < 0 {
		return fmt.Errorf("%w: negative size %d", ErrBadCheckpoint, c.Size)
	}
	if want := pub.KeyID(); c.KeyID != want {
		return fmt.Errorf("%w: signed by key %q, not by %s (key %s)", ErrBadCheckpoint, c.KeyID, pub, want)
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), c.Body(), c.Signature) {
		return fmt.Errorf("%w: signature of checkpoint at size %d does not match key %s", ErrBadCheckpoint, c.Size, c.KeyID)
	}
	return nil
}

// String names c for messages: "checkpoint size 120 of vigie-1 at 2025-…".
func (c Checkpoint) String() string {
	return fmt.Sprintf("checkpoint size %d of %s at %s", c.Size, c.Origin, c.Time.UTC().Format(time.RFC3339))
}

// signaturePrefix opens the signature line of the text form.
const signaturePrefix = "\u2014 "

// Text returns c as a signed note: the body, an empty line, then the
// signature line "— <key id> <base64 signature>\n", in the manner of
// C2SP signed notes.
func (c Checkpoint) Text() string {
	return string(c.Body()) + "\n" + signaturePrefix + c.KeyID + " " +
		base64.StdEncoding.EncodeToString(c.Signature) + "\n"
}

// ParseCheckpointText parses the text form Text writes. It checks the
// form only; call Verify to check the signature. Errors are
// *CheckpointError, naming the line.
func ParseCheckpointText(text string) (Checkpoint, error) {
	if len(text) > maxCheckpointText {
		return Checkpoint{}, &CheckpointError{Msg: fmt.Sprintf("longer than %d bytes", maxCheckpointText)}
	}
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, &CheckpointError{Msg: "does not end with a line break"}
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 7 {
		return Checkpoint{}, &CheckpointError{Msg: fmt.Sprintf("has %d lines, want 7 (5 of body, an empty line, a signature)", len(lines))}
	}
	c, err := parseBody(lines[:5])
	if err != nil {
		return Checkpoint{}, err
	}
	if lines[5] != "" {
		return Checkpoint{}, &CheckpointError{Line: 6, Msg: "want an empty line before the signature"}
	}
	sigLine, ok := strings.CutPrefix(lines[6], signaturePrefix)
	if !ok {
		return Checkpoint{}, &CheckpointError{Line: 7, Msg: "signature line does not start with \"\u2014 \""}
	}
	keyID, sig, ok := strings.Cut(sigLine, " ")
	if !ok || !validKeyID(keyID) {
		return Checkpoint{}, &CheckpointError{Line: 7, Msg: "want \"\u2014 <16 hex digits key id> <base64 signature>\""}
	}
	c.KeyID = keyID
	if c.Signature, err = decodeSignature(sig); err != nil {
		return Checkpoint{}, &CheckpointError{Line: 7, Msg: err.Error()}
	}
	return c, nil
}

// parseBody parses the five lines of a checkpoint body.
func parseBody(lines []string) (Checkpoint, error) {
	var c Checkpoint
	if lines[0] != checkpointHeader {
		return c, &CheckpointError{Line: 1, Msg: fmt.Sprintf("want %q", checkpointHeader)}
	}
	if err := checkOrigin(lines[1]); err != nil {
		return c, &CheckpointError{Line: 2, Msg: err.Error()}
	}
	c.Origin = lines[1]
	size, err := strconv.ParseInt(lines[2], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[2] {
		return c, &CheckpointError{Line: 3, Msg: fmt.Sprintf("size %.30q is not a decimal number >= 0", lines[2])}
	}
	c.Size = size
	if c.Root, err = decodeRoot(lines[3]); err != nil {
		return c, &CheckpointError{Line: 4, Msg: err.Error()}
	}
	if c.Time, err = parseTime(lines[4]); err != nil {
		return c, &CheckpointError{Line: 5, Msg: err.Error()}
	}
	return c, nil
}

func decodeRoot(s string) (leaf.Hash, error) {
	var h leaf.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != len(h) {
		return h, fmt.Errorf("root %.60q is not the base64 of %d bytes", s, len(h))
	}
	copy(h[:], raw)
	return h, nil
}

func decodeSignature(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return nil, fmt.Errorf("signature %.100q is not the base64 of %d bytes", s, ed25519.SignatureSize)
	}
	return raw, nil
}

// parseTime parses a time as Body writes it, so that the body of a parsed
// checkpoint is byte for byte the body that was signed.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.UTC().Format(time.RFC3339Nano) != s {
		return time.Time{}, fmt.Errorf("time %.40q is not RFC 3339 in UTC as Vigie writes it (2006-01-02T15:04:05.999999999Z)", s)
	}
	return t.UTC(), nil
}

func validKeyID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// checkpointJSON is the JSON shape of a Checkpoint.
type checkpointJSON struct {
	Origin    string `json:"origin"`
	Size      int64  `json:"size"`
	Root      string `json:"root"`      // standard base64
	Time      string `json:"time"`      // RFC 3339, UTC, as in the body
	KeyID     string `json:"key_id"`    // 16 hex digits
	Signature string `json:"signature"` // standard base64
}

// MarshalJSON writes c as
// {"origin","size","root" (base64),"time","key_id","signature" (base64)}.
func (c Checkpoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(checkpointJSON{
		Origin:    c.Origin,
		Size:      c.Size,
		Root:      base64.StdEncoding.EncodeToString(c.Root[:]),
		Time:      c.Time.UTC().Format(time.RFC3339Nano),
		KeyID:     c.KeyID,
		Signature: base64.StdEncoding.EncodeToString(c.Signature),
	})
}

// UnmarshalJSON reads the JSON MarshalJSON writes, checking its form
// (not its signature: call Verify). Errors match ErrBadCheckpoint.
func (c *Checkpoint) UnmarshalJSON(data []byte) error {
	var j checkpointJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	var out Checkpoint
	var err error
	bad := func(field string, err error) error {
		return fmt.Errorf("%w: field %s: %w", ErrBadCheckpoint, field, err)
	}
	if err := checkOrigin(j.Origin); err != nil {
		return bad("origin", err)
	}
	out.Origin = j.Origin
	if j.Size < 0 {
		return bad("size", fmt.Errorf("negative size %d", j.Size))
	}
	out.Size = j.Size
	if out.Root, err = decodeRoot(j.Root); err != nil {
		return bad("root", err)
	}
	if out.Time, err = parseTime(j.Time); err != nil {
		return bad("time", err)
	}
	if !validKeyID(j.KeyID) {
		return bad("key_id", fmt.Errorf("%.40q is not 16 lowercase hex digits", j.KeyID))
	}
	out.KeyID = j.KeyID
	if out.Signature, err = decodeSignature(j.Signature); err != nil {
		return bad("signature", err)
	}
	*c = out
	return nil
}
