// Package webhook holds what Vigie's outgoing webhooks (notifications and
// response executors) share: the signature scheme and the guarded HTTP
// client.
//
// A call is signed with two headers:
//
//	X-Vigie-Timestamp: <Unix seconds>
//	X-Vigie-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A receiver recomputes the HMAC over the timestamp, a dot and the raw
// body, compares in constant time, and refuses timestamps too far from its
// clock so that a captured request cannot be replayed later; Verify does
// all three.
//
// NewClient's client checks each address it dials, after name resolution
// (so DNS rebinding is caught too), against a Guard, uses no proxy and
// follows no redirects.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	SignatureHeader = "X-Vigie-Signature"
	TimestampHeader = "X-Vigie-Timestamp"
)

// Sign returns the X-Vigie-Signature value of body sent at timestamp (Unix
// seconds, as in X-Vigie-Timestamp): "sha256=" and the hex HMAC-SHA256 of
// timestamp + "." + body under secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Errors of Verify.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp outside the tolerance")
)

// Verify checks a received call: signature is the X-Vigie-Signature
// header, timestamp the X-Vigie-Timestamp header, body the raw request
// body. It fails when the signature is malformed or does not match
// (ErrBadSignature) or when the timestamp is not Unix seconds or is more
// than tolerance away from now (ErrStale).
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	hexSig, ok := strings.CutPrefix(signature, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return fmt.Errorf("%w: want sha256=<64 hex digits>", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || len(timestamp) > 12 {
		return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrStale, timestamp)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrBadSignature
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: %s from now", ErrStale, skew.Round(time.Second))
	}
	return nil
}
