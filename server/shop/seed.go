package shop

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"
)

// seed makes sure the file at path holds the products, orders and tastes
// tables, creating and filling them if it has no products table.
func seed(ctx context.Context, path string, users int) error {
	db, err := sql.Open("sqlite3", dsn(path, url.Values{
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
	for id := int64(1); id <= NumProducts; id++ {
		p := SeedProduct(id)
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
		for _, o := range SeedOrders(user) {
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

// SeedOrder is one row of the orders table, as SeedOrders seeds it.
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

// productsPerCategory is how many products each category holds.
const productsPerCategory = 12

// NumProducts is how many products the shop seeds: products 1 to
// NumProducts, in blocks of 12 per category, the categories in a fixed
// order.
const NumProducts = productsPerCategory * 8

// mix is splitmix64's finalizer: neighbouring inputs give unrelated outputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// SeedProduct returns the product seeded under id, from 1 to NumProducts,
// a pure function of id.
func SeedProduct(id int64) Product {
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

// SeedOrders returns the orders seeded for a user, oldest first, a pure
// function of the user's id: one to six orders, in one or two favourite
// categories.
func SeedOrders(user int64) []SeedOrder {
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
			Quantity: qty, TotalCents: qty * SeedProduct(pid).PriceCents,
			Status: status, PlacedAt: placed.Format(time.RFC3339),
		})
	}
	return out
}
