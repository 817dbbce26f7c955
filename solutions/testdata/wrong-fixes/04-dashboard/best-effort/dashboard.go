package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/trace"
	"slices"
	"strconv"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/shipping"
	"github.com/slowpath/slowpath/server/shop"
	"golang.org/x/sync/errgroup"
)

// Dashboard gathers what a user's page shows beside the user: their recent
// orders and the products to recommend to them, from the shop's database,
// and a shipping quote to their country, from the shipping service.
type Dashboard struct {
	shop   *shop.DB
	quotes *shipping.Client
}

// setup opens the shop's database and a client of the shipping service
// (starting one in this process unless shippingCfg names another), and
// plugs the dashboard into cfg: the step "dashboard", which adds it to
// the page, and the close hooks that close what setup opened.
func setup(cfg *server.Config, shopCfg shop.Config, shippingCfg shipping.Config) (*Dashboard, error) {
	quotes, err := shipping.Connect(shippingCfg, cfg.Logger) // a bad URL fails before the database is seeded
	if err != nil {
		return nil, err
	}
	db, err := shop.Open(context.Background(), shopCfg, cfg.Users)
	if err != nil {
		quotes.Close(context.Background())
		return nil, err
	}
	// Close hooks run in reverse order: the database, then the client (and the service it started).
	cfg.Closers = append(cfg.Closers, quotes.Close, func(context.Context) error { return db.Close() })
	d := &Dashboard{shop: db, quotes: quotes}
	cfg.Steps = append(cfg.Steps, server.Step{Name: "dashboard", Run: d.build})
	return d, nil
}

// build gathers the dashboard's three parts for the page's user, then adds
// them to the page.
func (d *Dashboard) build(ctx context.Context, page *server.Page) error {
	var (
		orders []shop.OrderRow
		quote  shipping.Quote
		recs   []shop.Candidate
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { orders, err = d.orders(gctx, page.ID); return err })
	g.Go(func() (err error) { quote, err = d.shipping(gctx, page.User); return err })
	// The recommendations are the slowest part and only a suggestion: a page
	// does not wait more than recsBudget for them, nor fail for them.
	g.Go(func() error {
		rctx, cancel := context.WithTimeout(gctx, recsBudget)
		defer cancel()
		var err error
		if recs, err = d.recommendations(rctx, page.ID); err != nil {
			slog.Warn("dashboard: showing the page without recommendations", "err", err)
			recs = nil
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	render(page, orders, quote, recs)
	return nil
}

// recsBudget is the longest a page waits for its recommendations.
const recsBudget = 150 * time.Millisecond

// orders returns the user's most recent orders, newest first.
func (d *Dashboard) orders(ctx context.Context, userID int64) ([]shop.OrderRow, error) {
	defer trace.StartRegion(ctx, "orders").End()
	rows, err := d.shop.RecentOrders(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("dashboard: orders of user %d: %w", userID, err)
	}
	return rows, nil
}

// shipping asks the shipping service for a quote to the user's country.
// When the service fails, the page cannot be shown: 502, with the cause
// in the log.
func (d *Dashboard) shipping(ctx context.Context, u server.User) (shipping.Quote, error) {
	defer trace.StartRegion(ctx, "shipping").End()
	q, err := d.quotes.Quote(ctx, u.Country, u.Plan)
	if err != nil {
		return shipping.Quote{}, &server.HTTPError{
			Status:  http.StatusBadGateway,
			Message: "the shipping service is not answering; try again later",
			Err:     fmt.Errorf("dashboard: shipping quote for user %d: %w", u.ID, err),
		}
	}
	return q, nil
}

// recommendations returns the products the user might buy next, unranked.
func (d *Dashboard) recommendations(ctx context.Context, userID int64) ([]shop.Candidate, error) {
	defer trace.StartRegion(ctx, "recommendations").End()
	cands, err := d.shop.Recommendations(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("dashboard: recommendations for user %d: %w", userID, err)
	}
	return cands, nil
}

// OrderLine is one recent order on the dashboard.
type OrderLine struct {
	ID       int64  `json:"id"`
	PlacedAt string `json:"placed_at"`
	Product  string `json:"product"`
	Quantity int64  `json:"quantity"`
	Total    string `json:"total"`
	Status   string `json:"status"`
}

// OrdersPanel is the dashboard's list of recent orders, with their totals.
type OrdersPanel struct {
	Recent []OrderLine `json:"recent"`
	Items  int64       `json:"items"` // items in the recent orders
	Total  string      `json:"total"` // what the recent orders cost together
}

// ShippingPanel is the dashboard's shipping quote.
type ShippingPanel struct {
	To      string `json:"to"`
	Carrier string `json:"carrier"`
	Service string `json:"service"`
	Price   string `json:"price"`
	Days    int    `json:"days"`
}

// Recommendation is one product the dashboard recommends.
type Recommendation struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Price    string  `json:"price"`
	Stars    float64 `json:"stars"`
}

// maxRecommendations is how many products the dashboard recommends.
const maxRecommendations = 5

// render adds the dashboard to the page: the orders with their totals, the
// quote, and the best candidates, ranked by the user's affinity for their
// category, then by rating.
func render(page *server.Page, orders []shop.OrderRow, quote shipping.Quote, cands []shop.Candidate) {
	panel := OrdersPanel{Recent: make([]OrderLine, 0, len(orders))}
	var total int64
	for _, o := range orders {
		panel.Recent = append(panel.Recent, OrderLine{
			ID: o.ID, PlacedAt: o.PlacedAt, Product: o.Product, Quantity: o.Quantity,
			Total: money(o.TotalCents, "EUR"), Status: o.Status,
		})
		panel.Items += o.Quantity
		total += o.TotalCents
	}
	panel.Total = money(total, "EUR")
	page.Set("orders", panel)

	page.Set("shipping", ShippingPanel{
		To: page.Country, Carrier: quote.Carrier, Service: quote.Service,
		Price: money(quote.PriceCents, quote.Currency), Days: quote.Days,
	})

	slices.SortFunc(cands, func(a, b shop.Candidate) int {
		return cmp.Or(cmp.Compare(b.Affinity, a.Affinity), cmp.Compare(b.Rating, a.Rating), cmp.Compare(a.ID, b.ID))
	})
	recs := make([]Recommendation, 0, maxRecommendations)
	for _, c := range cands[:min(len(cands), maxRecommendations)] {
		recs = append(recs, Recommendation{
			ID: c.ID, Name: c.Name, Category: c.Category,
			Price: money(c.PriceCents, "EUR"), Stars: float64(c.Rating) / 10,
		})
	}
	page.Set("recommendations", recs)
}

// money formats an amount in hundredths of a currency: 1234 EUR is
// "12.34 EUR".
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	frac := strconv.FormatInt(100+cents%100, 10)[1:]
	return sign + strconv.FormatInt(cents/100, 10) + "." + frac + " " + currency
}
