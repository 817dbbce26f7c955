// Command dashboard serves the users service with a dashboard: each user's
// page also shows their recent orders and the products to recommend to
// them, from the shop's database, and a shipping quote to their country,
// from the shipping service.
//
// The shop's database is a SQLite file (-shop-db), created and seeded with
// the orders of the service's users at the first start. The shipping
// service is started in the same process on a loopback port, unless
// -shipping-url names another one.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/slowpath/slowpath/server"
)

func main() {
	cfg := server.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)) // server.Run's, set here for the shipping service too
	cfg.RegisterFlags(flag.CommandLine)
	opt := defaultOptions()
	opt.RegisterFlags(flag.CommandLine)
	flag.Parse()
	if _, err := setup(&cfg, opt); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
	if err := server.Run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

// options configures the dashboard's sources.
type options struct {
	ShopDB          string        // the shop's SQLite file
	ShopConns       int           // connections to it kept open
	Latency         ShopLatency   // the shop database's time per query
	ShippingURL     string        // the shipping service; empty starts one in process
	ShippingLatency time.Duration // the in-process shipping service's time per quote
	ShippingTimeout time.Duration // how long a quote may take
}

func defaultOptions() options {
	return options{
		ShopDB:          "shop.db",
		ShopConns:       256,
		Latency:         ShopLatency{Orders: 10 * time.Millisecond, Recommendations: 50 * time.Millisecond},
		ShippingLatency: 20 * time.Millisecond,
		ShippingTimeout: 2 * time.Second,
	}
}

// RegisterFlags defines a flag for every field of o on fs, with o's values
// as defaults.
func (o *options) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.ShopDB, "shop-db", o.ShopDB, "the shop's SQLite `file`, created and seeded if it has no products table")
	fs.IntVar(&o.ShopConns, "shop-conns", o.ShopConns, "`number` of connections to the shop's database kept open")
	fs.DurationVar(&o.Latency.Orders, "orders-latency", o.Latency.Orders, "how long the shop's database takes to find a user's recent orders")
	fs.DurationVar(&o.Latency.Recommendations, "recommendations-latency", o.Latency.Recommendations, "how long the shop's database takes to find a user's recommendations")
	fs.StringVar(&o.ShippingURL, "shipping-url", o.ShippingURL, "base `URL` of the shipping service (default: one started in this process)")
	fs.DurationVar(&o.ShippingLatency, "shipping-latency", o.ShippingLatency, "how long the in-process shipping service takes to quote")
	fs.DurationVar(&o.ShippingTimeout, "shipping-timeout", o.ShippingTimeout, "how long a shipping quote may take before the page fails")
}

// setup opens the shop's database, starts the shipping service unless
// opt names one, and plugs the dashboard into cfg: its step, and the close
// hooks that stop what setup started.
func setup(cfg *server.Config, opt options) (*Dashboard, error) {
	var quotes *ShippingClient
	if opt.ShippingURL != "" { // checked before the database is seeded
		var err error
		if quotes, err = NewShippingClient(opt.ShippingURL, opt.ShippingTimeout); err != nil {
			return nil, err
		}
	}
	shop, err := OpenShop(context.Background(), opt.ShopDB, cfg.Users, opt.ShopConns, opt.Latency)
	if err != nil {
		return nil, err
	}
	if quotes == nil {
		log := cfg.Logger
		if log == nil {
			log = slog.Default()
		}
		svc, err := StartShippingService(opt.ShippingLatency, log)
		if err == nil {
			if quotes, err = NewShippingClient(svc.URL(), opt.ShippingTimeout); err != nil {
				svc.Close(context.Background())
			}
		}
		if err != nil {
			shop.Close()
			return nil, err
		}
		cfg.Closers = append(cfg.Closers, svc.Close)
	}
	// Close hooks run in reverse order: the client, the shop, the service.
	cfg.Closers = append(cfg.Closers,
		func(context.Context) error { return shop.Close() },
		func(context.Context) error { quotes.Close(); return nil })

	d := &Dashboard{shop: shop, quotes: quotes}
	cfg.Steps = append(cfg.Steps, d.Step())
	return d, nil
}
