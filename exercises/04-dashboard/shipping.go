package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Quote is the shipping service's answer: what it costs to ship an order
// to a country, and how long it takes.
type Quote struct {
	Carrier    string `json:"carrier"`
	Service    string `json:"service"`     // standard or express
	PriceCents int64  `json:"price_cents"` // in Currency's hundredths
	Currency   string `json:"currency"`
	Days       int    `json:"days"` // business days to deliver
}

// ShippingClient asks the shipping service for quotes over HTTP.
type ShippingClient struct {
	base      string // the service's URL, without a trailing slash
	client    *http.Client
	transport *http.Transport
}

// maxShippingConns is how many connections to the shipping service the
// client keeps open between requests. It must exceed the requests in
// flight (100 in the loop): a connection that finds no room in the idle
// pool is closed, and the next request pays for a new one.
const maxShippingConns = 512

// NewShippingClient returns a client of the shipping service at base that
// gives up on a quote after timeout.
func NewShippingClient(base string, timeout time.Duration) (*ShippingClient, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("shipping service URL %q: want http://host:port", base)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("shipping timeout must be positive, got %s", timeout)
	}
	tr := &http.Transport{
		Proxy:                 nil, // the service is reached directly, never through HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          maxShippingConns,
		MaxIdleConnsPerHost:   maxShippingConns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &ShippingClient{
		base:      strings.TrimRight(base, "/"),
		client:    &http.Client{Transport: tr, Timeout: timeout},
		transport: tr,
	}, nil
}

// Quote asks the shipping service what shipping to country costs for a
// customer on plan. A failed call, or an answer other than 200 with a
// quote, is an error that says what the service did.
func (c *ShippingClient) Quote(ctx context.Context, country, plan string) (Quote, error) {
	u := c.base + "/v1/quote?" + url.Values{"country": {country}, "plan": {plan}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Quote{}, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return Quote{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Quote{}, fmt.Errorf("GET %s: %s, body: %w", u, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Quote{}, fmt.Errorf("GET %s: %s: %.200s", u, resp.Status, bytes.TrimSpace(body))
	}
	var q Quote
	if err := json.Unmarshal(body, &q); err != nil {
		return Quote{}, fmt.Errorf("GET %s: bad quote: %w", u, err)
	}
	if q.Carrier == "" || q.Currency == "" {
		return Quote{}, fmt.Errorf("GET %s: incomplete quote %.200s", u, bytes.TrimSpace(body))
	}
	return q, nil
}

// Close closes the connections the client keeps open.
func (c *ShippingClient) Close() { c.transport.CloseIdleConnections() }

// ShippingService is the shipping service the dashboard calls, started in
// the same process on a loopback port when no -shipping-url names another.
// It answers GET /v1/quote?country=CC&plan=P after a delay, as the real
// service does when it asks the carriers for their rates.
type ShippingService struct {
	srv *http.Server
	ln  net.Listener
}

// StartShippingService serves the shipping service on 127.0.0.1, on a port
// the kernel picks, answering every quote after latency.
func StartShippingService(latency time.Duration, log *slog.Logger) (*ShippingService, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("shipping service: %w", err)
	}
	s := &ShippingService{ln: ln, srv: &http.Server{
		Handler:           ShippingHandler(latency),
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
func (s *ShippingService) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the service, letting the quotes in progress finish until
// ctx ends.
func (s *ShippingService) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// ShippingHandler serves GET /v1/quote: the quote of QuoteFor as JSON,
// after latency, or 400 for a country that is not two capital letters.
func ShippingHandler(latency time.Duration) http.Handler {
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

// QuoteFor is the shipping service's price list: a quote from the
// warehouse in the Netherlands to country, express for paying plans.
func QuoteFor(country, plan string) Quote {
	q := Quote{Carrier: "PostNL", Service: "standard", Currency: "EUR", PriceCents: 495, Days: 2}
	switch country {
	case "NL":
	case "DE", "ES", "FR", "SE":
		q.Carrier, q.PriceCents, q.Days = "DHL", 895, 4
	case "GB":
		q.Carrier, q.PriceCents, q.Days = "DPD", 1295, 5
	default:
		q.Carrier, q.PriceCents, q.Days = "UPS", 2495, 8
	}
	if plan != "free" {
		q.Service, q.PriceCents, q.Days = "express", q.PriceCents*2, (q.Days+1)/2
	}
	return q
}
