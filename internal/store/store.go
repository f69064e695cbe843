// Package store defines what Vigie needs from an event store, as small
// interfaces, and the types they share. Backends live in sub-packages
// (sqlite, and later postgres); package storetest is the contract suite
// every backend must pass.
//
// The package does not choose a backend or open one; cmd/vigie does.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
)

// ErrNotFound is returned by Get for an unknown event ID.
var ErrNotFound = errors.New("event not found")

// DefaultLimit and MaxLimit bound the number of events one search returns.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Appender stores events.
type Appender interface {
	// Append stores the batch durably: when it returns nil, every event
	// survives a crash of the process and has its ID set, in batch order.
	// On error nothing of the batch is stored and no ID is set; a full
	// disk or an I/O error fails the batch without harming the store, so
	// the caller may answer 503 and retry later. Events must not be
	// modified by the caller during the call. Safe for concurrent use.
	Append(ctx context.Context, batch []*event.Event) error
}

// Query selects events.
type Query struct {
	Expr query.Expr // nil matches every event
	// From and To bound the event time: From <= Time < To. A zero value
	// leaves that side open.
	From, To time.Time
	// Limit is the most events to return: 0 means DefaultLimit, and it is
	// capped at MaxLimit. Count ignores it.
	Limit int
	// Before, when non-zero, is a paging cursor: the ID of the last event
	// of the previous page. Search then returns only the events that come
	// after that event in its order (by time, then ID: events whose
	// (Time, ID) is below the cursor event's), so that paging neither
	// skips nor repeats events whose times are not in ID order (late or
	// replayed logs). When the cursor event no longer exists, retention
	// deleted it and every older event, and nothing comes after it.
	// Count ignores Before.
	Before event.ID
}

// Searcher finds stored events.
type Searcher interface {
	// Search returns matching events newest first (by time, then by ID):
	// exactly the events that query.Compile(q.Expr) matches within the
	// time bounds.
	Search(ctx context.Context, q Query) ([]*event.Event, error)
	// Count returns how many events match, ignoring Limit and Before.
	Count(ctx context.Context, q Query) (int64, error)
	// Get returns one event, or ErrNotFound.
	Get(ctx context.Context, id event.ID) (*event.Event, error)
}

// Scanner reads stored events in the order they were stored, for
// consumers that must see every event once: live detection catching up
// after a restart, and retro-hunts.
type Scanner interface {
	// Scan returns up to limit events whose ID is above after, in
	// increasing ID order. Pass the last ID returned to read on; an empty
	// result means there is nothing after it yet.
	Scan(ctx context.Context, after event.ID, limit int) ([]*event.Event, error)
}

// Retention says how much history to keep. A zero field means no limit.
type Retention struct {
	MaxAge time.Duration // drop events whose time is before now-MaxAge
	// MaxBytes drops the oldest events until the store is under this
	// size, as the backend measures it. A backend may get there over
	// several calls (space freed by a delete is not always visible at
	// once), so call Prune periodically.
	MaxBytes int64
}

// Pruner enforces retention.
type Pruner interface {
	// Prune deletes events outside r, oldest first (by time, then ID),
	// and returns how many it removed. It may be called concurrently with
	// the other methods; appends wait for it at most briefly.
	Prune(ctx context.Context, r Retention, now time.Time) (int64, error)
}

// Store is what a backend provides in full.
type Store interface {
	Appender
	Searcher
	Scanner
	Pruner
	Records
	Auditor
	Ledger
	Close() error
}

// ErrNoRecord is returned by GetRecord for an unknown record.
var ErrNoRecord = errors.New("record not found")

// Record is one of Vigie's own documents (an incident, a decision, an
// indicator, a hunt), kept as JSON under its kind and ID.
type Record struct {
	Kind    string
	ID      string
	Body    []byte // JSON
	Updated time.Time
}

// Records keeps Vigie's own documents. Writes are durable when they
// return, like Append.
type Records interface {
	// PutRecord creates or replaces the record kind/id.
	PutRecord(ctx context.Context, r Record) error
	// PutRecords writes several records at once: all of them, or none
	// when it fails.
	PutRecords(ctx context.Context, rs []Record) error
	// GetRecord returns the record kind/id, or ErrNoRecord.
	GetRecord(ctx context.Context, kind, id string) (Record, error)
	// ListRecords returns every record of kind, by ID.
	ListRecords(ctx context.Context, kind string) ([]Record, error)
	// ListRecordsAfter returns up to limit records of kind whose ID is
	// above after, by ID: a page of a kind with many records. limit <= 0
	// or above MaxLimit means MaxLimit.
	ListRecordsAfter(ctx context.Context, kind, after string, limit int) ([]Record, error)
	// LastRecord returns the record of kind with the greatest ID, or
	// ErrNoRecord.
	LastRecord(ctx context.Context, kind string) (Record, error)
	// DeleteRecord removes kind/id; removing a missing record is not an
	// error.
	DeleteRecord(ctx context.Context, kind, id string) error
}

// AuditEntry is one line of the audit log: who did what, when, from
// where. Entries are only ever appended.
type AuditEntry struct {
	Seq    int64           `json:"seq"` // set by AppendAudit, from 1 up
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor"`            // a user, "policy:NAME" or "system"
	Action string          `json:"action"`           // "decision.create", "incident.status"…
	Target string          `json:"target,omitempty"` // what it was done to: "incident/7", "decision/12"
	Remote string          `json:"remote,omitempty"` // the client's address
	Detail json.RawMessage `json:"detail,omitempty"`
}

// Auditor keeps the audit log.
type Auditor interface {
	// AppendAudit stores e durably and sets its Seq.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditLog returns up to limit entries whose Seq is above after, in
	// order; target, when not empty, keeps only the entries about it.
	AuditLog(ctx context.Context, after int64, limit int, target string) ([]AuditEntry, error)
}

// LedgerEntry is one leaf of the integrity log: the hash of one stored
// event or audit entry (package evidence/leaf defines the leaf bytes and
// their hash).
type LedgerEntry struct {
	Index int64 // position in the log, from 0
	Kind  uint8 // leaf.KindEvent or leaf.KindAudit
	Ref   int64 // the event ID or the audit entry's Seq
	Hash  [32]byte
}

// Ledger is the store's integrity log. Append, AppendAudit and Prune add
// its leaves in the same transaction as what they stand for, so that
// every event and audit entry that was ever stored durably has its leaf,
// in the order they were stored. Leaves are never removed: Prune deletes
// events but keeps their leaves, and records what it deleted as an audit
// entry of action ActionPrune.
type Ledger interface {
	// LedgerSize returns the number of leaves.
	LedgerSize(ctx context.Context) (int64, error)
	// Leaves returns up to limit leaves from index from on, in order.
	Leaves(ctx context.Context, from int64, limit int) ([]LedgerEntry, error)
	// LeafIndex returns the index of the leaf of an event (kind
	// leaf.KindEvent, ref the event ID) or audit entry (leaf.KindAudit,
	// ref its Seq), or ErrNoRecord.
	LeafIndex(ctx context.Context, kind uint8, ref int64) (int64, error)
}

// ActionPrune is the audit action Prune records, with actor "retention"
// and as detail {"ids": [[first, last], ...]}: the ranges of event IDs it
// deleted. Verification accepts a missing event only inside such a range.
const ActionPrune = "events.prune"
