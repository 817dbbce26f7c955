package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
	"github.com/slowpath/slowpath/server/shop"
)

// startHistory serves the program as main sets it up, on a shop database
// of its own in a temporary folder, from the flags args on top of the
// defaults.
func startHistory(t *testing.T, args ...string) (string, *History, *servertest.Log) {
	t.Helper()
	fs := flag.NewFlagSet("order-history", flag.ContinueOnError)
	sc := shopConfig()
	sc.RegisterFlags(fs)
	args = append([]string{"-shop-db", filepath.Join(t.TempDir(), "shop.db")}, args...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	logs := &servertest.Log{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	h, err := setup(&cfg, sc)
	if err != nil {
		t.Fatal(err)
	}
	app := servertest.Start(t, cfg)
	return "http://" + app.Addr().String(), h, logs
}

// wantOrders is what a user's page must list, from the shop's seed: the
// five most recent orders, newest first, with their products' names.
func wantOrders(user int64) []Order {
	var out []Order
	for _, o := range slices.Backward(shop.SeedOrders(user)) {
		out = append(out, Order{ID: o.ID, PlacedAt: o.PlacedAt, Product: shop.SeedProduct(o.ProductID).Name,
			Quantity: o.Quantity, TotalCents: o.TotalCents, Status: o.Status})
		if len(out) == 5 {
			break
		}
	}
	return out
}

func get(t *testing.T, client *http.Client, base string, id int64) (int, []byte) {
	t.Helper()
	resp, err := client.Get(fmt.Sprintf("%s/users/%d", base, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestPagesListTheRecentOrders: each page lists its user's five most
// recent orders, newest first, with the right products and totals.
func TestPagesListTheRecentOrders(t *testing.T) {
	base, _, _ := startHistory(t)
	seen := map[int]bool{}
	for id := int64(1); id <= 60; id++ {
		status, body := get(t, http.DefaultClient, base, id)
		if status != http.StatusOK {
			t.Fatalf("GET /users/%d: %d %s", id, status, body)
		}
		var page struct {
			server.User
			Extras struct {
				Orders []Order `json:"orders"`
			} `json:"extras"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("GET /users/%d: %v in %s", id, err, body)
		}
		if page.User != server.SeedUser(id) {
			t.Errorf("GET /users/%d: user %+v, want %+v", id, page.User, server.SeedUser(id))
		}
		if want := wantOrders(id); !slices.Equal(page.Extras.Orders, want) {
			t.Errorf("GET /users/%d: orders\n%+v\nwant\n%+v", id, page.Extras.Orders, want)
		}
		seen[len(page.Extras.Orders)] = true
	}
	for n := 1; n <= 5; n++ {
		if !seen[n] {
			t.Errorf("no page of users 1..60 listed %d orders: the test does not cover the seed", n)
		}
	}
}

// TestManyPagesAtOnce: pages asked for at once, many more than the pool
// has connections, each list their own user's orders.
func TestManyPagesAtOnce(t *testing.T) {
	base, _, _ := startHistory(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections() // or the server's shutdown waits for them
	client := &http.Client{Transport: tr}
	errs := make(chan error, 200)
	for i := range 200 {
		go func(id int64) {
			resp, err := client.Get(fmt.Sprintf("%s/users/%d", base, id))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var page struct {
				Extras struct {
					Orders []Order `json:"orders"`
				} `json:"extras"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 || !slices.Equal(page.Extras.Orders, wantOrders(id)) {
				errs <- fmt.Errorf("GET /users/%d: %d, %v: %+v", id, resp.StatusCode, err, page.Extras.Orders)
				return
			}
			errs <- nil
		}(int64(1 + i%1000))
	}
	for range 200 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestDatabaseDownIsUnavailable: when the shop's database fails, a page
// is a 503 with a JSON error, and the log says why.
func TestDatabaseDownIsUnavailable(t *testing.T) {
	base, h, logs := startHistory(t)
	h.db.Close()
	status, body := get(t, http.DefaultClient, base, 42)
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(string(body), `{"error":"the order history is unavailable"`) {
		t.Errorf("GET /users/42 with the database closed: %d %s, want 503 with a JSON error", status, body)
	}
	if !strings.Contains(logs.String(), "database is closed") {
		t.Errorf("the log does not say what failed:\n%s", logs)
	}
}
