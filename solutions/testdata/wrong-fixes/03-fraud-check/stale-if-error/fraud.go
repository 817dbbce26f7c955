package main

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slowpath/slowpath/server"
	"golang.org/x/sync/singleflight"
)

// fraudConfig is what the flags say about the fraud check.
type fraudConfig struct {
	latency  time.Duration // how long the fraud service takes to answer one call
	validity time.Duration // the oldest a score on a page may be, counted from when the fraud service computed it
	keep     int           // the most users' scores the service may hold in memory
}

// registerFlags defines the fraud check's flags on fs, with their defaults.
func (c *fraudConfig) registerFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.latency, "fraud-latency", 50*time.Millisecond, "how long the fraud service takes to answer one call")
	fs.DurationVar(&c.validity, "fraud-validity", time.Minute, "the oldest score a page may show, counted from when the fraud service computed it (as_of)")
	fs.IntVar(&c.keep, "fraud-keep", 10000, "the most users' scores the service may hold in memory (its memory budget)")
}

// tokenKey signs the risk that a page shows, so that the checkout service,
// which reads it from the page, can trust it. Production reads its key
// from the secret store; this one, for staging, is no secret.
const tokenKey = "slowpath-risk-token-staging-key"

// setup plugs the fraud check into cfg as the step "fraud", and returns
// the fraud service that the step asks.
func setup(cfg *server.Config, fc fraudConfig) (*FraudService, error) {
	if fc.latency < 0 {
		return nil, fmt.Errorf("-fraud-latency %s: must not be negative", fc.latency)
	}
	if fc.validity < time.Millisecond {
		return nil, fmt.Errorf("-fraud-validity %s: must be at least 1ms", fc.validity)
	}
	if fc.keep < 1 {
		return nil, fmt.Errorf("-fraud-keep %d: must be at least 1", fc.keep)
	}
	svc := NewFraudService(fc.latency)
	check := &fraudCheck{svc: svc, key: []byte(tokenKey), validity: fc.validity, keep: fc.keep,
		entries: map[int64]*list.Element{}, lru: list.New()}
	cfg.Steps = append(cfg.Steps, server.Step{Name: "fraud", Run: check.run})
	return svc, nil
}

// fraudCheck is the step "fraud": it shows the user's risk on the page.
type fraudCheck struct {
	svc *FraudService
	key []byte // signs the risk tokens

	validity time.Duration
	keep     int
	group    singleflight.Group

	mu      sync.Mutex
	entries map[int64]*list.Element // of *cached
	lru     *list.List
}

type cached struct {
	id   int64
	risk Risk
}

func (c *fraudCheck) lookup(id int64) (Risk, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return Risk{}, false
	}
	c.lru.MoveToFront(e)
	return e.Value.(*cached).risk, true
}

func (c *fraudCheck) store(id int64, r Risk) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok {
		e.Value.(*cached).risk = r
		c.lru.MoveToFront(e)
		return
	}
	c.entries[id] = c.lru.PushFront(&cached{id: id, risk: r})
	for c.lru.Len() > c.keep {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.entries, old.Value.(*cached).id)
	}
}

// fetch asks the fraud service once for all the pages that miss at once.
func (c *fraudCheck) fetch(ctx context.Context, id int64) (Risk, error) {
	v, err, _ := c.group.Do(fmt.Sprint(id), func() (any, error) {
		r, err := c.svc.Score(ctx, id)
		if err != nil {
			return Risk{}, err
		}
		c.store(id, r)
		return r, nil
	})
	if err != nil {
		return Risk{}, err
	}
	return v.(Risk), nil
}

// score serves a kept score while it is valid, and asks the fraud service
// again once it is not. When the fraud service fails, the page keeps the
// last score it had rather than failing: better an old score than no page.
func (c *fraudCheck) score(ctx context.Context, id int64) (Risk, error) {
	r, ok := c.lookup(id)
	if ok && time.Since(r.AsOf) < c.validity {
		return r, nil
	}
	fresh, err := c.fetch(ctx, id)
	if err != nil && ok {
		return r, nil
	}
	return fresh, err
}

// run adds the risk of the page's user to the page, under "risk". A
// failing fraud service answers 502: the page is not shown without it.
func (c *fraudCheck) run(ctx context.Context, page *server.Page) error {
	risk, err := c.score(ctx, page.ID)
	if err != nil {
		return &server.HTTPError{Status: http.StatusBadGateway, Message: "the fraud check is unavailable", Err: err}
	}
	page.Set("risk", c.view(page.ID, risk))
	return nil
}

// view is the risk of the user userID as the page shows it, signed.
func (c *fraudCheck) view(userID int64, risk Risk) riskView {
	mac := hmac.New(sha256.New, c.key)
	fmt.Fprintf(mac, "user=%d score=%d band=%s", userID, risk.Score, risk.Band)
	return riskView{
		Score: risk.Score,
		Band:  risk.Band,
		Label: fmt.Sprintf("%s risk (%d/100)", risk.Band, risk.Score),
		AsOf:  risk.AsOf.UTC().Format(time.RFC3339Nano),
		Token: hex.EncodeToString(mac.Sum(nil)),
	}
}

// riskView is the risk as the page shows it.
type riskView struct {
	Score int    `json:"score"`
	Band  string `json:"band"`
	Label string `json:"label"` // e.g. "medium risk (65/100)"
	AsOf  string `json:"as_of"` // when the fraud service computed the score, RFC 3339 in UTC
	// Token is the hex HMAC-SHA256, under the token key, of
	// "user=42 score=65 band=medium": the checkout service checks it.
	Token string `json:"token"`
}

// Risk is the fraud service's verdict on a user.
type Risk struct {
	Score int       // 0 (trusted) to 99 (almost surely a fraudster)
	Band  string    // "low" (under 30), "medium" (under 70) or "high"
	AsOf  time.Time // when the fraud service computed it (the page shows it as as_of)
}

// FraudService is the client of the fraud team's service, which scores how
// likely a user is to be a fraudster. It is safe for concurrent use.
type FraudService struct {
	latency time.Duration
	calls   atomic.Int64
	// fail, when set (tests set it), is asked on every call: an error it
	// returns is the fraud service failing that call.
	fail func(userID int64) error
}

// NewFraudService returns a client of the fraud service whose calls take
// latency.
func NewFraudService(latency time.Duration) *FraudService {
	return &FraudService{latency: latency}
}

// Calls is how many times Score has been called.
func (s *FraudService) Calls() int64 { return s.calls.Load() }

// Score asks the fraud team's service for the risk of the user userID, as
// the service computes it at the time of the call (AsOf). The service is
// simulated in this process: a call takes -fraud-latency, as the round
// trip over the network and the scoring would.
func (s *FraudService) Score(ctx context.Context, userID int64) (Risk, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return Risk{}, fmt.Errorf("fraud service: scoring user %d: %w", userID, err)
	}
	time.Sleep(s.latency) // the round trip to the fraud service
	if s.fail != nil {
		if err := s.fail(userID); err != nil {
			return Risk{}, fmt.Errorf("fraud service: scoring user %d: %w", userID, err)
		}
	}
	risk := riskOf(userID)
	risk.AsOf = time.Now()
	return risk, nil
}

// riskOf is the fraud team's score of a user: made up, but always the same
// for the same id, so that tests can check it.
func riskOf(userID int64) Risk {
	score := int((uint64(userID)*37 + 11) % 100)
	switch {
	case score < 30:
		return Risk{Score: score, Band: "low"}
	case score < 70:
		return Risk{Score: score, Band: "medium"}
	default:
		return Risk{Score: score, Band: "high"}
	}
}
