package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vigie-sec/vigie/internal/event"
)

// schemaVersion is stored in PRAGMA user_version. Open refuses a file with
// a higher version, written by a newer Vigie.
const schemaVersion = 3

// schema creates the tables of a new store.
//
// events holds one row per event; its rowid is the event ID. time and
// received are Unix nanoseconds (timeToNanos); fields is the binary
// encoding of codec.go; raw is the record exactly as received. The time
// index serves searches that the terms index cannot narrow, and Prune.
//
// terms is a contentless FTS5 index keyed by event ID. It stores no text,
// only the postings of two kinds of terms (see eventTerms): the words of
// the event's full text, and one term per distinct value of each entity
// field. It is an inverted index written in sorted segments, so adding an
// event's twenty terms costs less than adding four rows to a B-tree index
// (BenchmarkAppend). contentless_delete lets Prune remove rows. hashsize
// lets one batch of events be flushed as one segment. deletemerge 50
// merges a segment once half its rows are deleted, rather than a tenth:
// BenchmarkPrune deleted 66,000 events per second instead of 16,800, for
// 3 to 6% more space per event in steady state (TestPruneSteadyState).
// automerge 8 merges segments eight at a time rather than four: merging
// took 17% of Append's CPU time instead of 21% (BenchmarkAppend profile);
// searches read more segments, and BenchmarkSearch showed no difference
// beyond the run-to-run noise of the shared machine.
//
// zones records, for each block of 1<<zoneBits consecutive IDs, the least
// and greatest event time in it. Searches that walk the terms index in ID
// order use it to know when no older ID can hold a newer event (zones.go).
//
// meta keeps the highest ID ever assigned, so that IDs are never reused
// even after Prune deletes the newest events.
const schema = `
CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	time        INTEGER NOT NULL,
	received    INTEGER NOT NULL,
	source      TEXT NOT NULL,
	format      TEXT NOT NULL,
	kind        INTEGER NOT NULL,
	parse_error TEXT NOT NULL,
	fields      BLOB NOT NULL,
	raw         BLOB NOT NULL
);
CREATE INDEX events_time ON events(time);
CREATE VIRTUAL TABLE terms USING fts5(
	text, content='', contentless_delete=1, tokenize="ascii tokenchars '_'"
);
INSERT INTO terms(terms, rank) VALUES ('hashsize', 33554432);
INSERT INTO terms(terms, rank) VALUES ('deletemerge', 50);
INSERT INTO terms(terms, rank) VALUES ('automerge', 8);
CREATE TABLE zones (
	block    INTEGER PRIMARY KEY,
	min_time INTEGER NOT NULL,
	max_time INTEGER NOT NULL
);
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('last_id', 0);
` + schemaV2 + schemaV3

// schemaV2 adds Vigie's own documents (store.Records) and the audit log
// (store.Auditor) to version 1. Records are small JSON documents keyed by
// kind and ID; the audit log's seq is its order.
const schemaV2 = `
CREATE TABLE records (
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	updated INTEGER NOT NULL,
	body    BLOB NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE audit (
	seq    INTEGER PRIMARY KEY,
	time   INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	remote TEXT NOT NULL,
	detail BLOB
);
CREATE INDEX audit_target ON audit(target, seq);
`

// entityPrefixes names the indexed entity fields in their terms. They are
// stored: never change one. Indexing a new field needs a schema version
// that indexes the events already stored.
var entityPrefixes = map[string]byte{
	event.UserName:      'u',
	event.HostName:      'h',
	event.SourceIP:      's',
	event.DestinationIP: 'd',
}

// maxKeyBytes bounds the entity values indexed. Longer values are cut at a
// rune boundary; a lookup cuts its value the same way and the query
// matcher discards the extra candidates.
const maxKeyBytes = 200

// entityKey returns the folded, bounded form of an entity value.
func entityKey(value string) string {
	k := foldKey(value)
	if len(k) <= maxKeyBytes {
		return k
	}
	n := maxKeyBytes
	for n > 0 && k[n]&0xC0 == 0x80 { // a UTF-8 continuation byte
		n--
	}
	return k[:n]
}

// appendEntityTerm appends the term of an entity value: '_', the field's
// prefix, and the key with every byte other than [0-9a-z] written as '_'
// and two hex digits. Words hold no '_', so no word equals an entity term,
// and a prefix of a key gives a prefix of its term.
func appendEntityTerm(dst []byte, prefix byte, key string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '_', prefix)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if isWordRune(rune(c)) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '_', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

// migrate creates the schema in a new file and checks the version of an
// existing one.
func migrate(ctx context.Context, conn *sql.Conn) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("store has schema version %d, newer than this program's %d: use a newer vigie", version, schemaVersion)
	}
	ddl := schema
	switch version {
	case 1:
		ddl = schemaV2 + schemaV3
	case 2:
		ddl = schemaV3
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("creating schema: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("creating schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("creating schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("creating schema: %w", err)
	}
	return nil
}
