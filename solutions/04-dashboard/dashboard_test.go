package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
	"github.com/slowpath/slowpath/server/shipping"
	"github.com/slowpath/slowpath/server/shop"
)

// These tests hold the dashboard to what it shows, whatever the way it
// gathers it: the right orders, quote and recommendations for each user,
// every source asked once per page, and a 502 with the cause logged when
// the shipping service fails. They never time anything: latencies are a
// few milliseconds so that they run fast.

// dashboardPage is the body of GET /users/{id} with the dashboard.
type dashboardPage struct {
	server.User
	Extras struct {
		Orders          OrdersPanel      `json:"orders"`
		Shipping        ShippingPanel    `json:"shipping"`
		Recommendations []Recommendation `json:"recommendations"`
	} `json:"extras"`
}

// testServer is the users service with the dashboard, served for a test.
type testServer struct {
	base   string          // the app's base URL
	d      *Dashboard      // the dashboard plugged into it
	logs   *servertest.Log // the server's log
	client *http.Client    // the test's own client, its idle connections closed before the server stops
}

// startDashboard serves the users service with the dashboard plugged in
// as main does, with 1,000 users, a shop database in a temporary folder
// and latencies of a few milliseconds; edit changes the shipping
// service's configuration first.
func startDashboard(t *testing.T, edit func(*shipping.Config)) *testServer {
	t.Helper()
	return startDashboardWith(t, edit, nil)
}

// startDashboardWith is startDashboard, with editShop changing the shop
// database's configuration first too.
func startDashboardWith(t *testing.T, edit func(*shipping.Config), editShop func(*shop.Config)) *testServer {
	t.Helper()
	cfg := servertest.Config()
	logs := &servertest.Log{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	shopCfg := shop.DefaultConfig()
	shopCfg.Path = filepath.Join(t.TempDir(), "shop.db")
	shopCfg.Conns = 32
	shopCfg.Latency = shop.Latency{Orders: 2 * time.Millisecond, Recommendations: 3 * time.Millisecond}
	shippingCfg := shipping.DefaultConfig()
	shippingCfg.Latency = 2 * time.Millisecond
	if edit != nil {
		edit(&shippingCfg)
	}
	if editShop != nil {
		editShop(&shopCfg)
	}
	d, err := setup(&cfg, shopCfg, shippingCfg)
	if err != nil {
		t.Fatal(err)
	}
	app := servertest.Start(t, cfg)
	// A client of its own: a connection that a shared client dialed and never
	// used would hold up the server's graceful shutdown for 5 s (net/http
	// waits that long for its first request). Cleanups run last first: the
	// connections close, then the server stops.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &testServer{base: "http://" + app.Addr().String(), d: d, logs: logs,
		client: &http.Client{Transport: tr, Timeout: 5 * time.Second}}
}

// get asks for a user's page and returns the status and the body.
func (s *testServer) get(t *testing.T, id int64) (int, []byte) {
	t.Helper()
	resp, err := s.client.Get(fmt.Sprintf("%s/users/%d", s.base, id))
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

// wantPage is what the page of user id must show, worked out from the
// seed without the database or the shipping service.
func wantPage(id int64) dashboardPage {
	var p dashboardPage
	p.User = server.SeedUser(id)

	orders := shop.SeedOrders(id)
	slices.SortFunc(orders, func(a, b shop.SeedOrder) int {
		return cmp.Or(strings.Compare(b.PlacedAt, a.PlacedAt), cmp.Compare(b.ID, a.ID))
	})
	p.Extras.Orders.Recent = []OrderLine{}
	var total int64
	for _, o := range orders[:min(len(orders), 5)] {
		p.Extras.Orders.Recent = append(p.Extras.Orders.Recent, OrderLine{
			ID: o.ID, PlacedAt: o.PlacedAt, Product: shop.SeedProduct(o.ProductID).Name,
			Quantity: o.Quantity, Total: money(o.TotalCents, "EUR"), Status: o.Status,
		})
		p.Extras.Orders.Items += o.Quantity
		total += o.TotalCents
	}
	p.Extras.Orders.Total = money(total, "EUR")

	q := shipping.QuoteFor(p.Country, p.Plan)
	p.Extras.Shipping = ShippingPanel{To: p.Country, Carrier: q.Carrier, Service: q.Service,
		Price: money(q.PriceCents, q.Currency), Days: q.Days}

	// The recommendations: products the user has not bought, in the
	// categories they bought from, the most bought-from category first,
	// then the best rated, then the lowest id; five of them.
	bought, affinity := map[int64]bool{}, map[string]int64{}
	for _, o := range orders {
		bought[o.ProductID] = true
		affinity[shop.SeedProduct(o.ProductID).Category]++
	}
	var cands []shop.Candidate
	for pid := int64(1); pid <= shop.NumProducts; pid++ {
		pr := shop.SeedProduct(pid)
		if affinity[pr.Category] > 0 && !bought[pid] {
			cands = append(cands, shop.Candidate{Product: pr, Affinity: affinity[pr.Category]})
		}
	}
	slices.SortFunc(cands, func(a, b shop.Candidate) int {
		return cmp.Or(cmp.Compare(b.Affinity, a.Affinity), cmp.Compare(b.Rating, a.Rating), cmp.Compare(a.ID, b.ID))
	})
	p.Extras.Recommendations = []Recommendation{}
	for _, c := range cands[:min(len(cands), 5)] {
		p.Extras.Recommendations = append(p.Extras.Recommendations, Recommendation{
			ID: c.ID, Name: c.Name, Category: c.Category, Price: money(c.PriceCents, "EUR"), Stars: float64(c.Rating) / 10,
		})
	}
	return p
}

// checkPage fails the test unless body is the page of user id.
func checkPage(t *testing.T, id int64, body []byte) {
	t.Helper()
	var got dashboardPage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Errorf("user %d: body is not a page: %v\n%s", id, err, body)
		return
	}
	want := wantPage(id)
	if got.User != want.User {
		t.Errorf("user %d: user fields\n got %+v\nwant %+v", id, got.User, want.User)
	}
	if !reflect.DeepEqual(got.Extras.Orders, want.Extras.Orders) {
		t.Errorf("user %d: orders\n got %+v\nwant %+v", id, got.Extras.Orders, want.Extras.Orders)
	}
	if got.Extras.Shipping != want.Extras.Shipping {
		t.Errorf("user %d: shipping\n got %+v\nwant %+v", id, got.Extras.Shipping, want.Extras.Shipping)
	}
	if !reflect.DeepEqual(got.Extras.Recommendations, want.Extras.Recommendations) {
		t.Errorf("user %d: recommendations\n got %+v\nwant %+v", id, got.Extras.Recommendations, want.Extras.Recommendations)
	}
}

func TestPageShowsOrdersQuoteAndRecommendations(t *testing.T) {
	srv := startDashboard(t, nil)
	for _, id := range []int64{1, 2, 42, 777, 1000} {
		status, body := srv.get(t, id)
		if status != http.StatusOK {
			t.Fatalf("GET /users/%d: %d %s", id, status, body)
		}
		checkPage(t, id, body)
	}

	// The model above is only worth something if it is not empty: user
	// 42's page, as seeded.
	want := wantPage(42)
	if len(want.Extras.Orders.Recent) != 3 || want.Extras.Orders.Total != "213.72 EUR" ||
		want.Extras.Shipping.Price != "24.95 EUR" || len(want.Extras.Recommendations) != 5 {
		t.Errorf("user 42's page changed: %+v", want.Extras)
	}
}

// TestSlowSourcesAreWaitedFor: with every source far slower than usual,
// though well within the shipping client's 2 s, each page still carries
// all three parts, right: a page waits for what it shows, and drops
// nothing to keep its budget.
func TestSlowSourcesAreWaitedFor(t *testing.T) {
	srv := startDashboardWith(t, func(c *shipping.Config) { c.Latency = 300 * time.Millisecond },
		func(c *shop.Config) {
			c.Latency = shop.Latency{Orders: 300 * time.Millisecond, Recommendations: 400 * time.Millisecond}
		})
	for _, id := range []int64{1, 42} {
		status, body := srv.get(t, id)
		if status != http.StatusOK {
			t.Fatalf("GET /users/%d with slow sources: %d %s", id, status, body)
		}
		checkPage(t, id, body)
	}
}

func TestMoney(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00 EUR", 5: "0.05 EUR", 1234: "12.34 EUR", -150: "-1.50 EUR", 100000: "1000.00 EUR"} {
		if got := money(cents, "EUR"); got != want {
			t.Errorf("money(%d) = %q, want %q", cents, got, want)
		}
	}
}

// TestEverySourceOncePerPage serves pages to concurrent clients: each
// gets its own user's page, and each page asks the shop's database for
// orders and for recommendations and the shipping service for a quote,
// once each, even a page of a user whose page was just shown.
func TestEverySourceOncePerPage(t *testing.T) {
	var quotes atomic.Int64
	quoting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		quotes.Add(1)
		shipping.Handler(time.Millisecond).ServeHTTP(w, r)
	}))
	t.Cleanup(quoting.Close)
	srv := startDashboard(t, func(c *shipping.Config) { c.URL = quoting.URL })

	const clients, each = 16, 4
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := int64(1 + (c+i)%8*111) // 8 users, each asked for 8 times
				status, body := srv.get(t, id)
				if status != http.StatusOK {
					t.Errorf("GET /users/%d: %d %s", id, status, body)
					continue
				}
				checkPage(t, id, body)
			}
		}()
	}
	wg.Wait()
	if got, want := srv.d.shop.Queries(), int64(2*clients*each); got != want {
		t.Errorf("the shop's database got %d queries for %d pages, want %d: orders and recommendations, once per page", got, clients*each, want)
	}
	if got, want := quotes.Load(), int64(clients*each); got != want {
		t.Errorf("the shipping service got %d quote requests for %d pages, want %d", got, clients*each, want)
	}
}

// TestShippingFailureIs502 points the dashboard at shipping services that
// fail in different ways: every page answers 502 with a JSON error, and
// the log has the cause.
func TestShippingFailureIs502(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "carrier rates unavailable", http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"carrier": `)
	}))
	t.Cleanup(garbled.Close)
	slow := httptest.NewServer(shipping.Handler(10 * time.Second))
	t.Cleanup(slow.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now

	for _, tc := range []struct {
		name, url, cause string
		timeout          time.Duration
	}{
		{"answers 500", failing.URL, "500 Internal Server Error", 0},
		{"answers garbage", garbled.URL, "bad quote", 0},
		{"port closed", closed, "connection refused", 0},
		{"too slow", slow.URL, "Client.Timeout", 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startDashboard(t, func(c *shipping.Config) {
				c.URL = tc.url
				if tc.timeout > 0 {
					c.Timeout = tc.timeout
				}
			})
			for _, id := range []int64{42, 43} {
				status, body := srv.get(t, id)
				if status != http.StatusBadGateway {
					t.Fatalf("GET /users/%d: %d %s, want 502", id, status, body)
				}
				var e struct{ Error string }
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Errorf("GET /users/%d: body %s, want {\"error\": \"...\"}", id, body)
				}
			}
			log := srv.logs.String()
			if !strings.Contains(log, "status=502") || !strings.Contains(log, tc.cause) {
				t.Errorf("the log does not say status=502 with the cause (%q):\n%s", tc.cause, log)
			}
			if strings.Contains(log, "panic") {
				t.Errorf("the server panicked:\n%s", log)
			}
		})
	}
}

func TestBadShippingURL(t *testing.T) {
	for _, u := range []string{"localhost:9999", "ftp://example.com", "http://"} {
		cfg := servertest.Config()
		shopCfg, shippingCfg := shop.DefaultConfig(), shipping.DefaultConfig()
		shopCfg.Path = filepath.Join(t.TempDir(), "shop.db")
		shippingCfg.URL = u
		if _, err := setup(&cfg, shopCfg, shippingCfg); err == nil {
			t.Errorf("-shipping-url %q: setup accepted it", u)
		}
		if _, err := os.Stat(shopCfg.Path); err == nil {
			t.Errorf("-shipping-url %q: setup seeded the shop's database before it rejected the URL", u)
		}
	}
}
