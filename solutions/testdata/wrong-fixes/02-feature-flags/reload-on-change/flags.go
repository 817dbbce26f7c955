package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/flagfile"
)

// loadFlags reads the flags file at path and parses it. flagfile.Parse
// checks it too: unique keys, percentages from 0 to 100, rules that name
// a known segment.
func loadFlags(path string) (*flagfile.Flags, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("feature flags: %w", err)
	}
	f, err := flagfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("feature flags %s: %w", path, err)
	}
	return f, nil
}

// setupFlags makes the pages follow the flags file at path: it writes the
// shipped defaults there if no file exists, adds withFlags to the
// middleware, and adds the step "flags", which puts the user's flags on
// the page under "flags".
func setupFlags(cfg *server.Config, path string) error {
	if err := flagfile.WriteDefaults(path, cfg.Logger); err != nil {
		return err
	}
	cfg.Middleware = append(cfg.Middleware, withFlags(path))
	cfg.Steps = append(cfg.Steps, server.Step{Name: "flags", Run: func(ctx context.Context, p *server.Page) error {
		req, ok := ctx.Value(flagsKey{}).(requestFlags)
		if !ok {
			return errors.New("feature flags: the request did not pass through withFlags")
		}
		if req.err != nil {
			return &server.HTTPError{Status: http.StatusServiceUnavailable, Message: "feature flags are unavailable", Err: req.err}
		}
		p.Set("flags", req.flags.Evaluate(p.User))
		return nil
	}})
	return nil
}

// withFlags gives every request, in its context, the flags of the file at
// path, or why they could not be loaded, for the step "flags" to evaluate
// once the user is known. The file is the source of truth: ops edit it
// while the service runs, and the pages must follow an edit within
// seconds, without a restart. It is read again only when it changed: a
// stat per request, where reading and parsing it cost far more.
func withFlags(path string) func(http.Handler) http.Handler {
	var cache flagsCache
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			flags, err := cache.get(path)
			ctx := context.WithValue(r.Context(), flagsKey{}, requestFlags{flags: flags, err: err})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// flagsCache keeps the flags file as last read, with its modification
// time and size, to read it again only when they change. It is safe for
// concurrent use.
type flagsCache struct {
	mu    sync.Mutex
	mod   time.Time
	size  int64
	flags *flagfile.Flags
	err   error
}

// get returns the flags of the file at path, or why they could not be
// loaded, reading the file again when it changed since the last read.
func (c *flagsCache) get(path string) (*flagfile.Flags, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("feature flags: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flags == nil && c.err == nil || !fi.ModTime().Equal(c.mod) || fi.Size() != c.size {
		c.flags, c.err = loadFlags(path)
		c.mod, c.size = fi.ModTime(), fi.Size()
	}
	return c.flags, c.err
}

// flagsKey is the context key of a request's requestFlags.
type flagsKey struct{}

// requestFlags is what withFlags leaves in a request's context: the
// flags, or why they could not be loaded.
type requestFlags struct {
	flags *flagfile.Flags
	err   error
}
