package sqlite

import (
	"context"
	"database/sql"
)

// checkpointer copies committed pages from the write-ahead log into the
// database file, on a connection of its own, after each commit. SQLite
// would otherwise do it inside the COMMIT of the Append that fills the log
// past wal_autocheckpoint pages, with an fsync of the database file;
// here it overlaps the next Append. It took 8% of the writer's CPU time
// in BenchmarkAppend.
//
// A PASSIVE checkpoint never blocks the writer or the readers; it copies
// what no reader still needs. When it falls behind (a long search holds an
// old snapshot), the writer's own autocheckpoint, at a larger size
// (walAutoCheckpointPages), bounds the log.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{} // capacity 1: one pending request is enough
	stop chan struct{}
	done chan struct{}
}

// walAutoCheckpointPages is the writer's own checkpoint threshold, the
// bound on the log when the checkpointer falls behind (64 MiB of 4 KiB
// pages).
const walAutoCheckpointPages = 16384

func startCheckpointer(dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
			// An error (SQLITE_BUSY while Prune vacuums, an I/O error
			// the writer will also meet) leaves the pages in the log:
			// the next kick, or the writer's autocheckpoint, copies them.
			c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		case <-c.stop:
			return
		}
	}
}

// request asks for a checkpoint without waiting.
func (c *checkpointer) request() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
