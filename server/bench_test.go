package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"runtime/trace"
	"testing"
	"time"
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

// BenchmarkInstruments measures, one at a time, what the handler adds to
// every request so that the tools can see it: the request's trace task,
// a step (its pprof labels set and reset, its trace region, its time
// recorded), the timing headers, and the JSON rendering of a page. With
// no trace running, the task and regions cost little; the benchmark says
// how little on this machine.
func BenchmarkInstruments(b *testing.B) {
	ctx := context.Background()
	uh := &usersHandler{labelled: map[string]context.Context{}, sets: map[string]pprof.LabelSet{}}
	uh.labelled["db"] = pprof.WithLabels(ctx, pprof.Labels("route", Route, "step", "db"))
	b.Run("task", func(b *testing.B) {
		for b.Loop() {
			_, task := trace.NewTask(ctx, Route)
			task.End()
		}
	})
	b.Run("step", func(b *testing.B) {
		t := timer{start: time.Now()}
		for b.Loop() {
			t.n = 0
			uh.runStep(ctx, &t, "db", func(context.Context) error { return nil })
		}
	})
	b.Run("headers", func(b *testing.B) {
		t := timer{start: time.Now()}
		for _, s := range []string{"parse", "db", "render"} {
			t.add(s, 123*time.Microsecond)
		}
		hdr := http.Header{}
		for b.Loop() {
			t.setHeaders(hdr)
		}
	})
	b.Run("render", func(b *testing.B) {
		page := Page{User: SeedUser(42)}
		for b.Loop() {
			if _, err := json.Marshal(&page); err != nil {
				b.Fatal(err)
			}
		}
	})
}
