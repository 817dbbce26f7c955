package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkUsersHandler measures one GET /users/{id} through the app's
// handler chain, without the network: the cost the service adds per
// request on top of net/http.
func BenchmarkUsersHandler(b *testing.B) {
	app := newTestApp(b)
	h := app.appSrv.Handler
	req := httptest.NewRequest(http.MethodGet, "/users/42", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkStoreUser measures the database lookup alone.
func BenchmarkStoreUser(b *testing.B) {
	app := newTestApp(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := app.Store().User(ctx, 42); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
