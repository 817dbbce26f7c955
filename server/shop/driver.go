package shop

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

// busyDriver connects database/sql to SQLite as if SQLite were a busy
// database server: each query waits for its latency (by its SQL text)
// before SQLite runs it, and stops waiting if its context ends, as a
// client of a database server stops waiting for the answer.
type busyDriver struct {
	sqlite  *sqlite3.SQLiteDriver
	dsn     string
	latency map[string]time.Duration // by query text
	other   time.Duration            // for any other query
	queries atomic.Int64             // queries that reached the database
}

// Connect opens a connection to the SQLite file.
func (d *busyDriver) Connect(context.Context) (driver.Conn, error) {
	c, err := d.sqlite.Open(d.dsn)
	if err != nil {
		return nil, err
	}
	return &busyConn{Conn: c, d: d}, nil
}

// Driver returns the SQLite driver underneath.
func (d *busyDriver) Driver() driver.Driver { return d.sqlite }

// busyConn is a SQLite connection whose statements wait for the server.
type busyConn struct {
	driver.Conn
	d *busyDriver
}

// Prepare prepares query on SQLite, with the latency of the server.
func (c *busyConn) Prepare(query string) (driver.Stmt, error) {
	st, err := c.Conn.Prepare(query)
	if err != nil {
		return nil, err
	}
	latency, ok := c.d.latency[query]
	if !ok {
		latency = c.d.other
	}
	return &busyStmt{Stmt: st, d: c.d, latency: latency}, nil
}

// BeginTx begins a transaction on SQLite, read-only or not as opts say
// (database/sql refuses read-only transactions to a driver without it).
func (c *busyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// busyStmt is a prepared statement that waits for the server before it
// runs.
type busyStmt struct {
	driver.Stmt
	d       *busyDriver
	latency time.Duration
}

// QueryContext waits for the server's latency, or until ctx ends, then
// runs the query on SQLite.
func (s *busyStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.d.queries.Add(1)
	t := time.NewTimer(s.latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}
