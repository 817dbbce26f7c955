package shipping_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server/shipping"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestQuoteFor(t *testing.T) {
	for _, tc := range []struct {
		country, plan string
		want          shipping.Quote
	}{
		{"NL", "free", shipping.Quote{Carrier: "PostNL", Service: "standard", PriceCents: 495, Currency: "EUR", Days: 2}},
		{"NL", "pro", shipping.Quote{Carrier: "PostNL", Service: "express", PriceCents: 990, Currency: "EUR", Days: 1}},
		{"DE", "free", shipping.Quote{Carrier: "DHL", Service: "standard", PriceCents: 895, Currency: "EUR", Days: 4}},
		{"SE", "team", shipping.Quote{Carrier: "DHL", Service: "express", PriceCents: 1790, Currency: "EUR", Days: 2}},
		{"GB", "enterprise", shipping.Quote{Carrier: "DPD", Service: "express", PriceCents: 2590, Currency: "EUR", Days: 3}},
		{"CA", "free", shipping.Quote{Carrier: "UPS", Service: "standard", PriceCents: 2495, Currency: "EUR", Days: 8}},
		{"US", "pro", shipping.Quote{Carrier: "UPS", Service: "express", PriceCents: 4990, Currency: "EUR", Days: 4}},
	} {
		if got := shipping.QuoteFor(tc.country, tc.plan); got != tc.want {
			t.Errorf("QuoteFor(%q, %q) = %+v, want %+v", tc.country, tc.plan, got, tc.want)
		}
	}
}

// get sends a GET to url and returns the status, Content-Type and body.
func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), strings.TrimSpace(string(body))
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(shipping.Handler(0))
	defer srv.Close()
	status, ctype, body := get(t, srv.URL+"/v1/quote?country=NL&plan=pro")
	if want := `{"carrier":"PostNL","service":"express","price_cents":990,"currency":"EUR","days":1}`; status != 200 || ctype != "application/json" || body != want {
		t.Errorf("GET /v1/quote?country=NL&plan=pro: %d %s %s, want 200 application/json %s", status, ctype, body, want)
	}
	for _, country := range []string{"", "de", "DEU", "D1"} {
		status, _, body := get(t, srv.URL+"/v1/quote?plan=free&country="+country)
		if want := `{"error": "country must be an ISO 3166 code such as DE"}`; status != 400 || body != want {
			t.Errorf("country %q: %d %s, want 400 %s", country, status, body, want)
		}
	}
	resp, err := http.Post(srv.URL+"/v1/quote?country=NL", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /v1/quote: %s, want 405", resp.Status)
	}
}

// TestServiceQuotesAfterItsLatency: the service started in process answers
// on loopback, after its latency, until it is closed.
func TestServiceQuotesAfterItsLatency(t *testing.T) {
	const latency = 30 * time.Millisecond
	svc, err := shipping.Start(latency, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(svc.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %s, want http://127.0.0.1:port", svc.URL())
	}
	c, err := shipping.NewClient(svc.URL(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	q, err := c.Quote(context.Background(), "CA", "free")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < latency {
		t.Errorf("a quote took %s, want at least the service's latency, %s", d, latency)
	}
	if want := shipping.QuoteFor("CA", "free"); q != want {
		t.Errorf("quote %+v, want %+v", q, want)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if err := svc.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := c.Quote(context.Background(), "CA", "free"); err == nil {
		t.Error("the service answered after Close")
	}
}

// TestServiceStopsWhenTheCallerGivesUp: a caller that gives up frees the
// service's handler, which then lets the service close at once.
func TestServiceStopsWhenTheCallerGivesUp(t *testing.T) {
	svc, err := shipping.Start(time.Minute, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c, err := shipping.NewClient(svc.URL(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Quote(ctx, "CA", "free"); err == nil {
		t.Fatal("a quote of a minute came within 50 ms")
	}
	c.Close(context.Background())
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := svc.Close(sctx); err != nil {
		t.Errorf("the service's handler was still waiting after its caller gave up: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "carrier rates unavailable", http.StatusInternalServerError)
	}))
	defer failing.Close()
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"carrier": `)
	}))
	defer garbled.Close()
	incomplete := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"service": "standard", "price_cents": 495}`)
	}))
	defer incomplete.Close()
	slow := httptest.NewServer(shipping.Handler(10 * time.Second))
	defer slow.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now

	for _, tc := range []struct {
		name, url, country, cause string
		timeout                   time.Duration
	}{
		{"answers 500", failing.URL, "DE", "500 Internal Server Error: carrier rates unavailable", time.Second},
		{"answers 400", slow.URL, "de", "400 Bad Request", time.Second},
		{"answers garbage", garbled.URL, "DE", "bad quote", time.Second},
		{"answers half a quote", incomplete.URL, "DE", "incomplete quote", time.Second},
		{"port closed", closed, "DE", "connection refused", time.Second},
		{"too slow", slow.URL, "DE", "Client.Timeout", 100 * time.Millisecond},
	} {
		c, err := shipping.NewClient(tc.url+"/", tc.timeout) // the trailing slash is dropped
		if err != nil {
			t.Fatal(err)
		}
		q, err := c.Quote(context.Background(), tc.country, "free")
		if err == nil || !strings.Contains(err.Error(), tc.cause) || !strings.Contains(err.Error(), tc.url+"/v1/quote?country="+tc.country) {
			t.Errorf("%s: quote %+v, error %v; want an error that names the request and says %q", tc.name, q, err, tc.cause)
		}
		c.Close(context.Background())
	}
}

func TestNewClientRejects(t *testing.T) {
	for _, u := range []string{"localhost:9999", "ftp://example.com", "http://", "://"} {
		if _, err := shipping.NewClient(u, time.Second); err == nil {
			t.Errorf("NewClient(%q) accepted it", u)
		}
	}
	if _, err := shipping.NewClient("http://127.0.0.1:1", 0); err == nil {
		t.Error("NewClient accepted a timeout of 0")
	}
}

// TestConnect: with no URL, Connect starts a service that the client's
// Close stops; with one, it asks that service and leaves it running.
func TestConnect(t *testing.T) {
	cfg := shipping.DefaultConfig()
	if cfg.URL != "" || cfg.Latency != 20*time.Millisecond || cfg.Timeout != 2*time.Second {
		t.Errorf("DefaultConfig() = %+v, want an in-process service of 20ms and a timeout of 2s", cfg)
	}
	cfg.Latency = time.Millisecond
	c, err := shipping.Connect(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := c.Quote(context.Background(), "GB", "pro"); err != nil || q != shipping.QuoteFor("GB", "pro") {
		t.Errorf("in-process service: quote %+v, %v", q, err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := c.Quote(context.Background(), "GB", "pro"); err == nil {
		t.Error("the in-process service still answers after the client's Close")
	}

	var asked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		shipping.Handler(0).ServeHTTP(w, r)
	}))
	defer other.Close()
	cfg.URL = other.URL
	if c, err = shipping.Connect(cfg, quiet); err != nil {
		t.Fatal(err)
	}
	if q, err := c.Quote(context.Background(), "NL", "free"); err != nil || q != shipping.QuoteFor("NL", "free") || asked.Load() != 1 {
		t.Errorf("service at -shipping-url: quote %+v, %v, %d requests", q, err, asked.Load())
	}
	if err := c.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if status, _, _ := get(t, other.URL+"/v1/quote?country=NL"); status != 200 {
		t.Errorf("the client's Close stopped a service it did not start: %d", status)
	}

	cfg.URL = "localhost:9999"
	if _, err := shipping.Connect(cfg, quiet); err == nil {
		t.Error("Connect accepted the URL localhost:9999")
	}
}
