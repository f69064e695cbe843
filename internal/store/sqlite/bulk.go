package sqlite

import (
	"context"
	"database/sql"
	"strings"
)

// bulkInsert inserts rows into one table with multi-row INSERT statements,
// which cost far less per row than one statement per row: the statement
// overhead of the driver and of SQLite is paid once per bulkRows rows.
type bulkInsert struct {
	cols int
	full *sql.Stmt // inserts bulkRows rows
	one  *sql.Stmt // inserts one row
	args []any     // values of the rows not yet inserted
}

// bulkRows is the number of rows one full statement inserts.
const bulkRows = 100

// prepareBulk prepares the statements of a bulk insert; verb is "INSERT" or
// "INSERT OR IGNORE", table includes its column list.
func prepareBulk(ctx context.Context, conn *sql.Conn, verb, table string, cols int) (*bulkInsert, error) {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	full, err := conn.PrepareContext(ctx, verb+" INTO "+table+" VALUES "+strings.TrimSuffix(strings.Repeat(row+",", bulkRows), ","))
	if err != nil {
		return nil, err
	}
	one, err := conn.PrepareContext(ctx, verb+" INTO "+table+" VALUES "+row)
	if err != nil {
		full.Close()
		return nil, err
	}
	return &bulkInsert{cols: cols, full: full, one: one}, nil
}

// add queues one row, and inserts the queued rows when there are bulkRows.
func (b *bulkInsert) add(ctx context.Context, vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) < bulkRows*b.cols {
		return nil
	}
	_, err := b.full.ExecContext(ctx, b.args...)
	clear(b.args)
	b.args = b.args[:0]
	return err
}

// flush inserts the queued rows.
func (b *bulkInsert) flush(ctx context.Context) error {
	defer func() {
		clear(b.args)
		b.args = b.args[:0]
	}()
	if len(b.args) == 0 {
		return nil
	}
	for i := 0; i < len(b.args); i += b.cols {
		if _, err := b.one.ExecContext(ctx, b.args[i:i+b.cols]...); err != nil {
			return err
		}
	}
	return nil
}

// reset drops the queued rows, after a failed transaction.
func (b *bulkInsert) reset() {
	clear(b.args)
	b.args = b.args[:0]
}

func (b *bulkInsert) close() {
	if b != nil {
		b.full.Close()
		b.one.Close()
	}
}
