package shop_test

import (
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server/shop"
)

// open opens a shop of users users in a temporary folder, with no latency
// unless cfg says otherwise, and closes it when the test ends.
func open(t *testing.T, users int, edit func(*shop.Config)) *shop.DB {
	t.Helper()
	cfg := shop.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "shop.db")
	cfg.Conns = 8
	cfg.Latency = shop.Latency{}
	if edit != nil {
		edit(&cfg)
	}
	db, err := shop.Open(context.Background(), cfg, users)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// wantOrders is a user's five most recent orders, newest first, worked out
// from the seed.
func wantOrders(user int64) []shop.OrderRow {
	orders := shop.SeedOrders(user)
	slices.SortFunc(orders, func(a, b shop.SeedOrder) int {
		return cmp.Or(strings.Compare(b.PlacedAt, a.PlacedAt), cmp.Compare(b.ID, a.ID))
	})
	var out []shop.OrderRow
	for _, o := range orders[:min(len(orders), 5)] {
		out = append(out, shop.OrderRow{ID: o.ID, PlacedAt: o.PlacedAt, Product: shop.SeedProduct(o.ProductID).Name,
			Quantity: o.Quantity, TotalCents: o.TotalCents, Status: o.Status})
	}
	return out
}

// wantCandidates is what the recommendations query must find for a user,
// by product id: the products they have not bought, in the categories
// they bought from, with the number of their orders in that category.
func wantCandidates(user int64) []shop.Candidate {
	bought, affinity := map[int64]bool{}, map[string]int64{}
	for _, o := range shop.SeedOrders(user) {
		bought[o.ProductID] = true
		affinity[shop.SeedProduct(o.ProductID).Category]++
	}
	var out []shop.Candidate
	for id := int64(1); id <= shop.NumProducts; id++ {
		if p := shop.SeedProduct(id); affinity[p.Category] > 0 && !bought[id] {
			out = append(out, shop.Candidate{Product: p, Affinity: affinity[p.Category]})
		}
	}
	return out
}

func TestQueriesAnswerTheSeed(t *testing.T) {
	db := open(t, 300, nil)
	ctx := context.Background()
	for _, user := range []int64{1, 2, 42, 299, 300} {
		orders, err := db.RecentOrders(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if want := wantOrders(user); !reflect.DeepEqual(orders, want) {
			t.Errorf("user %d: recent orders\n got %+v\nwant %+v", user, orders, want)
		}
		cands, err := db.Recommendations(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(cands, func(a, b shop.Candidate) int { return cmp.Compare(a.ID, b.ID) })
		if want := wantCandidates(user); !reflect.DeepEqual(cands, want) {
			t.Errorf("user %d: recommendations\n got %+v\nwant %+v", user, cands, want)
		}
	}
	// A user past the seeded ones has no orders, so nothing to recommend.
	if orders, err := db.RecentOrders(ctx, 301); err != nil || len(orders) != 0 {
		t.Errorf("user 301, not seeded: orders %+v, %v; want none", orders, err)
	}
	if cands, err := db.Recommendations(ctx, 301); err != nil || len(cands) != 0 {
		t.Errorf("user 301, not seeded: recommendations %+v, %v; want none", cands, err)
	}
	if got := db.Queries(); got != 5*2+2 {
		t.Errorf("Queries() = %d after 12 queries", got)
	}
}

// TestSeedIsStable pins the seed that the exercise's README shows: the
// same products and orders at every start.
func TestSeedIsStable(t *testing.T) {
	if shop.NumProducts != 96 {
		t.Errorf("NumProducts = %d, want 96", shop.NumProducts)
	}
	for _, want := range []shop.Product{
		{ID: 1, Name: "Family Atlas", Category: "books", PriceCents: 4211, Rating: 23},
		{ID: 27, Name: "Essential Puzzle", Category: "games", PriceCents: 805, Rating: 49},
		{ID: 96, Name: "Compact Toolbox", Category: "tools", PriceCents: 7852, Rating: 29},
	} {
		if got := shop.SeedProduct(want.ID); got != want {
			t.Errorf("SeedProduct(%d) = %+v, want %+v", want.ID, got, want)
		}
	}
	want := []shop.SeedOrder{
		{ID: 420, UserID: 42, ProductID: 25, Quantity: 1, TotalCents: 6878, Status: "delivered", PlacedAt: "2024-01-22T14:54:00Z"},
		{ID: 421, UserID: 42, ProductID: 8, Quantity: 2, TotalCents: 5354, Status: "delivered", PlacedAt: "2024-02-04T14:54:00Z"},
		{ID: 422, UserID: 42, ProductID: 26, Quantity: 1, TotalCents: 9140, Status: "processing", PlacedAt: "2024-02-17T14:54:00Z"},
	}
	if got := shop.SeedOrders(42); !slices.Equal(got, want) {
		t.Errorf("SeedOrders(42) =\n%+v\nwant\n%+v", got, want)
	}
	for user := int64(1); user <= 1000; user++ {
		orders := shop.SeedOrders(user)
		if len(orders) < 1 || len(orders) > 6 {
			t.Fatalf("user %d has %d orders, want 1 to 6", user, len(orders))
		}
		for _, o := range orders {
			if o.ProductID < 1 || o.ProductID > shop.NumProducts || o.TotalCents != o.Quantity*shop.SeedProduct(o.ProductID).PriceCents {
				t.Fatalf("user %d: order %+v", user, o)
			}
		}
	}
}

// TestLatency: each query takes its latency, and one whose context ends
// stops waiting.
func TestLatency(t *testing.T) {
	db := open(t, 10, func(c *shop.Config) {
		c.Latency = shop.Latency{Orders: 30 * time.Millisecond, Recommendations: 60 * time.Millisecond}
	})
	ctx := context.Background()
	start := time.Now()
	if _, err := db.RecentOrders(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("the orders query took %s, want at least its latency, 30ms", d)
	}
	start = time.Now()
	if _, err := db.Recommendations(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("the recommendations query took %s, want at least its latency, 60ms", d)
	}

	slow := open(t, 10, func(c *shop.Config) { c.Latency.Recommendations = time.Minute })
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := slow.Recommendations(cctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a query whose context ended: error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a query whose context ended after 20ms returned after %s", d)
	}
}

// TestPoolBoundsQueriesInFlight: each query holds a connection while it
// waits, so 4 queries on 2 connections take two latencies.
func TestPoolBoundsQueriesInFlight(t *testing.T) {
	const latency = 50 * time.Millisecond
	db := open(t, 10, func(c *shop.Config) { c.Conns, c.Latency.Orders = 2, latency })
	start := time.Now()
	var wg sync.WaitGroup
	for user := range int64(4) {
		wg.Go(func() {
			if _, err := db.RecentOrders(context.Background(), user+1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d < 2*latency {
		t.Errorf("4 queries of %s on 2 connections took %s, want at least %s", latency, d, 2*latency)
	}
}

// TestOpenUsesAnExistingFile: a file that has the tables is not seeded
// again, whatever the number of users.
func TestOpenUsesAnExistingFile(t *testing.T) {
	cfg := shop.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "shop.db")
	cfg.Latency = shop.Latency{}
	ctx := context.Background()
	db, err := shop.Open(ctx, cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = shop.Open(ctx, cfg, 50); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if orders, err := db.RecentOrders(ctx, 3); err != nil || len(orders) == 0 {
		t.Errorf("user 3, seeded at the first open: orders %+v, %v", orders, err)
	}
	if orders, err := db.RecentOrders(ctx, 6); err != nil || len(orders) != 0 {
		t.Errorf("user 6, not seeded at the first open: orders %+v, %v; want none", orders, err)
	}
}

// TestOddFileName: a file name with the characters of a URI's query,
// fragment and escapes in it is still that file.
func TestOddFileName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop?mode=memory#x%20y.db")
	db := open(t, 3, func(c *shop.Config) { c.Path = path })
	if orders, err := db.RecentOrders(context.Background(), 1); err != nil || len(orders) == 0 {
		t.Errorf("orders %+v, %v", orders, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at %s: %v", path, err)
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		users int
		edit  func(*shop.Config)
	}{
		"no users":       {0, nil},
		"no connections": {10, func(c *shop.Config) { c.Conns = 0 }},
		"no such folder": {10, func(c *shop.Config) { c.Path = filepath.Join(dir, "missing", "shop.db") }},
		"not a database": {10, func(c *shop.Config) {
			c.Path = filepath.Join(dir, "text.db")
			os.WriteFile(c.Path, []byte(strings.Repeat("not a database\n", 100)), 0o644)
		}},
	} {
		cfg := shop.DefaultConfig()
		cfg.Path = filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
		if tc.edit != nil {
			tc.edit(&cfg)
		}
		if db, err := shop.Open(context.Background(), cfg, tc.users); err == nil {
			db.Close()
			t.Errorf("%s: Open accepted it", name)
		}
	}
}
