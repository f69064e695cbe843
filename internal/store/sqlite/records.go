package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// write runs f on the writer connection in a transaction, holding the
// write gate; committed, when not nil, runs after the commit, still
// holding it.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error, committed ...func()) error {
	if err := s.lockWrite(ctx); err != nil {
		return err
	}
	defer s.unlockWrite()
	if s.closed {
		return errors.New("store is closed")
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, c := range committed {
		c()
	}
	return nil
}

// PutRecord creates or replaces a record.
func (s *Store) PutRecord(ctx context.Context, r store.Record) error {
	if err := s.PutRecords(ctx, []store.Record{r}); err != nil {
		return fmt.Errorf("putting record %s/%s: %w", r.Kind, r.ID, err)
	}
	return nil
}

// PutRecords creates or replaces records in one transaction.
func (s *Store) PutRecords(ctx context.Context, rs []store.Record) error {
	now := time.Now()
	for i, r := range rs {
		if r.Kind == "" || r.ID == "" {
			return fmt.Errorf("record %d: kind and id are required", i)
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx,
			"INSERT INTO records(kind, id, updated, body) VALUES (?, ?, ?, ?) "+
				"ON CONFLICT(kind, id) DO UPDATE SET updated = excluded.updated, body = excluded.body")
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range rs {
			updated := r.Updated
			if updated.IsZero() {
				updated = now
			}
			if _, err := stmt.ExecContext(ctx, r.Kind, r.ID, timeToNanos(updated), r.Body); err != nil {
				return fmt.Errorf("%s/%s: %w", r.Kind, r.ID, err)
			}
		}
		return nil
	})
}

// GetRecord returns one record, or store.ErrNoRecord.
func (s *Store) GetRecord(ctx context.Context, kind, id string) (store.Record, error) {
	r := store.Record{Kind: kind, ID: id}
	var updated int64
	err := s.readers.QueryRowContext(ctx, "SELECT updated, body FROM records WHERE kind = ? AND id = ?", kind, id).
		Scan(&updated, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%s %s: %w", kind, id, store.ErrNoRecord)
	}
	if err != nil {
		return r, fmt.Errorf("reading record %s/%s: %w", kind, id, err)
	}
	r.Updated = nanosToTime(updated)
	return r, nil
}

// ListRecords returns every record of a kind, by ID.
func (s *Store) ListRecords(ctx context.Context, kind string) ([]store.Record, error) {
	return s.listRecords(ctx, kind, "SELECT id, updated, body FROM records WHERE kind = ? ORDER BY id", kind)
}

// ListRecordsAfter returns a page of the records of a kind, by ID.
func (s *Store) ListRecordsAfter(ctx context.Context, kind, after string, limit int) ([]store.Record, error) {
	if limit <= 0 || limit > store.MaxLimit {
		limit = store.MaxLimit
	}
	return s.listRecords(ctx, kind, "SELECT id, updated, body FROM records WHERE kind = ? AND id > ? ORDER BY id LIMIT ?", kind, after, limit)
}

// LastRecord returns the record of a kind with the greatest ID.
func (s *Store) LastRecord(ctx context.Context, kind string) (store.Record, error) {
	rs, err := s.listRecords(ctx, kind, "SELECT id, updated, body FROM records WHERE kind = ? ORDER BY id DESC LIMIT 1", kind)
	if err != nil {
		return store.Record{}, err
	}
	if len(rs) == 0 {
		return store.Record{}, fmt.Errorf("last %s record: %w", kind, store.ErrNoRecord)
	}
	return rs[0], nil
}

func (s *Store) listRecords(ctx context.Context, kind, query string, args ...any) ([]store.Record, error) {
	rows, err := s.readers.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing %s records: %w", kind, err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r := store.Record{Kind: kind}
		var updated int64
		if err := rows.Scan(&r.ID, &updated, &r.Body); err != nil {
			return nil, fmt.Errorf("listing %s records: %w", kind, err)
		}
		r.Updated = nanosToTime(updated)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing %s records: %w", kind, err)
	}
	return out, nil
}

// DeleteRecord removes a record.
func (s *Store) DeleteRecord(ctx context.Context, kind, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM records WHERE kind = ? AND id = ?", kind, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting record %s/%s: %w", kind, id, err)
	}
	return nil
}

// AppendAudit stores an audit entry and its leaf of the integrity log, and
// sets its Seq.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return fmt.Errorf("audit entry needs an actor and an action")
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	seq := e.Seq
	err := s.write(ctx, func(tx *sql.Tx) error { return s.auditLocked(ctx, tx, e) }, func() { s.ledgerSize++ })
	if err != nil {
		e.Seq = seq
		return fmt.Errorf("writing audit entry: %w", err)
	}
	return nil
}

// AuditLog returns audit entries after seq, in order.
func (s *Store) AuditLog(ctx context.Context, after int64, limit int, target string) ([]store.AuditEntry, error) {
	if limit <= 0 || limit > store.MaxLimit {
		limit = store.MaxLimit
	}
	q := "SELECT seq, time, actor, action, target, remote, detail FROM audit WHERE seq > ?"
	args := []any{after}
	if target != "" {
		q += " AND target = ?"
		args = append(args, target)
	}
	q += " ORDER BY seq LIMIT ?"
	args = append(args, limit)
	rows, err := s.readers.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading audit log: %w", err)
	}
	out, err := scanAudit(rows)
	if err != nil {
		return nil, fmt.Errorf("reading audit log: %w", err)
	}
	return out, nil
}

// auditFrom reads up to limit entries after seq on the writer connection.
func (s *Store) auditFrom(ctx context.Context, conn *sql.Conn, after int64, limit int) ([]store.AuditEntry, error) {
	rows, err := conn.QueryContext(ctx,
		"SELECT seq, time, actor, action, target, remote, detail FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, err
	}
	return scanAudit(rows)
}

func scanAudit(rows *sql.Rows) ([]store.AuditEntry, error) {
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var t int64
		var detail []byte
		if err := rows.Scan(&e.Seq, &t, &e.Actor, &e.Action, &e.Target, &e.Remote, &detail); err != nil {
			return nil, err
		}
		e.Time = nanosToTime(t)
		if len(detail) > 0 {
			e.Detail = detail
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
