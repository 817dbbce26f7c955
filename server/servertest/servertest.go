// Package servertest starts the users service for a test: on loopback
// ports the kernel picks, with a silent logger, served until the test
// ends. Exercise and kit tests use it to run the real server, with their
// own steps and middleware, without a fixed port.
package servertest

import (
	"context"
	"io"
	"log/slog"
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
// fails the test if the shutdown reports an error.
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
