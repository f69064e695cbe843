package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

var _ store.Store = (*Store)(nil)

// Config tunes a Store. The zero value works.
type Config struct {
	// CacheBytes is the page cache of each connection. Default 64 MiB for
	// the writer and a quarter of that for each reader.
	CacheBytes int64
	// Readers is the number of connections that serve searches at once;
	// further searches wait for one. Default GOMAXPROCS, at least 2.
	Readers int
	// BusyTimeout is how long a connection waits for a lock held by
	// another process (a backup tool, the sqlite3 shell) before failing.
	// Default 5 s.
	BusyTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.CacheBytes <= 0 {
		c.CacheBytes = 64 << 20
	}
	if c.Readers <= 0 {
		c.Readers = max(2, runtime.GOMAXPROCS(0))
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = 5 * time.Second
	}
}

// Store is an event store in one SQLite file. All its methods are safe for
// concurrent use. Writes (Append, Prune) run one at a time on one
// connection; searches run on a pool of read connections and see the last
// committed state without waiting for writes (WAL mode).
type Store struct {
	lock    *os.File // held while the store is open; nil where unsupported
	readers *sql.DB
	writeDB *sql.DB

	// writeGate holds one token; Append, Prune and Close take it to use
	// writer, stmts, nextID and closed.
	writeGate chan struct{}
	writer    *sql.Conn
	stmts     writeStmts
	nextID    int64 // the ID of the next event appended
	// ledgerSize is the index of the next leaf of the integrity log.
	ledgerSize int64
	closed     bool

	zones zoneMap
	ckpt  *checkpointer
}

// Open opens the store in the SQLite file at path, creating the file (not
// its directory) if needed. Only one Store may have a file open at a time,
// in one process: Open fails while another holds it.
func Open(path string, cfg Config) (*Store, error) {
	cfg.setDefaults()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening event store %s: %w", path, err)
	}
	s := &Store{writeGate: make(chan struct{}, 1)}
	if err := s.open(abs, cfg); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening event store %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) open(path string, cfg Config) error {
	ctx := context.Background()
	var err error
	if s.lock, err = lockFile(path); err != nil {
		return err
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(0)&_pragma=temp_store(memory)",
			cfg.BusyTimeout.Milliseconds())
	s.writeDB, err = sql.Open("sqlite", base+
		"&_auto_vacuum=incremental&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)", walAutoCheckpointPages, 64<<20)+
		fmt.Sprintf("&_pragma=cache_size(%d)", -cfg.CacheBytes/1024))
	if err != nil {
		return err
	}
	s.writeDB.SetMaxOpenConns(1)
	s.writer, err = s.writeDB.Conn(ctx)
	if err != nil {
		return err
	}
	if err := migrate(ctx, s.writer); err != nil {
		return err
	}
	if err := s.stmts.prepare(ctx, s.writer); err != nil {
		return err
	}
	var last sql.NullInt64
	if err := s.writer.QueryRowContext(ctx,
		"SELECT max((SELECT value FROM meta WHERE key = 'last_id'), (SELECT ifnull(max(id), 0) FROM events))",
	).Scan(&last); err != nil {
		return fmt.Errorf("reading last event id: %w", err)
	}
	s.nextID = last.Int64 + 1
	if err := s.loadLedgerSize(ctx); err != nil {
		return err
	}
	if err := s.zones.load(ctx, s.writer); err != nil {
		return fmt.Errorf("reading zones: %w", err)
	}

	if s.ckpt, err = startCheckpointer(base + "&_pragma=synchronous(FULL)"); err != nil {
		return err
	}
	s.readers, err = sql.Open("sqlite", base+"&_pragma=query_only(1)"+
		fmt.Sprintf("&_pragma=cache_size(%d)", -cfg.CacheBytes/4/1024))
	if err != nil {
		return err
	}
	s.readers.SetMaxOpenConns(cfg.Readers)
	s.readers.SetMaxIdleConns(cfg.Readers)
	return nil
}

// Close waits for the write in progress, then closes every connection.
// Searches still running fail.
func (s *Store) Close() error {
	var errs []error
	if s.writeDB != nil {
		s.writeGate <- struct{}{}
		defer s.unlockWrite()
		if s.closed {
			return nil
		}
		s.closed = true
		s.stmts.close()
		if s.ckpt != nil {
			errs = append(errs, s.ckpt.close())
		}
		if s.writer != nil {
			errs = append(errs, s.writer.Close())
		}
		errs = append(errs, s.writeDB.Close())
	}
	if s.readers != nil {
		errs = append(errs, s.readers.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
		s.lock = nil
	}
	return errors.Join(errs...)
}

// lockWrite takes the write gate, or fails when ctx ends first.
func (s *Store) lockWrite(ctx context.Context) error {
	select {
	case s.writeGate <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) unlockWrite() { <-s.writeGate }

// Times are stored as Unix nanoseconds, which cover the years 1678 to 2262.
// The zero time is stored as math.MinInt64 and read back as the zero time;
// other times outside the range are clamped to its ends. The integrity
// log's leaves hold the same numbers.

func timeToNanos(t time.Time) int64 { return leaf.Nanos(t) }

func nanosToTime(n int64) time.Time { return leaf.Time(n) }
