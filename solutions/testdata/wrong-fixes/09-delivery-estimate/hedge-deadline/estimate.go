package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/delivery"
)

// estimateConfig is what the flags say about the delivery-estimate
// service.
type estimateConfig struct {
	replicas int              // how many replicas the service runs
	latency  delivery.Latency // how long a replica takes
	timeout  time.Duration    // how long a page waits for an estimate
}

// registerFlags defines the delivery-estimate service's flags on fs, with
// their defaults.
func (c *estimateConfig) registerFlags(fs *flag.FlagSet) {
	l := delivery.DefaultLatency
	fs.IntVar(&c.replicas, "replicas", 3, "`number` of replicas of the delivery-estimate service, each asked for every page")
	fs.DurationVar(&c.latency.Min, "replica-min", l.Min, "a replica's least time to answer")
	fs.DurationVar(&c.latency.Max, "replica-max", l.Max, "a replica's most time to answer, but for its slow answers")
	fs.DurationVar(&c.latency.Slow, "replica-slow", l.Slow, "a replica's time for a slow answer")
	fs.IntVar(&c.latency.SlowEvery, "replica-slow-every", l.SlowEvery, "one `answer` in this many is slow (0: none)")
	fs.DurationVar(&c.timeout, "estimate-timeout", 2*time.Second, "how long a page waits for an estimate")
}

// setup starts the delivery-estimate service and plugs the step
// "estimate" into cfg and the service's stop into its close hooks.
func setup(cfg *server.Config, ec estimateConfig) (*Estimator, error) {
	if ec.timeout <= 0 {
		return nil, fmt.Errorf("delivery: want -estimate-timeout > 0")
	}
	svc, err := delivery.Start(ec.replicas, ec.latency, cfg.Logger)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	e := &Estimator{client: &http.Client{Transport: tr, Timeout: ec.timeout}, replicas: svc.URLs()}
	cfg.Steps = append(cfg.Steps, server.Step{Name: "estimate", Run: e.run})
	cfg.Closers = append(cfg.Closers, svc.Close)
	return e, nil
}

// Estimator asks the replicas of the delivery-estimate service.
type Estimator struct {
	client   *http.Client
	replicas []string // their base URLs
}

// ask asks one replica for the user's estimate.
func (e *Estimator) ask(ctx context.Context, replica string, userID int64) (delivery.Estimate, error) {
	url := replica + "/v1/estimate/" + strconv.FormatInt(userID, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return delivery.Estimate{}, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return delivery.Estimate{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return delivery.Estimate{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var est delivery.Estimate
	if err := json.NewDecoder(resp.Body).Decode(&est); err != nil {
		return delivery.Estimate{}, fmt.Errorf("GET %s: %w", url, err)
	}
	return est, nil
}

// hedgeFor is the longest a page's hedge keeps asking the replicas.
const hedgeFor = 500 * time.Millisecond

// answer is one replica's answer.
type answer struct {
	est delivery.Estimate
	err error
}

// Fastest asks every replica at once and returns the first estimate that
// comes back; it fails only when every replica fails.
func (e *Estimator) Fastest(ctx context.Context, userID int64) (delivery.Estimate, error) {
	// Replicas answer within 80 ms, and one in 20 within 300 ms: past
	// hedgeFor none is coming, so the calls still out are let go then, and
	// the channel has room for every answer so that no sender is stuck.
	ctx, cancel := context.WithTimeout(ctx, hedgeFor)
	defer cancel()
	answers := make(chan answer, len(e.replicas))
	for _, r := range e.replicas {
		go func() {
			est, err := e.ask(ctx, r, userID)
			answers <- answer{est, err}
		}()
	}
	var errs []error
	for range e.replicas {
		a := <-answers
		if a.err == nil {
			return a.est, nil
		}
		errs = append(errs, a.err)
	}
	return delivery.Estimate{}, errors.Join(errs...)
}

// run is the step "estimate": the page shows the first estimate, or
// fails with 502 when no replica answers.
func (e *Estimator) run(ctx context.Context, page *server.Page) error {
	est, err := e.Fastest(ctx, page.ID)
	if err != nil {
		return &server.HTTPError{Status: http.StatusBadGateway, Message: "no delivery estimate", Err: err}
	}
	page.Set("delivery", map[string]any{"days": est.Days, "carrier": est.Carrier})
	return nil
}
