package shop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/slowpath/slowpath/server"
)

// DB is the shop's database: products and orders in a SQLite file, read
// through a connection pool of its own, each query taking the time of a
// busy database server. Its methods may be called from many goroutines.
type DB struct {
	db              *sql.DB
	recentOrders    *sql.Stmt
	recommendations *sql.Stmt
	drv             *busyDriver
}

// Open opens the shop's database at cfg.Path, creating and seeding it with
// the orders of users 1..users if it has no products table, and keeps up
// to cfg.Conns connections open to it.
func Open(ctx context.Context, cfg Config, users int) (*DB, error) {
	if users < 1 {
		return nil, fmt.Errorf("shop: users must be at least 1, got %d", users)
	}
	if cfg.Conns < 1 {
		return nil, fmt.Errorf("shop: conns must be at least 1, got %d", cfg.Conns)
	}
	if err := seed(ctx, cfg.Path, users); err != nil {
		return nil, err
	}
	// The dashboard only reads, and nothing else writes to the file while
	// the program runs, so the connections open it read-only and immutable:
	// SQLite then skips the file locks and change checks around each query.
	s := &DB{drv: &busyDriver{
		sqlite: &sqlite3.SQLiteDriver{},
		dsn: dsn(cfg.Path, url.Values{
			"mode":      {"ro"},
			"immutable": {"1"},
			"_mutex":    {"no"}, // database/sql gives a connection to one goroutine at a time
		}),
		latency: map[string]time.Duration{
			recentOrdersSQL:    cfg.Latency.Orders,
			recommendationsSQL: cfg.Latency.Recommendations,
		},
		other: cfg.Latency.Query,
	}}
	s.db = sql.OpenDB(s.drv)
	// Every query in flight holds a connection while it waits for the
	// server: the pool must be at least as large as the queries in flight,
	// or requests queue for a connection. Idle connections are kept, so
	// none is closed and reopened between bursts (database/sql keeps 2 by
	// default).
	s.db.SetMaxOpenConns(cfg.Conns)
	s.db.SetMaxIdleConns(cfg.Conns)
	var err error
	if s.recentOrders, err = s.db.PrepareContext(ctx, recentOrdersSQL); err != nil {
		s.Close()
		return nil, fmt.Errorf("shop: prepare recent orders: %w", err)
	}
	if s.recommendations, err = s.db.PrepareContext(ctx, recommendationsSQL); err != nil {
		s.Close()
		return nil, fmt.Errorf("shop: prepare recommendations: %w", err)
	}
	return s, nil
}

// Queries reports how many queries have reached the database.
func (s *DB) Queries() int64 { return s.drv.queries.Load() }

// SQL is the pool itself, for queries of a program's own: each waits for
// Config.Latency.Query, holding its connection, then runs on SQLite.
// Transactions are read-only, as the file is.
func (s *DB) SQL() *sql.DB { return s.db }

// Metrics are the pool's numbers (database/sql's DBStats) and the
// queries that reached the database, for the program's /debug/vars.
func (s *DB) Metrics() []server.Metric {
	stat := func(f func(sql.DBStats) float64) func() float64 {
		return func() float64 { return f(s.db.Stats()) }
	}
	return []server.Metric{
		{Name: "shop_queries_total", Help: "shop's database: queries that reached it", Value: func() float64 { return float64(s.Queries()) }},
		{Name: "shop_wait_count_total", Help: "shop's database: times a caller waited for one of the pool's connections (sql.DBStats.WaitCount)", Value: stat(func(st sql.DBStats) float64 { return float64(st.WaitCount) })},
		{Name: "shop_wait_seconds_total", Help: "shop's database: seconds callers waited for a connection, summed (sql.DBStats.WaitDuration)", Value: stat(func(st sql.DBStats) float64 { return st.WaitDuration.Seconds() })},
		{Name: "shop_in_use", Help: "shop's database: connections in use now (sql.DBStats.InUse)", Value: stat(func(st sql.DBStats) float64 { return float64(st.InUse) })},
		{Name: "shop_open", Help: "shop's database: connections open now (sql.DBStats.OpenConnections)", Value: stat(func(st sql.DBStats) float64 { return float64(st.OpenConnections) })},
		{Name: "shop_max_open", Help: "shop's database: the most connections the pool may open (sql.DBStats.MaxOpenConnections)", Value: stat(func(st sql.DBStats) float64 { return float64(st.MaxOpenConnections) })},
	}
}

// Close closes the statements and the pool.
func (s *DB) Close() error {
	var err error
	for _, st := range []*sql.Stmt{s.recentOrders, s.recommendations} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	return errors.Join(err, s.db.Close())
}

// dsn makes a SQLite URI for path, escaped so that a file name with '?',
// '#' or '%' in it stays a file name.
func dsn(path string, params url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params.Encode()
}
