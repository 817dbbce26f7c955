package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/loyalty"
)

// loyaltyConfig is what the flags say about the loyalty service.
type loyaltyConfig struct {
	latency time.Duration // how long the loyalty service takes to answer
	timeout time.Duration // how long a page waits for it
}

// registerFlags defines the loyalty service's flags on fs, with their
// defaults.
func (c *loyaltyConfig) registerFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.latency, "loyalty-latency", time.Millisecond, "how long the loyalty service takes to answer")
	fs.DurationVar(&c.timeout, "loyalty-timeout", 2*time.Second, "how long a page waits for the loyalty service")
}

// setup starts the loyalty service and plugs the step "points" into cfg,
// the service's counts into its metrics and its stop into its close hooks.
func setup(cfg *server.Config, lc loyaltyConfig) (*Points, error) {
	if lc.latency < 0 || lc.timeout <= 0 {
		return nil, fmt.Errorf("loyalty: want -loyalty-latency ≥ 0 and -loyalty-timeout > 0")
	}
	svc, err := loyalty.Start(lc.latency, cfg.Logger)
	if err != nil {
		return nil, err
	}
	p := &Points{client: newClient(svc, lc.timeout), url: svc.URL(), recent: make(map[int64]loyalty.Balance)}
	cfg.Steps = append(cfg.Steps, server.Step{Name: "points", Run: p.run})
	cfg.Metrics = append(cfg.Metrics, svc.Metrics()...)
	// Closers run last first: the client lets go of its idle connections,
	// then the service stops (it would wait for connections never used).
	cfg.Closers = append(cfg.Closers, svc.Close, func(context.Context) error { p.client.CloseIdleConnections(); return nil })
	return p, nil
}

// newClient returns the program's one client of the loyalty service,
// which trusts the service's certificate and gives up after timeout. It
// keeps up to maxIdle connections open to the service between requests,
// as many as requests may be in flight: a Transport keeps only
// http.DefaultMaxIdleConnsPerHost (2) by default, and under load every
// request past the second then opens a new connection, with a TCP and a
// TLS handshake, and closes it after one answer.
func newClient(svc *loyalty.Service, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:     svc.ClientTLS(),
			MaxIdleConns:        maxIdle,
			MaxIdleConnsPerHost: maxIdle,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// maxIdle is how many idle connections to the loyalty service the client
// keeps: at least the requests a load keeps in flight (the kit's loads
// keep up to a few hundred), which the server's own limits bound in
// production.
const maxIdle = 512

// Points asks the loyalty service for users' balances, and keeps each
// user's for a moment: a user's pages within balanceFor of the service's
// answer show that answer. It is safe for concurrent use.
type Points struct {
	client *http.Client
	url    string // the loyalty service

	mu     sync.Mutex
	recent map[int64]loyalty.Balance // by user id: the service's last answer
	swept  time.Time                 // when recent was last rid of its old answers
}

// balanceFor is how long an answer of the loyalty service serves the
// user's next pages, counted from its as_of: a page reloaded, or the
// checkout that follows it, asks the service once, and a balance changes
// only with an order or a redemption, far less often than that.
const balanceFor = 300 * time.Millisecond

// Balance asks the loyalty service for a user's points.
func (p *Points) Balance(ctx context.Context, userID int64) (loyalty.Balance, error) {
	url := p.url + "/v1/points/" + strconv.FormatInt(userID, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return loyalty.Balance{}, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return loyalty.Balance{}, fmt.Errorf("loyalty service: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return loyalty.Balance{}, fmt.Errorf("loyalty service: GET %s: %s", url, resp.Status)
	}
	var b loyalty.Balance
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		return loyalty.Balance{}, fmt.Errorf("loyalty service: GET %s: %w", url, err)
	}
	if b.User != userID {
		return loyalty.Balance{}, fmt.Errorf("loyalty service: GET %s answered for user %d", url, b.User)
	}
	return b, nil
}

// Loyalty is the balance as a page shows it: the points, and when the
// loyalty service vouched for them (as_of). Support staff quote it to a
// customer who just bought something: it must be the service's balance
// of this request, never one kept from an earlier page.
type Loyalty struct {
	Points int64     `json:"points"`
	AsOf   time.Time `json:"as_of"`
}

// balanceOf returns the user's balance: the service's answer to an
// earlier page if its as_of is less than balanceFor ago, else the
// service's answer now, which it keeps. An error is not kept.
func (p *Points) balanceOf(ctx context.Context, userID int64) (loyalty.Balance, error) {
	p.mu.Lock()
	b, ok := p.recent[userID]
	p.mu.Unlock()
	if ok && time.Since(b.AsOf) < balanceFor {
		return b, nil
	}
	b, err := p.Balance(ctx, userID)
	if err != nil {
		return loyalty.Balance{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recent[userID] = b
	p.sweep(time.Now())
	return b, nil
}

// sweep drops the answers whose as_of is balanceFor or longer before now,
// at most once per balanceFor, so that the map holds the users of the
// last moment and not every user seen. p.mu must be held.
func (p *Points) sweep(now time.Time) {
	if now.Sub(p.swept) < balanceFor {
		return
	}
	for id, b := range p.recent {
		if now.Sub(b.AsOf) >= balanceFor {
			delete(p.recent, id)
		}
	}
	p.swept = now
}

// run is the step "points": the page shows the user's balance, or fails
// with 502 when the loyalty service does not answer.
func (p *Points) run(ctx context.Context, page *server.Page) error {
	b, err := p.balanceOf(ctx, page.ID)
	if err != nil {
		return &server.HTTPError{Status: http.StatusBadGateway, Message: "the loyalty service did not answer", Err: err}
	}
	page.Set("loyalty", Loyalty{Points: b.Points, AsOf: b.AsOf})
	return nil
}
