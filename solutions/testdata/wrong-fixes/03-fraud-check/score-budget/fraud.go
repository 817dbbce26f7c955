package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
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
	check := &fraudCheck{scores: newScoreCache(svc, fc.validity, fc.keep), key: []byte(tokenKey)}
	cfg.Steps = append(cfg.Steps, server.Step{Name: "fraud", Run: check.run})
	return svc, nil
}

// fraudCheck is the step "fraud": it shows the user's risk on the page.
type fraudCheck struct {
	scores *scoreCache
	key    []byte // signs the risk tokens
}

// scoreBudget is how long a page waits for a score the cache does not
// hold: a page shown on time without its risk beats a late one, and the
// next page of the user finds the score kept.
const scoreBudget = 25 * time.Millisecond

// run adds the risk of the page's user to the page, under "risk", if the
// score comes within scoreBudget. A failing fraud service answers 502.
func (c *fraudCheck) run(ctx context.Context, page *server.Page) error {
	type answer struct {
		risk Risk
		err  error
	}
	got := make(chan answer, 1) // the lookup never blocks on a page that left
	go func() {
		risk, err := c.scores.get(ctx, page.ID)
		got <- answer{risk, err}
	}()
	timer := time.NewTimer(scoreBudget)
	defer timer.Stop()
	select {
	case a := <-got:
		if a.err != nil {
			return &server.HTTPError{Status: http.StatusBadGateway, Message: "the fraud check is unavailable", Err: a.err}
		}
		page.Set("risk", c.view(page.ID, a.risk))
	case <-timer.C:
		// Shown without its risk; the lookup goes on and keeps the score.
	}
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

// scoreCache keeps the fraud service's answers while they are valid, for
// at most keep users, and makes a single call for the pages that miss on
// the same user at the same time. It is safe for concurrent use.
//
// The keeping is hashicorp/golang-lru's expirable LRU: bounded, least
// recently used out first, each entry dropped a validity after it was
// added (just after the fraud service computed it), and safe for
// concurrent use. It does not collapse concurrent misses: every page that
// misses would call the fraud service, so singleflight does.
type scoreCache struct {
	svc    *FraudService
	flight singleflight.Group          // one call per user in flight
	kept   *expirable.LRU[int64, Risk] // the answers, by user id
}

// newScoreCache returns an empty cache in front of svc that keeps each
// answer for validity (setup holds it to 1ms at least: the LRU's cleanup
// goroutine wakes every validity/100), for at most keep users (at least
// 1: the LRU would take 0 to mean no bound).
func newScoreCache(svc *FraudService, validity time.Duration, keep int) *scoreCache {
	// Its cleanup goroutine lives as long as the process: golang-lru
	// v2.0.7 has no Close. setup makes one cache per process.
	return &scoreCache{svc: svc, kept: expirable.NewLRU[int64, Risk](keep, nil, validity)}
}

// get returns the risk of the user userID: the one kept, while it is
// valid, else the fraud service's answer, which it keeps. The pages that
// miss on the same user at once share one call and its answer, or its
// error; an error is not kept.
func (c *scoreCache) get(ctx context.Context, userID int64) (Risk, error) {
	if risk, ok := c.lookup(userID); ok {
		return risk, nil
	}
	v, err, _ := c.flight.Do(strconv.FormatInt(userID, 10), func() (any, error) {
		if risk, ok := c.lookup(userID); ok {
			return risk, nil // kept by a call that ended after the lookup above
		}
		// The call answers every page waiting on it: the first page's client
		// hanging up must not cancel it for the others.
		risk, err := c.svc.Score(context.WithoutCancel(ctx), userID)
		if err != nil {
			return Risk{}, err
		}
		c.kept.Add(userID, risk) // valid for the validity from now
		return risk, nil
	})
	if err != nil {
		return Risk{}, err
	}
	return v.(Risk), nil
}

// lookup returns the risk kept for userID if it is still valid.
func (c *scoreCache) lookup(userID int64) (Risk, bool) { return c.kept.Get(userID) }

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
