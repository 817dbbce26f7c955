package shipping

import (
	"context"
	"flag"
	"log/slog"
	"time"
)

// Config says which shipping service to ask, and how long to wait.
type Config struct {
	URL     string        // the service's base URL; empty starts one in this process
	Latency time.Duration // the in-process service's time per quote
	Timeout time.Duration // how long a quote may take
}

// DefaultConfig returns the configuration the flags start from: a service
// in this process that quotes in 20 ms, and a timeout of 2 s.
func DefaultConfig() Config {
	return Config{Latency: 20 * time.Millisecond, Timeout: 2 * time.Second}
}

// RegisterFlags defines a flag for every field of c on fs, with c's values
// as defaults. Parsing fs then fills c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.URL, "shipping-url", c.URL, "base `URL` of the shipping service (default: one started in this process)")
	fs.DurationVar(&c.Latency, "shipping-latency", c.Latency, "how long the in-process shipping service takes to quote")
	fs.DurationVar(&c.Timeout, "shipping-timeout", c.Timeout, "how long a shipping quote may take before the page fails")
}

// Connect returns a client of the shipping service at cfg.URL. When
// cfg.URL is empty, it first starts one in this process (Start, with
// cfg.Latency, logging to log), which the client's Close stops.
func Connect(cfg Config, log *slog.Logger) (*Client, error) {
	if cfg.URL != "" {
		return NewClient(cfg.URL, cfg.Timeout)
	}
	svc, err := Start(cfg.Latency, log)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(svc.URL(), cfg.Timeout)
	if err != nil {
		svc.Close(context.Background())
		return nil, err
	}
	c.svc = svc
	return c, nil
}
