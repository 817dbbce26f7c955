package shipping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client asks the shipping service for quotes over HTTP. Its methods may
// be called from many goroutines.
type Client struct {
	base      string // the service's URL, without a trailing slash
	client    *http.Client
	transport *http.Transport
	svc       *Service // the service Connect started, stopped by Close; nil for another
}

// maxConns is how many connections to the shipping service the client
// keeps open between requests. It must exceed the requests in flight (100
// in the loop): a connection that finds no room in the idle pool is
// closed, and the next request pays for a new one.
const maxConns = 512

// NewClient returns a client of the shipping service at base that gives
// up on a quote after timeout.
func NewClient(base string, timeout time.Duration) (*Client, error) {
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
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &Client{
		base:      strings.TrimRight(base, "/"),
		client:    &http.Client{Transport: tr, Timeout: timeout},
		transport: tr,
	}, nil
}

// Quote asks the shipping service what shipping to country costs for a
// customer on plan. A failed call, or an answer other than 200 with a
// quote, is an error that says what the service did.
func (c *Client) Quote(ctx context.Context, country, plan string) (Quote, error) {
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

// Close closes the connections the client keeps open, then stops the
// service that Connect started, if it did, letting the quotes in progress
// finish until ctx ends.
func (c *Client) Close(ctx context.Context) error {
	c.transport.CloseIdleConnections()
	if c.svc != nil {
		return c.svc.Close(ctx)
	}
	return nil
}
