package loyalty_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server/loyalty"
)

func start(t *testing.T) *loyalty.Service {
	t.Helper()
	svc, err := loyalty.Start(0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

// TestServiceCountsConnections: a client that keeps its connection makes
// one connection for many requests; a client per request, one each. The
// service counts both, and answers each user's balance over HTTPS.
func TestServiceCountsConnections(t *testing.T) {
	svc := start(t)
	get := func(c *http.Client, id string) loyalty.Balance {
		t.Helper()
		resp, err := c.Get(svc.URL() + "/v1/points/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b loyalty.Balance
		if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /v1/points/%s: %d, %v", id, resp.StatusCode, err)
		}
		return b
	}
	kept := &http.Transport{TLSClientConfig: svc.ClientTLS()}
	defer kept.CloseIdleConnections()
	for range 10 {
		if b := get(&http.Client{Transport: kept}, "42"); b.User != 42 || b.Points != loyalty.PointsOf(42) || time.Since(b.AsOf) > time.Minute {
			t.Fatalf("balance of 42: %+v", b)
		}
	}
	if svc.Conns() != 1 || svc.Requests() != 10 {
		t.Errorf("10 requests on a kept connection: the service counts %d connections and %d requests, want 1 and 10", svc.Conns(), svc.Requests())
	}
	for range 5 {
		tr := &http.Transport{TLSClientConfig: svc.ClientTLS()}
		get(&http.Client{Transport: tr}, "7")
		tr.CloseIdleConnections()
	}
	if svc.Conns() != 6 {
		t.Errorf("5 more requests, a client each: %d connections, want 6", svc.Conns())
	}
	m := map[string]float64{}
	for _, metric := range svc.Metrics() {
		m[metric.Name] = metric.Value()
	}
	if m["downstream_conns_total"] != 6 || m["downstream_requests_total"] != 15 {
		t.Errorf("metrics %v, want 6 connections and 15 requests", m)
	}
}

// TestServiceRefusesBadIDsAndStrangers: a bad id is a 400; a client that
// does not trust the service's certificate cannot connect.
func TestServiceRefusesBadIDsAndStrangers(t *testing.T) {
	svc := start(t)
	tr := &http.Transport{TLSClientConfig: svc.ClientTLS()}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(svc.URL() + "/v1/points/abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET /v1/points/abc: %d, want 400", resp.StatusCode)
	}
	if _, err := http.Get(svc.URL() + "/v1/points/1"); err == nil {
		t.Errorf("a client with the system's roots reached the service: its certificate should be its own")
	}
}
