// Package pricing is the pricing service of exercise 5, served in the
// program's own process on a loopback port, as a real downstream is
// across the network: GET /v1/prices answers the whole price list after a
// delay (the service assembles it from its database), and the list
// changes as the pricing team edits it.
//
// The exercise and its solution share it: their difference is in how the
// service's list is kept, never in the service.
package pricing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// List is the price list: a version that grows with every edit, when it
// was published, and the monthly price of each plan in cents.
type List struct {
	Version   int64            `json:"version"`
	Published time.Time        `json:"published"`
	Plans     map[string]int64 `json:"plans"`
}

// Plans are the plans of the seeded users (server.SeedUser).
var Plans = []string{"free", "pro", "team", "enterprise"}

// ListAt is the list as the pricing team has it at version v: each plan's
// price moves a little with every edit.
func ListAt(v int64, published time.Time) List {
	l := List{Version: v, Published: published.UTC(), Plans: map[string]int64{}}
	for i, p := range Plans {
		l.Plans[p] = int64(i)*1000 + v%100
	}
	return l
}

// Service is the pricing service on a loopback port.
type Service struct {
	srv     *http.Server
	ln      net.Listener
	fetches atomic.Int64
}

// Start serves the pricing service on 127.0.0.1, on a port the kernel
// picks. It answers every list after latency, and the pricing team edits
// the list every editEvery (the version is the edits since start).
func Start(latency, editEvery time.Duration, log *slog.Logger) (*Service, error) {
	if latency < 0 || editEvery <= 0 {
		return nil, fmt.Errorf("pricing service: want a latency ≥ 0 and a positive edit interval, got %s and %s", latency, editEvery)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pricing service: %w", err)
	}
	s := &Service{ln: ln}
	start := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/prices", func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done(): // the caller gave up
			return
		}
		edits := int64(time.Since(start) / editEvery)
		body, _ := json.Marshal(ListAt(edits+1, start.Add(time.Duration(edits)*editEvery))) // strings and numbers always marshal
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("pricing service stopped", "err", err)
		}
	}()
	return s, nil
}

// URL is the service's base URL, e.g. http://127.0.0.1:41234.
func (s *Service) URL() string { return "http://" + s.ln.Addr().String() }

// Fetches is how many times the list was asked for.
func (s *Service) Fetches() int64 { return s.fetches.Load() }

// Close stops the service, letting the answers in progress finish until
// ctx ends.
func (s *Service) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Fetch asks the service at base for its list.
func Fetch(ctx context.Context, client *http.Client, base string) (List, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/prices", nil)
	if err != nil {
		return List{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return List{}, fmt.Errorf("pricing service: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return List{}, fmt.Errorf("pricing service: status %d", resp.StatusCode)
	}
	var l List
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		return List{}, fmt.Errorf("pricing service: %w", err)
	}
	if l.Version < 1 || len(l.Plans) == 0 {
		return List{}, fmt.Errorf("pricing service: an empty list (version %d)", l.Version)
	}
	return l, nil
}
