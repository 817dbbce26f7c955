package main

import (
	"context"
	"database/sql"
	"net/http"
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
	h := &History{db: db.SQL()}
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

// History reads users' recent orders from the shop's database.
type History struct {
	db *sql.DB
}

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

// run is the step "history": the page lists the user's recent orders, or
// fails with 503 when the shop's database does not answer.
func (h *History) run(ctx context.Context, page *server.Page) error {
	orders, err := h.Recent(ctx, page.ID)
	if err != nil {
		return &server.HTTPError{Status: http.StatusServiceUnavailable, Message: "the order history is unavailable", Err: err}
	}
	page.Set("orders", orders)
	return nil
}
