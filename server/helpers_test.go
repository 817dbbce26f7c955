package server

import (
	"context"
	"testing"
)

// testConfig is DefaultConfig on loopback ports the kernel picks, with a
// small table and a silent logger, changed by each of edits.
func testConfig(edits ...func(*Config)) Config {
	cfg := DefaultConfig()
	cfg.Addr, cfg.DebugAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Users = 1000
	cfg.Logger = discardLogger
	for _, e := range edits {
		e(&cfg)
	}
	return cfg
}

// newTestApp starts an App made from testConfig(edits...), serves it until
// the test ends, and shuts it down then, failing the test if the shutdown
// reports an error.
func newTestApp(tb testing.TB, edits ...func(*Config)) *App {
	tb.Helper()
	app, err := New(context.Background(), testConfig(edits...))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Serve: %v", err)
		}
	})
	return app
}
