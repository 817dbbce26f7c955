package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Open-loop load: requests arrive at a constant rate, whether or not the
// server has answered the ones before, as a population of users sends
// them. A closed-loop client (go tool hey, CheckBodies) sends a
// connection's next request only once its last is answered, so while the
// server stalls it stops sending, and the stall yields a handful of slow
// samples instead of the hundreds of requests that arrived meanwhile: its
// percentiles hide the stall (coordinated omission). OpenLoop counts
// every request from the moment it was due, so a request that waited for
// a free slot, or in the server's queue, is as slow as its user saw it.
//
// The pacing loop is the kit's own, a few lines on top of
// github.com/HdrHistogram/hdrhistogram-go for the percentiles: vegeta's
// pacers are right, but its latencies run from the actual send, so the
// queue behind a stalled server would need correcting afterwards.

// OpenLoopOptions says how OpenLoop loads a server.
type OpenLoopOptions struct {
	BaseURL  string        // e.g. http://127.0.0.1:8080
	Mix      Mix           // the ids asked for; the zero Mix means StandardMix
	Rate     float64       // requests per second, constant
	Duration time.Duration // how long requests keep arriving
	// MaxInFlight bounds the requests waiting for an answer at once (0:
	// 10,000). A request due while all are taken waits for one, and that
	// wait counts in its latency.
	MaxInFlight int
	Client      *http.Client // nil: a client of its own, a connection per request in flight
}

// OpenLoopReport is what an open-loop load measured. Latencies are in
// seconds, each counted from the moment its request was due.
type OpenLoopReport struct {
	Mix      string   `json:"mix"`
	Rate     float64  `json:"rate"`     // the arrival rate asked for, per second
	Seconds  float64  `json:"seconds"`  // how long requests were sent
	Intended int      `json:"intended"` // requests due in that time: Rate × Duration
	Sent     int      `json:"sent"`     // requests sent
	Answered int      `json:"answered"` // requests that got an answer
	Wrong    int      `json:"wrong"`    // answers with a wrong status, header or body
	Errors   int      `json:"errors"`   // requests that got no answer
	Examples []string `json:"examples,omitempty"`
	// MaxLag is the longest a request waited past its due time before it
	// was sent: the generator's own delay (a full MaxInFlight, or a
	// machine too busy to send on time).
	MaxLag float64 `json:"max_lag"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p999"`
	Max    float64 `json:"max"`
}

// Behind reports whether the generator failed to send what was due: it
// sent less than 97% of the requests, or one left more than 100 ms late.
func (r OpenLoopReport) Behind() bool {
	return float64(r.Sent) < 0.97*float64(r.Intended) || r.MaxLag > 0.1
}

// OpenLoop sends GET /users/{id} at opt.Rate for opt.Duration, ids drawn
// from opt.Mix, checks every answer as CheckBodies does, and waits for the
// answers of the requests it sent (each bounded by the client's timeout)
// before it reports.
func OpenLoop(ctx context.Context, opt OpenLoopOptions) (OpenLoopReport, error) {
	if opt.Mix == (Mix{}) {
		opt.Mix = StandardMix()
	}
	if err := opt.Mix.Valid(); err != nil {
		return OpenLoopReport{}, err
	}
	if opt.Rate <= 0 || opt.Duration <= 0 {
		return OpenLoopReport{}, fmt.Errorf("open loop: want a positive rate and duration, got %v/s for %s", opt.Rate, opt.Duration)
	}
	if opt.MaxInFlight <= 0 {
		opt.MaxInFlight = 10000
	}
	client := opt.Client
	if client == nil {
		client = &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: opt.MaxInFlight, MaxIdleConns: opt.MaxInFlight, IdleConnTimeout: 30 * time.Second},
		}
		defer client.CloseIdleConnections()
	}

	rep := OpenLoopReport{Mix: opt.Mix.String(), Rate: opt.Rate}
	hist := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3) // µs, up to a minute, 3 significant digits
	var mu sync.Mutex                                                   // guards hist and rep's counts below
	record := func(due time.Time, problem string, transport bool) {
		lat := time.Since(due)
		mu.Lock()
		defer mu.Unlock()
		hist.RecordValue(max(1, lat.Microseconds()))
		switch {
		case transport:
			rep.Errors++
		case problem != "":
			rep.Wrong++
			rep.Answered++
		default:
			rep.Answered++
		}
		if problem != "" && len(rep.Examples) < maxExamples {
			rep.Examples = append(rep.Examples, problem)
		}
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	slots := make(chan struct{}, opt.MaxInFlight)
	interval := time.Duration(float64(time.Second) / opt.Rate)
	start := time.Now()
	rep.Intended = int(opt.Rate * opt.Duration.Seconds())
	var wg sync.WaitGroup
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lag time.Duration
send:
	for i := 0; i < rep.Intended; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break send
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break send
		}
		lag = max(lag, time.Since(due))
		id, known := opt.Mix.Pick(rng)
		rep.Sent++
		wg.Go(func() {
			defer func() { <-slots }()
			_, _, problem, transport := checkOne(ctx, client, opt.BaseURL, id, known)
			record(due, problem, transport)
		})
	}
	// The requests were due over the whole Duration, and a generator that
	// fell behind sent its last ones later; a load cut short lasted until
	// it was cut.
	rep.Seconds = time.Since(start).Seconds()
	if ctx.Err() == nil {
		rep.Seconds = max(rep.Seconds, opt.Duration.Seconds())
	}
	wg.Wait()
	rep.MaxLag = lag.Seconds()
	q := func(p float64) float64 { return float64(hist.ValueAtQuantile(p)) / 1e6 }
	rep.P50, rep.P90, rep.P99, rep.P999 = q(50), q(90), q(99), q(99.9)
	rep.Max = float64(hist.Max()) / 1e6
	return rep, ctx.Err()
}
