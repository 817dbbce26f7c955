// Package delivery is the delivery-estimate service that exercise 9's
// pages call: replicas of one service, each a real HTTP server in this
// process on a loopback port of its own, as the same service would run in
// three regions. Every replica gives the same estimate for a user; each
// takes its own time, now fast, now slow, as a replica does when it
// meets a queue or a garbage collection, which is why a caller may ask
// them all and take the first answer.
//
//	svc, err := delivery.Start(3, delivery.DefaultLatency, log)
//	...
//	for _, url := range svc.URLs() {
//		// GET url + "/v1/estimate/42" answers {"user":42,"days":3,"carrier":"..."}
//	}
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Estimate is what every replica answers for a user.
type Estimate struct {
	User    int64  `json:"user"`
	Days    int64  `json:"days"`    // business days until delivery
	Carrier string `json:"carrier"` // who delivers
}

// EstimateOf is the estimate the service gives for a user: a pure
// function of the id, so that a test knows what a page must show.
func EstimateOf(user int64) Estimate {
	x := uint64(user)*0x9e3779b97f4a7c15 + 0x2545f4914f6cdd1d
	x ^= x >> 33
	return Estimate{User: user, Days: 1 + int64(x%5), Carrier: carriers[x>>8%uint64(len(carriers))]}
}

var carriers = []string{"Parcelo", "SwiftBox", "PostNord", "Relais"}

// Latency is how long a replica takes to answer: a time drawn uniformly
// between Min and Max, and, once in SlowEvery answers, Slow instead.
type Latency struct {
	Min, Max  time.Duration
	Slow      time.Duration
	SlowEvery int // 0: never slow
}

// DefaultLatency is the replicas' time: 20 to 80 ms, and 300 ms once in 20
// answers.
var DefaultLatency = Latency{Min: 20 * time.Millisecond, Max: 80 * time.Millisecond, Slow: 300 * time.Millisecond, SlowEvery: 20}

func (l Latency) draw() time.Duration {
	if l.SlowEvery > 0 && rand.IntN(l.SlowEvery) == 0 {
		return l.Slow
	}
	if l.Max <= l.Min {
		return l.Min
	}
	return l.Min + rand.N(l.Max-l.Min)
}

// Service is the replicas, served in this process.
type Service struct {
	srvs []*http.Server
	urls []string
}

// Start serves n replicas on 127.0.0.1, each on a port the kernel picks,
// each answering after a time drawn from latency. Their errors go to log.
func Start(n int, latency Latency, log *slog.Logger) (*Service, error) {
	if n < 1 || latency.Min < 0 || latency.Max < 0 || latency.Slow < 0 || latency.SlowEvery < 0 {
		return nil, fmt.Errorf("delivery service: want at least one replica and latencies ≥ 0")
	}
	s := &Service{}
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Close(context.Background())
			return nil, fmt.Errorf("delivery service: %w", err)
		}
		srv := &http.Server{
			Handler:           handler(latency),
			ReadHeaderTimeout: 5 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		s.srvs = append(s.srvs, srv)
		s.urls = append(s.urls, "http://"+ln.Addr().String())
		go func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				log.Error("delivery replica stopped", "replica", i, "err", err)
			}
		}()
	}
	return s, nil
}

// handler serves GET /v1/estimate/{user} after a time drawn from latency,
// or stops waiting when the caller goes away.
func handler(latency Latency) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/estimate/{user}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
		if err != nil || id < 1 {
			http.Error(w, `{"error":"want a positive user id"}`, http.StatusBadRequest)
			return
		}
		t := time.NewTimer(latency.draw())
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(EstimateOf(id))
	})
	return mux
}

// URLs are the replicas' base URLs, e.g. http://127.0.0.1:41234.
func (s *Service) URLs() []string { return s.urls }

// Close stops every replica, letting the answers in progress finish until
// ctx ends.
func (s *Service) Close(ctx context.Context) error {
	var errs []error
	for _, srv := range s.srvs {
		errs = append(errs, srv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
