package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Shop is the shop's database: products and orders in a SQLite file,
// read through a connection pool of its own.
//
// In production the shop's database is a server on another machine, and
// a busy one: the dashboard's queries take milliseconds there, most of it
// waiting for the server's answer. SQLite answers the same queries in
// microseconds, so the shop puts the server's time back where a program
// waits for it, inside the database/sql call: its driver (busyDriver) makes
// each query wait as long as the busy server would, then runs it on
// SQLite.
type Shop struct {
	db              *sql.DB
	recentOrders    *sql.Stmt
	recommendations *sql.Stmt
	drv             *busyDriver
}

// ShopLatency is how long the busy database takes to answer each of the
// dashboard's queries.
type ShopLatency struct {
	Orders          time.Duration // a user's recent orders
	Recommendations time.Duration // the products to recommend to a user
}

// OpenShop opens the shop's database at path, creating and seeding it with
// the orders of users 1..users if it has no products table, and keeps up to
// conns connections open to it.
func OpenShop(ctx context.Context, path string, users, conns int, latency ShopLatency) (*Shop, error) {
	if users < 1 {
		return nil, fmt.Errorf("shop: users must be at least 1, got %d", users)
	}
	if conns < 1 {
		return nil, fmt.Errorf("shop: conns must be at least 1, got %d", conns)
	}
	if err := seedShop(ctx, path, users); err != nil {
		return nil, err
	}
	// The dashboard only reads, and nothing else writes to the file while
	// the program runs, so the connections open it read-only and immutable:
	// SQLite then skips the file locks and change checks around each query.
	s := &Shop{drv: &busyDriver{
		sqlite: &sqlite3.SQLiteDriver{},
		dsn: shopDSN(path, url.Values{
			"mode":      {"ro"},
			"immutable": {"1"},
			"_mutex":    {"no"}, // database/sql gives a connection to one goroutine at a time
		}),
		latency: map[string]time.Duration{
			recentOrdersSQL:    latency.Orders,
			recommendationsSQL: latency.Recommendations,
		},
	}}
	s.db = sql.OpenDB(s.drv)
	// Every query in flight holds a connection while it waits for the
	// server: the pool must be at least as large as the queries in flight,
	// or requests queue for a connection. Idle connections are kept, so
	// none is closed and reopened between bursts (database/sql keeps 2 by
	// default).
	s.db.SetMaxOpenConns(conns)
	s.db.SetMaxIdleConns(conns)
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
func (s *Shop) Queries() int64 { return s.drv.queries.Load() }

// Close closes the statements and the pool.
func (s *Shop) Close() error {
	var err error
	for _, st := range []*sql.Stmt{s.recentOrders, s.recommendations} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	return errors.Join(err, s.db.Close())
}

// busyDriver connects database/sql to SQLite as if SQLite were a busy
// database server: each query waits for its latency (by its SQL text)
// before SQLite runs it, and stops waiting if its context ends, as a
// client of a database server stops waiting for the answer.
type busyDriver struct {
	sqlite  *sqlite3.SQLiteDriver
	dsn     string
	latency map[string]time.Duration // by query text; none for other queries
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
	return &busyStmt{Stmt: st, d: c.d, latency: c.d.latency[query]}, nil
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

// recentOrdersSQL selects a user's five most recent orders.
const recentOrdersSQL = `
SELECT o.id, o.placed_at, p.name, o.quantity, o.total_cents, o.status
FROM orders AS o
JOIN products AS p ON p.id = o.product_id
WHERE o.user_id = ?
ORDER BY o.placed_at DESC, o.id DESC
LIMIT 5`

// recommendationsSQL selects the products a user has not bought yet in
// the categories they buy from, each with the user's affinity for its
// category.
const recommendationsSQL = `
SELECT p.id, p.name, p.category, p.price_cents, p.rating, t.affinity
FROM tastes AS t
JOIN products AS p ON p.category = t.category
WHERE t.user_id = ?1
  AND NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.user_id = ?1 AND o.product_id = p.id)`

// OrderRow is one order as the database holds it.
type OrderRow struct {
	ID         int64
	PlacedAt   string
	Product    string
	Quantity   int64
	TotalCents int64
	Status     string
}

// RecentOrders returns the user's five most recent orders, newest first.
func (s *Shop) RecentOrders(ctx context.Context, userID int64) ([]OrderRow, error) {
	rows, err := s.recentOrders.QueryContext(ctx, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrderRow
	for rows.Next() {
		var o OrderRow
		if err := rows.Scan(&o.ID, &o.PlacedAt, &o.Product, &o.Quantity, &o.TotalCents, &o.Status); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Candidate is a product to recommend, with the user's affinity for its
// category: how many of their orders are in it.
type Candidate struct {
	Product
	Affinity int64
}

// Recommendations returns the products the user might buy next, in no
// particular order: the ranking is the dashboard's.
func (s *Shop) Recommendations(ctx context.Context, userID int64) ([]Candidate, error) {
	rows, err := s.recommendations.QueryContext(ctx, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		var c Candidate
		if err := rows.Scan(&c.ID, &c.Name, &c.Category, &c.PriceCents, &c.Rating, &c.Affinity); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// shopDSN makes a SQLite URI for path, escaped so that a file name with
// '?', '#' or '%' in it stays a file name.
func shopDSN(path string, params url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params.Encode()
}

// seedShop makes sure the file at path holds the products and orders
// tables, creating and filling them if it has no products table.
func seedShop(ctx context.Context, path string, users int) error {
	db, err := sql.Open("sqlite3", shopDSN(path, url.Values{
		"_busy_timeout": {"5000"}, "_txlock": {"immediate"}, "_journal_mode": {"DELETE"},
	}))
	if err != nil {
		return fmt.Errorf("shop: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("shop: open %s: %w", path, err)
	}
	defer tx.Rollback()
	var tables int
	if err := tx.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'products'`).Scan(&tables); err != nil {
		return fmt.Errorf("shop: %s: %w", path, err)
	}
	if tables > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `
		CREATE TABLE products (
			id          INTEGER PRIMARY KEY,
			name        TEXT NOT NULL,
			category    TEXT NOT NULL,
			price_cents INTEGER NOT NULL,
			rating      INTEGER NOT NULL -- tenths of a star, 0 to 50
		);
		CREATE INDEX products_by_category ON products (category);
		CREATE TABLE orders (
			id          INTEGER PRIMARY KEY,
			user_id     INTEGER NOT NULL,
			product_id  INTEGER NOT NULL REFERENCES products (id),
			quantity    INTEGER NOT NULL,
			total_cents INTEGER NOT NULL,
			status      TEXT NOT NULL,
			placed_at   TEXT NOT NULL
		);
		CREATE INDEX orders_by_user ON orders (user_id, placed_at);
		CREATE INDEX orders_by_user_product ON orders (user_id, product_id);
		-- What the recommender knows of each user's taste: how many of their
		-- orders fall in each category (a nightly job keeps it up to date).
		CREATE TABLE tastes (
			user_id  INTEGER NOT NULL,
			category TEXT NOT NULL,
			affinity INTEGER NOT NULL,
			PRIMARY KEY (user_id, category)
		) WITHOUT ROWID;`); err != nil {
		return fmt.Errorf("shop: create tables: %w", err)
	}
	insProduct, err := tx.PrepareContext(ctx,
		`INSERT INTO products (id, name, category, price_cents, rating) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("shop: %w", err)
	}
	defer insProduct.Close()
	for id := int64(1); id <= numProducts; id++ {
		p := seedProduct(id)
		if _, err := insProduct.ExecContext(ctx, p.ID, p.Name, p.Category, p.PriceCents, p.Rating); err != nil {
			return fmt.Errorf("shop: seed product %d: %w", id, err)
		}
	}
	insOrder, err := tx.PrepareContext(ctx,
		`INSERT INTO orders (id, user_id, product_id, quantity, total_cents, status, placed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("shop: %w", err)
	}
	defer insOrder.Close()
	for user := int64(1); user <= int64(users); user++ {
		for _, o := range seedOrders(user) {
			if _, err := insOrder.ExecContext(ctx, o.ID, o.UserID, o.ProductID, o.Quantity, o.TotalCents, o.Status, o.PlacedAt); err != nil {
				return fmt.Errorf("shop: seed order %d: %w", o.ID, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO tastes (user_id, category, affinity)
		SELECT o.user_id, p.category, count(*)
		FROM orders AS o JOIN products AS p ON p.id = o.product_id
		GROUP BY o.user_id, p.category`); err != nil {
		return fmt.Errorf("shop: seed tastes: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("shop: seed: %w", err)
	}
	return nil
}

// Product is one row of the products table.
type Product struct {
	ID         int64
	Name       string
	Category   string
	PriceCents int64
	Rating     int64 // tenths of a star
}

// SeedOrder is one row of the orders table.
type SeedOrder struct {
	ID, UserID, ProductID int64
	Quantity, TotalCents  int64
	Status, PlacedAt      string
}

var (
	categories = []string{"books", "music", "games", "garden", "kitchen", "outdoor", "toys", "tools"}
	adjectives = []string{"Classic", "Compact", "Deluxe", "Eco", "Essential", "Family", "Handy", "Pocket", "Pro", "Vintage"}
	nouns      = map[string][]string{
		"books":   {"Atlas", "Cookbook", "Novel"},
		"music":   {"Album", "Ukulele", "Vinyl"},
		"games":   {"Board Game", "Card Deck", "Puzzle"},
		"garden":  {"Planter", "Pruner", "Watering Can"},
		"kitchen": {"Kettle", "Knife Set", "Teapot"},
		"outdoor": {"Hammock", "Lantern", "Tent"},
		"toys":    {"Kite", "Robot", "Train Set"},
		"tools":   {"Drill", "Screwdriver Set", "Toolbox"},
	}
	seedEpoch = time.Date(2024, time.January, 8, 10, 0, 0, 0, time.UTC)
)

// productsPerCategory and numProducts size the catalogue: products
// 1..numProducts, in blocks of productsPerCategory per category.
const (
	productsPerCategory = 12
	numProducts         = productsPerCategory * 8
)

// mix is splitmix64's finalizer: neighbouring inputs give unrelated outputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// seedProduct returns the product seeded under id, a pure function of id.
func seedProduct(id int64) Product {
	i := id - 1
	cat := categories[i/productsPerCategory]
	h := mix(uint64(id))
	return Product{
		ID:         id,
		Name:       adjectives[h%10] + " " + nouns[cat][i%3],
		Category:   cat,
		PriceCents: 499 + int64(h>>8%9500),
		Rating:     20 + int64(h>>24%31), // 2.0 to 5.0 stars
	}
}

// seedOrders returns the orders seeded for a user, oldest first, a pure
// function of the user's id: one to six orders, in one or two favourite
// categories.
func seedOrders(user int64) []SeedOrder {
	h := mix(uint64(user) * 0x100000001b3)
	n := 1 + int64(h%6)
	fav := [2]int64{int64(h >> 8 % 8), int64(h >> 16 % 8)}
	placed := seedEpoch.Add(time.Duration(user%997) * 7 * time.Minute)
	out := make([]SeedOrder, 0, n)
	for k := int64(0); k < n; k++ {
		hk := mix(h + uint64(k))
		pid := fav[k%2]*productsPerCategory + int64(hk%productsPerCategory) + 1
		qty := 1 + int64(hk>>8%3)
		placed = placed.Add(time.Duration(1+hk>>16%40) * 24 * time.Hour)
		status := "delivered"
		if k == n-1 {
			status = [...]string{"processing", "shipped", "delivered"}[hk>>24%3]
		}
		out = append(out, SeedOrder{
			ID: user*10 + k, UserID: user, ProductID: pid,
			Quantity: qty, TotalCents: qty * seedProduct(pid).PriceCents,
			Status: status, PlacedAt: placed.Format(time.RFC3339),
		})
	}
	return out
}
