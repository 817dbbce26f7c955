package shop

import "context"

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
func (s *DB) RecentOrders(ctx context.Context, userID int64) ([]OrderRow, error) {
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
func (s *DB) Recommendations(ctx context.Context, userID int64) ([]Candidate, error) {
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
