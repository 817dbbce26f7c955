package shipping

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Service is the shipping service, served in this process on a loopback
// port. It answers GET /v1/quote?country=CC&plan=P after a delay, as the
// real service does when it asks the carriers for their rates.
type Service struct {
	srv *http.Server
	ln  net.Listener
}

// Start serves the shipping service on 127.0.0.1, on a port the kernel
// picks, answering every quote after latency. Its errors go to log.
func Start(latency time.Duration, log *slog.Logger) (*Service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("shipping service: %w", err)
	}
	s := &Service{ln: ln, srv: &http.Server{
		Handler:           Handler(latency),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
	go func() {
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("shipping service stopped", "err", err)
		}
	}()
	return s, nil
}

// URL is the service's base URL, e.g. http://127.0.0.1:41234.
func (s *Service) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the service, letting the quotes in progress finish until
// ctx ends.
func (s *Service) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Handler serves GET /v1/quote: the quote of QuoteFor as JSON, after
// latency, or 400 for a country that is not two capital letters.
func Handler(latency time.Duration) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/quote", func(w http.ResponseWriter, r *http.Request) {
		country, plan := r.URL.Query().Get("country"), r.URL.Query().Get("plan")
		if len(country) != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' || country[1] > 'Z' {
			http.Error(w, `{"error": "country must be an ISO 3166 code such as DE"}`, http.StatusBadRequest)
			return
		}
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done(): // the caller gave up
			return
		}
		body, _ := json.Marshal(QuoteFor(country, plan)) // a struct of strings and numbers always marshals
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	return mux
}
