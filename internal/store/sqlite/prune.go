package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// pruneChunk is the most events one Prune transaction deletes; between
// chunks Prune lets appends in.
const pruneChunk = 5000

// Prune deletes the events outside r, oldest first (by time, then ID), in
// transactions of at most pruneChunk events, so that an Append waits for
// one chunk at most. It returns how many events it deleted.
//
// MaxAge deletes every event whose time is before now-MaxAge.
//
// MaxBytes is compared with the pages the database file uses (page_count
// minus freelist_count, times page_size); the write-ahead log is not
// counted, and Prune truncates it at the end. Deleting rows does not free
// their pages at once (pages are shared with newer events, and the terms
// index drops deleted postings when it merges segments), so Prune
// estimates the number of events to delete from the mean size of an event
// and deletes that many, rather than deleting until the size drops, which
// could delete far more than needed. Called periodically, it converges:
// the file stops growing once the limit is reached, and shrinks when the
// limit is lowered, as incremental vacuum returns free pages to the file
// system.
func (s *Store) Prune(ctx context.Context, r store.Retention, now time.Time) (int64, error) {
	var total int64
	if r.MaxAge > 0 {
		cutoff := timeToNanos(now.Add(-r.MaxAge))
		for {
			n, err := s.pruneChunk(ctx, "WHERE time < ?", []any{cutoff}, pruneChunk)
			total += n
			if err != nil {
				return total, fmt.Errorf("pruning events older than %s: %w", r.MaxAge, err)
			}
			if n < pruneChunk {
				break
			}
		}
	}
	if r.MaxBytes > 0 {
		excess, err := s.excessEvents(ctx, r.MaxBytes)
		if err != nil {
			return total, fmt.Errorf("pruning to %d bytes: %w", r.MaxBytes, err)
		}
		for excess > 0 {
			n, err := s.pruneChunk(ctx, "", nil, min(excess, pruneChunk))
			total += n
			excess -= n
			if err != nil {
				return total, fmt.Errorf("pruning to %d bytes: %w", r.MaxBytes, err)
			}
			if n == 0 {
				break
			}
		}
	}
	if total > 0 {
		if err := s.reclaim(ctx); err != nil {
			return total, fmt.Errorf("reclaiming space after pruning %d events: %w", total, err)
		}
	}
	return total, nil
}

// excessEvents estimates how many of the oldest events to delete to bring
// the used pages under maxBytes.
func (s *Store) excessEvents(ctx context.Context, maxBytes int64) (int64, error) {
	used, err := s.usedBytes(ctx)
	if err != nil || used <= maxBytes {
		return 0, err
	}
	var count int64
	if err := s.readers.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&count); err != nil {
		return 0, err
	}
	if count == 0 {
		return 0, nil
	}
	perEvent := max(1, used/count)
	return min(count, (used-maxBytes+perEvent-1)/perEvent), nil
}

// usedBytes returns the size of the pages in use in the database file.
func (s *Store) usedBytes(ctx context.Context) (int64, error) {
	var pages, free, size int64
	err := s.readers.QueryRowContext(ctx,
		"SELECT p.page_count, f.freelist_count, s.page_size FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s",
	).Scan(&pages, &free, &size)
	return (pages - free) * size, err
}

// pruneChunk deletes up to n of the oldest events selected by where, with
// their postings, in one transaction.
func (s *Store) pruneChunk(ctx context.Context, where string, args []any, n int64) (deleted int64, err error) {
	if err := s.lockWrite(ctx); err != nil {
		return 0, err
	}
	defer s.unlockWrite()
	if s.closed {
		return 0, ErrClosed
	}
	if err := s.beginLocked(ctx); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			s.rollbackLocked()
		}
	}()
	rows, err := s.writer.QueryContext(ctx, "SELECT id FROM events "+where+" ORDER BY time, id LIMIT ?", append(args, n)...)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, s.commitLocked(ctx)
	}
	// The IDs go in as one JSON array, for one statement per table.
	list := make([]byte, 0, len(ids)*8)
	list = append(list, '[')
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	list = append(list, ']')
	if _, err := s.writer.ExecContext(ctx, "DELETE FROM terms WHERE rowid IN (SELECT value FROM json_each(?))", list); err != nil {
		return 0, err
	}
	if _, err := s.writer.ExecContext(ctx, "DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))", list); err != nil {
		return 0, err
	}
	// The zones below the oldest ID left hold no events.
	var oldest int64
	if err := s.writer.QueryRowContext(ctx, "SELECT ifnull(min(id), ?) FROM events", s.nextID).Scan(&oldest); err != nil {
		return 0, err
	}
	if _, err := s.writer.ExecContext(ctx, "DELETE FROM zones WHERE block < ?", oldest>>zoneBits); err != nil {
		return 0, err
	}
	slices.Sort(ids)
	if err := s.auditLocked(ctx, s.writer, pruneRecord(ids, time.Now())); err != nil {
		return 0, err
	}
	if err := s.commitLocked(ctx); err != nil {
		return 0, err
	}
	s.ledgerSize++
	s.zones.dropBelow(oldest >> zoneBits)
	return int64(len(ids)), nil
}

// vacuumPages is the most free pages one incremental vacuum step returns
// to the file system (16 MiB of 4 KiB pages); appends run between steps.
const vacuumPages = 4096

// reclaim merges the terms index, returns free pages to the file system
// and truncates the write-ahead log. Each step takes the write gate on its
// own, so that an Append waits for one step at most.
func (s *Store) reclaim(ctx context.Context) error {
	if err := s.writeStep(ctx, "INSERT INTO terms(terms, rank) VALUES ('merge', 500)"); err != nil {
		return err
	}
	for last := int64(-1); ; {
		var free int64
		if err := s.readers.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
			return fmt.Errorf("reading the free page count: %w", err)
		}
		if free == 0 || free == last { // done, or a file without auto_vacuum
			break
		}
		last = free
		if err := s.writeStep(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", vacuumPages)); err != nil {
			return err
		}
	}
	return s.writeStep(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
}

// writeStep runs one statement on the writer connection.
func (s *Store) writeStep(ctx context.Context, stmt string) error {
	if err := s.lockWrite(ctx); err != nil {
		return err
	}
	defer s.unlockWrite()
	if s.closed {
		return ErrClosed
	}
	if _, err := s.writer.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}
