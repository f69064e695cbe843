// Package leaf defines the leaves of Vigie's integrity log: the exact bytes
// that stand for one stored event (alerts are events of kind alert) or one
// audit-log entry, and their RFC 6962 leaf hash.
//
// The encoding is part of Vigie's evidence format: a bundle's receiver
// recomputes it from the NDJSON of the bundle to check inclusion proofs,
// so it never changes once released; a new encoding gets a new Domain
// string. docs/evidence.md describes it for other implementations.
//
// A leaf is a sequence of items, each written as uvarint(len) then bytes;
// integers are written as their decimal text. An event's leaf is
//
//	"vigie.event.v1", id, content
//
// where content is the SHA-256 of the event's content items:
//
//	time, received, source, format, kind, parse_error, number of fields,
//	then name, type, value of each field, then raw
//
// The store hashes the content before it takes its write lock and adds the
// ID, which it assigns under the lock, to a short leaf: the integrity log
// costs the single writer little. An audit entry's leaf is
//
//	"vigie.audit.v1", seq, time, actor, action, target, remote, detail
//
// Times are Unix nanoseconds as Nanos gives them; kind and type are the
// numbers of event.Kind and event.Type.
package leaf

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/store"
)

// Domain strings open every leaf, so that an event's bytes can never be
// read as an audit entry's.
const (
	EventDomain = "vigie.event.v1"
	AuditDomain = "vigie.audit.v1"
)

// Kind says what a leaf stands for. Its numbers are stored: never change one.
type Kind uint8

const (
	KindEvent Kind = 1 // a stored event or alert; its ref is the event ID
	KindAudit Kind = 2 // an audit-log entry; its ref is the entry's Seq
)

func (k Kind) String() string {
	switch k {
	case KindEvent:
		return "event"
	case KindAudit:
		return "audit"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Hash is a SHA-256 digest: a leaf hash or a tree node.
type Hash = [sha256.Size]byte

// HashLeaf returns the RFC 6962 hash of a leaf: SHA-256(0x00 || data).
func HashLeaf(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// Nanos is the time as the store keeps it: Unix nanoseconds, with the zero
// time as math.MinInt64 and times beyond int64 nanoseconds clamped.
func Nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return math.MinInt64
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Time is the inverse of Nanos for the times it does not clamp.
func Time(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Event appends the leaf of a stored event to dst. e.ID must be set.
func Event(dst []byte, e *event.Event) []byte {
	return EventLeaf(dst, int64(e.ID), EventContent(e))
}

// EventLeaf appends the leaf of the event whose ID is id and whose content
// hash is content.
func EventLeaf(dst []byte, id int64, content Hash) []byte {
	dst = appendString(dst, EventDomain)
	dst = appendInt(dst, id)
	dst = binary.AppendUvarint(dst, uint64(len(content)))
	return append(dst, content[:]...)
}

// EventContent returns the SHA-256 of e's content items.
func EventContent(e *event.Event) Hash { return sha256.Sum256(AppendContent(nil, e)) }

// AppendContent appends e's content items to dst.
func AppendContent(dst []byte, e *event.Event) []byte {
	b := dst
	b = appendInt(b, Nanos(e.Time))
	b = appendInt(b, Nanos(e.Received))
	b = appendString(b, string(e.Source))
	b = appendString(b, e.Format)
	b = appendInt(b, int64(e.Kind))
	b = appendString(b, e.ParseError)
	b = appendInt(b, int64(len(e.Fields)))
	for _, f := range e.Fields {
		b = appendString(b, f.Name)
		b = appendInt(b, int64(f.Type))
		b = appendString(b, f.Value)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Raw)))
	return append(b, e.Raw...)
}

// Audit appends the leaf of a stored audit entry to dst. a.Seq must be set.
func Audit(dst []byte, a *store.AuditEntry) []byte {
	dst = appendString(dst, AuditDomain)
	dst = appendInt(dst, a.Seq)
	dst = appendInt(dst, Nanos(a.Time))
	dst = appendString(dst, a.Actor)
	dst = appendString(dst, a.Action)
	dst = appendString(dst, a.Target)
	dst = appendString(dst, a.Remote)
	dst = binary.AppendUvarint(dst, uint64(len(a.Detail)))
	return append(dst, a.Detail...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendInt(dst []byte, n int64) []byte {
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], n, 10)
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}
