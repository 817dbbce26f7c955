package main

import (
	"context"
	"database/sql"
	"net/http"
	"sync"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/shop"
)

// shopConfig is how the program opens the shop's database: the DBAs give
// it a pool of 32 connections, and the database takes about a
// millisecond to answer a query.
func shopConfig() shop.Config {
	c := shop.DefaultConfig()
	c.Conns = 32
	c.Latency.Query = time.Millisecond
	return c
}

// setup opens the shop's database and plugs the step "history" into cfg,
// the pool's numbers into its metrics and the database's close into its
// close hooks.
func setup(cfg *server.Config, sc shop.Config) (*History, error) {
	db, err := shop.Open(context.Background(), sc, cfg.Users)
	if err != nil {
		return nil, err
	}
	h := &History{db: db.SQL(), recent: make(map[int64]recentOrders)}
	cfg.Steps = append(cfg.Steps, server.Step{Name: "history", Run: h.run})
	cfg.Metrics = append(cfg.Metrics, db.Metrics()...)
	cfg.Closers = append(cfg.Closers, func(context.Context) error { return db.Close() })
	return h, nil
}

// Order is one order as a page lists it.
type Order struct {
	ID         int64  `json:"id"`
	PlacedAt   string `json:"placed_at"`
	Product    string `json:"product"`
	Quantity   int64  `json:"quantity"`
	TotalCents int64  `json:"total_cents"`
	Status     string `json:"status"`
}

// History reads users' recent orders from the shop's database, and keeps
// each user's for a moment after reading them: a user's pages asked for
// again within recentFor share that read. It is safe for concurrent use.
type History struct {
	db *sql.DB

	mu     sync.Mutex
	recent map[int64]recentOrders // by user id: the orders last read
	swept  time.Time              // when recent was last rid of its old entries
}

// recentOrders is a user's orders as History last read them, and when.
type recentOrders struct {
	orders []Order
	readAt time.Time
}

// recentFor is how long a user's orders, once read, serve the user's
// next pages: a page reloaded, or opened by two agents at once, asks the
// database once, and an order's status changes far less often than that.
const recentFor = 100 * time.Millisecond

// recentSQL selects a user's five most recent orders, newest first,
// each with its product: the whole history in one query.
const recentSQL = `SELECT o.id, o.placed_at, p.name, o.quantity, o.total_cents, o.status
FROM orders AS o JOIN products AS p ON p.id = o.product_id
WHERE o.user_id = ? ORDER BY o.placed_at DESC, o.id DESC LIMIT 5`

// Recent returns the user's five most recent orders, newest first. One
// statement reads one view of the database, as the transaction did, and
// holds a pooled connection for one query's time. The history used to
// make one query for the list, then two per order (the order, its
// product): up to 11 round trips to the database, each waiting while the
// transaction held its connection, so that under load the pages queued
// for the pool's 32 connections, the CPU idle.
func (h *History) Recent(ctx context.Context, userID int64) ([]Order, error) {
	rows, err := h.db.QueryContext(ctx, recentSQL, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	orders := make([]Order, 0, 5)
	for rows.Next() {
		var o Order
		if err := rows.Scan(&o.ID, &o.PlacedAt, &o.Product, &o.Quantity, &o.TotalCents, &o.Status); err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	return orders, rows.Err()
}

// ordersOf returns the user's recent orders: those read less than
// recentFor ago, if any, else Recent's, which it keeps. An error is not
// kept. Pages share the orders it returns, and only read them.
func (h *History) ordersOf(ctx context.Context, userID int64) ([]Order, error) {
	h.mu.Lock()
	r, ok := h.recent[userID]
	h.mu.Unlock()
	if ok && time.Since(r.readAt) < recentFor {
		return r.orders, nil
	}
	readAt := time.Now()
	orders, err := h.Recent(ctx, userID)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recent[userID] = recentOrders{orders: orders, readAt: readAt}
	h.sweep(readAt)
	return orders, nil
}

// sweep drops the orders read recentFor or longer before now, at most
// once per recentFor, so that the map holds the users of the last moment
// and not every user seen. h.mu must be held.
func (h *History) sweep(now time.Time) {
	if now.Sub(h.swept) < recentFor {
		return
	}
	for id, r := range h.recent {
		if now.Sub(r.readAt) >= recentFor {
			delete(h.recent, id)
		}
	}
	h.swept = now
}

// run is the step "history": the page lists the user's recent orders, or
// fails with 503 when the shop's database does not answer.
func (h *History) run(ctx context.Context, page *server.Page) error {
	orders, err := h.ordersOf(ctx, page.ID)
	if err != nil {
		return &server.HTTPError{Status: http.StatusServiceUnavailable, Message: "the order history is unavailable", Err: err}
	}
	page.Set("orders", orders)
	return nil
}
