package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
)

// ErrClosed is returned by Append and Prune after Close.
var ErrClosed = errors.New("event store closed")

// writeStmts are the statements Append runs, prepared once on the writer
// connection.
type writeStmts struct {
	events    *bulkInsert
	terms     *sql.Stmt
	zone      *sql.Stmt
	setLastID *sql.Stmt
}

func (w *writeStmts) prepare(ctx context.Context, conn *sql.Conn) error {
	var err error
	if w.events, err = prepareBulk(ctx, conn,
		"events(id, time, received, source, format, kind, parse_error, fields, raw)", 9); err != nil {
		return fmt.Errorf("preparing to insert events: %w", err)
	}
	// One statement adds the terms of the whole batch, from a JSON array
	// of strings: FTS5 flushes its pending terms to disk when a statement
	// that writes to it begins, so a statement per event would write a
	// segment per event and spend its time merging them.
	if w.terms, err = conn.PrepareContext(ctx,
		"INSERT INTO terms(rowid, text) SELECT ? + key, value FROM json_each(?)"); err != nil {
		return fmt.Errorf("preparing to insert terms: %w", err)
	}
	if w.zone, err = conn.PrepareContext(ctx,
		"INSERT OR REPLACE INTO zones(block, min_time, max_time) VALUES (?, ?, ?)"); err != nil {
		return fmt.Errorf("preparing to insert zones: %w", err)
	}
	if w.setLastID, err = conn.PrepareContext(ctx, "UPDATE meta SET value = ? WHERE key = 'last_id'"); err != nil {
		return fmt.Errorf("preparing to update the last id: %w", err)
	}
	return nil
}

func (w *writeStmts) close() {
	w.events.close()
	for _, s := range []*sql.Stmt{w.terms, w.zone, w.setLastID} {
		if s != nil {
			s.Close()
		}
	}
}

// Append stores the batch in one transaction. When it returns nil the
// batch is in the write-ahead log and synced to disk (synchronous=FULL),
// so it survives a crash of the process and of the machine, and each
// event's ID is set, increasing in batch order. On error nothing of the
// batch is stored, no ID is set, and the store keeps working: a full disk
// or an I/O error fails the batch, and a later Append succeeds once space
// is back. Append only reads the events, but for their ID.
func (s *Store) Append(ctx context.Context, batch []*event.Event) error {
	if len(batch) == 0 {
		return nil
	}
	contents := eventContents(batch)
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("appending %d events: %w", len(batch), err)
	}
	defer s.unlockWrite()
	if err := s.appendLocked(ctx, batch, contents); err != nil {
		return fmt.Errorf("appending %d events: %w", len(batch), err)
	}
	for i, e := range batch {
		e.ID = event.ID(s.nextID + int64(i))
	}
	s.nextID += int64(len(batch))
	return nil
}

// appendLocked writes batch in one transaction with IDs from s.nextID;
// contents are the events' content hashes, for the integrity log.
func (s *Store) appendLocked(ctx context.Context, batch []*event.Event, contents []leaf.Hash) (err error) {
	if s.closed {
		return ErrClosed
	}
	if err := s.beginLocked(ctx); err != nil {
		return err
	}
	st := &s.stmts
	defer func() {
		if err != nil {
			s.rollbackLocked()
			st.events.reset()
		}
	}()
	times := make([]int64, len(batch))
	// terms is a JSON array of each event's terms. Terms are made of
	// [0-9a-z_] and separated by spaces: they need no escaping.
	terms := make([]byte, 0, len(batch)*160)
	terms = append(terms, '[')
	for i, e := range batch {
		id := s.nextID + int64(i)
		times[i] = timeToNanos(e.Time)
		// A new slice per event: the row waits in st.events until a
		// statement of bulkRows rows runs.
		fields, err := appendFields(nil, e.Fields)
		if err != nil {
			return err
		}
		if err := st.events.add(ctx, id, times[i], timeToNanos(e.Received), string(e.Source),
			e.Format, int(e.Kind), e.ParseError, nonNil(fields), nonNil(e.Raw)); err != nil {
			return err
		}
		if i > 0 {
			terms = append(terms, ',')
		}
		terms = append(terms, '"')
		terms = appendEventTerms(terms, e)
		terms = append(terms, '"')
	}
	terms = append(terms, ']')
	if err := st.events.flush(ctx); err != nil {
		return err
	}
	if _, err := st.terms.ExecContext(ctx, s.nextID, terms); err != nil {
		return err
	}
	for _, z := range s.zones.widen(batchZones(s.nextID, times)) {
		if _, err := st.zone.ExecContext(ctx, z.block, z.minTime, z.maxTime); err != nil {
			return err
		}
	}
	if _, err := st.setLastID.ExecContext(ctx, s.nextID+int64(len(batch))-1); err != nil {
		return err
	}
	if err := s.addLeavesLocked(ctx, s.writer, leaf.KindEvent, s.nextID, eventLeaves(contents, s.nextID)); err != nil {
		return err
	}
	if err := s.commitLocked(ctx); err != nil {
		return err
	}
	s.ledgerSize += int64(len(batch))
	s.ckpt.request()
	return nil
}

// appendEventTerms appends the terms index text of e: the words of its
// full text (what the matcher searches for bare words: the message, or
// the raw record when there is none) and a term for each distinct value of
// its entity fields. Prune does not need it: contentless_delete removes
// an event's postings by ID.
func appendEventTerms(dst []byte, e *event.Event) []byte {
	dst = appendWords(dst, e.Message())
	start := len(dst)
	for _, f := range e.Fields {
		prefix, ok := entityPrefixes[f.Name]
		if !ok {
			continue
		}
		n := len(dst)
		dst = append(dst, ' ')
		dst = appendEntityTerm(dst, prefix, entityKey(f.Value))
		if termSeen(dst[start:n], dst[n:]) {
			dst = dst[:n]
		}
	}
	return dst
}

// termSeen reports whether the space-separated list has the term t, which
// begins with its space.
func termSeen(list, t []byte) bool {
	for len(list) > 0 {
		end := 1
		for end < len(list) && list[end] != ' ' {
			end++
		}
		if string(list[:end]) == string(t) {
			return true
		}
		list = list[end:]
	}
	return false
}

// nonNil returns b, or an empty slice for nil: the driver stores a nil
// []byte as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// beginLocked starts a write transaction on the writer connection. The
// writer runs BEGIN, COMMIT and ROLLBACK itself rather than through
// database/sql's Tx, so that the statements prepared on the connection run
// in the transaction as they are (Tx.Stmt prepares them again).
func (s *Store) beginLocked(ctx context.Context) error {
	_, err := s.writer.ExecContext(ctx, "BEGIN IMMEDIATE")
	return err
}

func (s *Store) commitLocked(ctx context.Context) error {
	_, err := s.writer.ExecContext(ctx, "COMMIT")
	return err
}

// rollbackLocked ends the transaction after an error. It runs even when
// the context of the failed call has ended; a ROLLBACK with no transaction
// open (SQLite rolls back by itself after some errors) fails harmlessly.
func (s *Store) rollbackLocked() {
	s.writer.ExecContext(context.Background(), "ROLLBACK")
}
