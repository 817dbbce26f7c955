package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/delivery"
	"github.com/slowpath/slowpath/server/servertest"
)

// startEstimate serves the program as main sets it up, from the flags
// args on top of the defaults.
func startEstimate(t *testing.T, args ...string) (string, *servertest.Log) {
	t.Helper()
	fs := flag.NewFlagSet("delivery-estimate", flag.ContinueOnError)
	var ec estimateConfig
	ec.registerFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	logs := &servertest.Log{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if _, err := setup(&cfg, ec); err != nil {
		t.Fatal(err)
	}
	app := servertest.Start(t, cfg)
	return "http://" + app.Addr().String(), logs
}

// TestPagesShowTheEstimate: each page shows the estimate the service
// gives for its user, after the user's own fields.
func TestPagesShowTheEstimate(t *testing.T) {
	base, _ := startEstimate(t, "-replica-min", "1ms", "-replica-max", "3ms")
	for _, id := range []int64{1, 2, 42, 999} {
		resp, err := http.Get(fmt.Sprintf("%s/users/%d", base, id))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var page struct {
			server.User
			Extras struct {
				Delivery struct {
					Days    int64  `json:"days"`
					Carrier string `json:"carrier"`
				} `json:"delivery"`
			} `json:"extras"`
		}
		if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /users/%d: %d %v %s", id, resp.StatusCode, err, body)
		}
		want := delivery.EstimateOf(id)
		if page.User != server.SeedUser(id) || page.Extras.Delivery.Days != want.Days || page.Extras.Delivery.Carrier != want.Carrier {
			t.Errorf("GET /users/%d: %s, want the user's fields and %+v", id, body, want)
		}
	}
}

// TestFirstAnswerWins: with two replicas that take seconds and one that
// answers at once, an estimate comes back long before the slow ones
// answer.
func TestFirstAnswerWins(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	slow, err := delivery.Start(2, delivery.Latency{Min: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := delivery.Start(1, delivery.Latency{Min: time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		slow.Close(ctx)
		fast.Close(ctx)
	})
	e := &Estimator{client: &http.Client{Timeout: 10 * time.Second}, replicas: append(slow.URLs(), fast.URLs()...)}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	est, err := e.Fastest(ctx, 42)
	took := time.Since(start)
	cancel() // as the request's end does: the slow replicas need not answer
	if err != nil || est != delivery.EstimateOf(42) {
		t.Fatalf("Fastest(42) = %+v, %v; want %+v", est, err, delivery.EstimateOf(42))
	}
	if took > time.Second {
		t.Errorf("Fastest took %s with one replica answering in 1 ms: it waited for the slow replicas (5 s)", took)
	}
}

// TestNoReplicaAnswersIsABadGateway: when no replica answers in time, a
// page is a 502 with a JSON error, and the log says why.
func TestNoReplicaAnswersIsABadGateway(t *testing.T) {
	base, logs := startEstimate(t, "-replica-min", "5s", "-replica-max", "5s", "-estimate-timeout", "50ms")
	resp, err := http.Get(base + "/users/42")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(string(body), `{"error":"no delivery estimate"`) {
		t.Errorf("GET /users/42 with every replica too slow: %d %s, want 502 with a JSON error", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "Timeout") && !strings.Contains(logs.String(), "deadline") {
		t.Errorf("the log does not say what failed:\n%s", logs)
	}
}
