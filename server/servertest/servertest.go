// Package servertest starts the users service for a test: on loopback
// ports the kernel picks, with a silent logger, served until the test
// ends. Exercise and kit tests use it to run the real server, with their
// own steps and middleware, without a fixed port.
package servertest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/slowpath/slowpath/server"
)

// Config returns server.DefaultConfig on loopback ports the kernel picks,
// with a silent logger and a table of 1,000 users.
func Config() server.Config {
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.DebugAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Users = 1000
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// Start serves cfg until the test ends, then shuts it down gracefully and
// fails the test if the shutdown reports an error. A connection that a
// client opened and never used holds the shutdown up to 5 s (net/http
// waits that long for its first request): a test that loads the server
// from many goroutines uses a client of its own and closes its idle
// connections before the test ends.
func Start(tb testing.TB, cfg server.Config) *server.App {
	tb.Helper()
	app, err := server.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx) }()
	tb.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			tb.Errorf("server shutdown: %v", err)
		}
	})
	return app
}

// Log is a log destination that the server's goroutines may write to
// while the test reads it: give it to slog.NewTextHandler in a Config's
// Logger, then look for a line in String.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write adds p to the log.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
