package main

import (
	"context"
	"database/sql"
	"fmt"
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
	c.Conns = 256
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

// The queries of the order history: a user's most recent orders, newest
// first; an order; a product's name.
const (
	recentIDsSQL = `SELECT id FROM orders WHERE user_id = ? ORDER BY placed_at DESC, id DESC LIMIT 5`
	orderSQL     = `SELECT placed_at, product_id, quantity, total_cents, status FROM orders WHERE id = ?`
	productSQL   = `SELECT name FROM products WHERE id = ?`
)

// Recent returns the user's five most recent orders, newest first, read
// in one transaction: the list and each order's details come from the
// same view of the database.
func (h *History) Recent(ctx context.Context, userID int64) ([]Order, error) {
	tx, err := h.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, recentIDsSQL, userID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	orders := make([]Order, 0, len(ids))
	for _, id := range ids {
		o := Order{ID: id}
		var product int64
		err := tx.QueryRowContext(ctx, orderSQL, id).Scan(&o.PlacedAt, &product, &o.Quantity, &o.TotalCents, &o.Status)
		if err != nil {
			return nil, fmt.Errorf("order %d: %w", id, err)
		}
		if err := tx.QueryRowContext(ctx, productSQL, product).Scan(&o.Product); err != nil {
			return nil, fmt.Errorf("order %d: product %d: %w", id, product, err)
		}
		orders = append(orders, o)
	}
	return orders, tx.Commit()
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
