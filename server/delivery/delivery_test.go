package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server/delivery"
)

// TestReplicasAgree: every replica answers the same estimate for a user,
// and a bad id with a 400.
func TestReplicasAgree(t *testing.T) {
	svc, err := delivery.Start(3, delivery.Latency{Min: time.Millisecond, Max: 2 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	if len(svc.URLs()) != 3 {
		t.Fatalf("%d replicas, want 3", len(svc.URLs()))
	}
	seen := map[string]bool{}
	for _, u := range svc.URLs() {
		seen[u] = true
		for _, id := range []string{"1", "42"} {
			resp, err := http.Get(u + "/v1/estimate/" + id)
			if err != nil {
				t.Fatal(err)
			}
			var e delivery.Estimate
			err = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			want := delivery.EstimateOf(map[string]int64{"1": 1, "42": 42}[id])
			if err != nil || e != want || e.Days < 1 || e.Days > 5 || e.Carrier == "" {
				t.Errorf("%s/v1/estimate/%s: %+v, %v; want %+v", u, id, e, err, want)
			}
		}
		resp, err := http.Get(u + "/v1/estimate/0")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s/v1/estimate/0: %d, want 400", u, resp.StatusCode)
		}
	}
	if len(seen) != 3 {
		t.Errorf("replicas share an address: %v", svc.URLs())
	}
}

// TestSlowAnswersAreSlow: with every answer slow, a replica takes the slow
// time, and stops waiting when its caller goes away.
func TestSlowAnswersAreSlow(t *testing.T) {
	svc, err := delivery.Start(1, delivery.Latency{Slow: time.Hour, SlowEvery: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, svc.URLs()[0]+"/v1/estimate/1", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("an answer slowed by an hour came within 100 ms: %s", resp.Status)
	}
}

// TestStartRefuses: no replica, or a negative latency, is an error.
func TestStartRefuses(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := delivery.Start(0, delivery.DefaultLatency, log); err == nil {
		t.Error("Start with no replica")
	}
	if _, err := delivery.Start(1, delivery.Latency{Min: -time.Second}, log); err == nil {
		t.Error("Start with a negative latency")
	}
}
