package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/pricing"
)

// priceConfig is what the flags say about the price list.
type priceConfig struct {
	latency time.Duration // how long the pricing service takes to send its list
	edits   time.Duration // how often the pricing team edits the list
	every   time.Duration // how often the program asks for the list: the oldest a price on a page may be
}

// registerFlags defines the price list's flags on fs, with their defaults.
func (c *priceConfig) registerFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.latency, "prices-latency", 300*time.Millisecond, "how long the pricing service takes to send its list")
	fs.DurationVar(&c.edits, "prices-edits", time.Second, "how often the pricing team edits the list")
	fs.DurationVar(&c.every, "prices-every", 2*time.Second, "how often to ask for the list again: a page's price is at most this old, counted from when the list arrived (as_of)")
}

// setup starts the pricing service, fetches the first list, plugs the
// step "price" into cfg and the list's refresh and the service's stop
// into its close hooks.
func setup(cfg *server.Config, pc priceConfig) (*PriceList, error) {
	if pc.latency < 0 || pc.edits <= 0 || pc.every < 10*time.Millisecond {
		return nil, fmt.Errorf("price list: want -prices-latency ≥ 0, -prices-edits > 0 and -prices-every ≥ 10ms")
	}
	svc, err := pricing.Start(pc.latency, pc.edits, cfg.Logger)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	prices := &PriceList{client: client, url: svc.URL(), svc: svc}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first := time.Now()
	if err := prices.refresh(ctx); err != nil {
		svc.Close(ctx)
		return nil, err
	}
	stop := prices.keepFresh(first, pc.every, cfg.Logger)
	cfg.Steps = append(cfg.Steps, server.Step{Name: "price", Run: prices.run})
	cfg.Closers = append(cfg.Closers, svc.Close, func(context.Context) error { stop(); return nil })
	return prices, nil
}

// PriceList is the pricing service's list as the pages show it: the one
// list every page reads, replaced by the next one the service sends.
type PriceList struct {
	client *http.Client
	url    string           // the pricing service
	svc    *pricing.Service // the service itself, which runs in this process

	mu   sync.RWMutex
	list pricing.List
	at   time.Time // when list arrived
}

// refresh asks the pricing service for its list and makes it the one the
// pages read. On an error the pages keep the last list.
//
// The fetch runs without the lock: it takes as long as the pricing
// service does (300 ms by default), and a page that waited for the lock
// meanwhile would wait for the fetch. Only the swap of the new list for
// the old holds the lock: two assignments, no I/O. One goroutine refreshes
// at a time (keepFresh's, or setup's before it), so two fetches never
// race to swap.
func (p *PriceList) refresh(ctx context.Context) error {
	l, err := pricing.Fetch(ctx, p.client, p.url)
	if err != nil {
		return err
	}
	at := time.Now()
	p.mu.Lock()
	p.list, p.at = l, at
	p.mu.Unlock()
	return nil
}

// keepFresh asks for the list again every interval, resting an interval
// after each refresh so that two never overlap; it logs the refreshes
// that fail, and stops when the returned stop is called.
func (p *PriceList) keepFresh(first time.Time, every time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(every):
			}
			if err := p.refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("price list: refresh failed; the pages keep the last list", "err", err)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Price is what a page shows of the list: the user's plan, its monthly
// price, and the list it comes from.
type Price struct {
	Plan    string    `json:"plan"`
	Cents   int64     `json:"monthly_cents"`
	Version int64     `json:"list_version"`
	AsOf    time.Time `json:"as_of"` // when the list arrived from the pricing service
}

// Price returns the price of plan in the current list.
func (p *PriceList) Price(plan string) (Price, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	cents, ok := p.list.Plans[plan]
	return Price{Plan: plan, Cents: cents, Version: p.list.Version, AsOf: p.at}, ok
}

// run is the step "price": it adds the price of the user's plan to the
// page, under "price".
func (p *PriceList) run(ctx context.Context, page *server.Page) error {
	price, ok := p.Price(page.User.Plan)
	if !ok {
		return &server.HTTPError{Status: http.StatusInternalServerError, Message: "no price for plan " + page.User.Plan}
	}
	page.Set("price", price)
	return nil
}
