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
	"sync"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/loyalty"
	"github.com/slowpath/slowpath/server/servertest"
)

// startPoints serves the program as main sets it up, from the flags args
// on top of the defaults, and returns its base URL and its log.
func startPoints(t *testing.T, args ...string) (string, *Points, *servertest.Log) {
	t.Helper()
	fs := flag.NewFlagSet("loyalty-points", flag.ContinueOnError)
	var lc loyaltyConfig
	lc.registerFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	logs := &servertest.Log{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	p, err := setup(&cfg, lc)
	if err != nil {
		t.Fatal(err)
	}
	app := servertest.Start(t, cfg)
	return "http://" + app.Addr().String(), p, logs
}

// get asks for a user's page and returns its status and body.
func get(t *testing.T, base string, id int64) (int, []byte) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/users/%d", base, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestPagesShowTheBalance: each page shows the points the loyalty
// service holds for its user, after the user's own fields.
func TestPagesShowTheBalance(t *testing.T) {
	base, _, _ := startPoints(t)
	for _, id := range []int64{1, 2, 42, 999, 1000} {
		status, body := get(t, base, id)
		if status != http.StatusOK {
			t.Fatalf("GET /users/%d: %d %s", id, status, body)
		}
		var page struct {
			server.User
			Extras struct {
				Loyalty struct {
					Points *int64    `json:"points"`
					AsOf   time.Time `json:"as_of"`
				} `json:"loyalty"`
			} `json:"extras"`
		}
		asked := time.Now()
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("GET /users/%d: %v in %s", id, err, body)
		}
		if page.User != server.SeedUser(id) {
			t.Errorf("GET /users/%d: user %+v, want %+v", id, page.User, server.SeedUser(id))
		}
		if p := page.Extras.Loyalty.Points; p == nil || *p != loyalty.PointsOf(id) {
			t.Errorf("GET /users/%d: extras %s, want %d points", id, body, loyalty.PointsOf(id))
		}
		if age := asked.Sub(page.Extras.Loyalty.AsOf); age < 0 || age > time.Second {
			t.Errorf("GET /users/%d: the balance is as of %s, %s before the page was read: want the loyalty service's answer to this request", id, page.Extras.Loyalty.AsOf, age)
		}
	}
	if status, body := get(t, base, 1001); status != http.StatusNotFound {
		t.Errorf("GET /users/1001, past the seeded users: %d %s, want 404", status, body)
	}
}

// TestManyPagesAtOnce: pages asked for at once, from many goroutines,
// each show their own user's balance.
//
// It judges whose balance a page shows, not how soon: inFlight pages at a
// time are enough for them to share whatever a program shares between its
// pages, and for the race detector to see it. A client that opens a new
// connection for each call (the exercise as shipped) pays a TCP and a TLS
// handshake for nearly every page, and a few hundred of those at once,
// under the race detector on a busy machine, outlast the default
// -loyalty-timeout (2 s). So a page here waits for the service as long as
// all the pages would take one after the other, each with a new
// connection, as measured on this machine now.
func TestManyPagesAtOnce(t *testing.T) {
	const pages, inFlight = 200, 16
	cold := coldPage(t)
	timeout := max(2*time.Second, pages*cold)
	t.Logf("the first page of a program took %s: a page waits up to %s for the loyalty service", cold, timeout)
	base, _, _ := startPoints(t, "-loyalty-timeout", timeout.String())
	tr := &http.Transport{MaxIdleConnsPerHost: inFlight}
	defer tr.CloseIdleConnections() // or the server's shutdown waits for them
	client := &http.Client{Transport: tr}
	ids := make(chan int64, pages)
	for i := range pages {
		ids <- int64(1 + i%1000)
	}
	close(ids)
	errs := make(chan error, pages)
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			for id := range ids {
				errs <- checkBalance(client, base, id)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// checkBalance asks for a user's page and says what is wrong with it, if
// anything: it must show that user's balance.
func checkBalance(client *http.Client, base string, id int64) error {
	resp, err := client.Get(fmt.Sprintf("%s/users/%d", base, id))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := fmt.Sprintf(`"loyalty":{"points":%d,"as_of":`, loyalty.PointsOf(id)); resp.StatusCode != 200 || !strings.Contains(string(body), want) {
		return fmt.Errorf("GET /users/%d: %d %s, want %s", id, resp.StatusCode, body, want)
	}
	return nil
}

// coldPage is how long the first page of a program just started takes on
// this machine now: its client opens its first connection to the loyalty
// service for it, with a TCP and a TLS handshake.
func coldPage(t *testing.T) time.Duration {
	t.Helper()
	base, _, _ := startPoints(t)
	start := time.Now()
	if status, body := get(t, base, 1); status != http.StatusOK {
		t.Fatalf("GET /users/1: %d %s", status, body)
	}
	return time.Since(start)
}

// TestServiceDownIsABadGateway: when the loyalty service does not answer
// in time, a page is a 502 with a JSON error, and the log says why.
func TestServiceDownIsABadGateway(t *testing.T) {
	base, _, logs := startPoints(t, "-loyalty-latency", "5s", "-loyalty-timeout", "50ms")
	status, body := get(t, base, 42)
	if status != http.StatusBadGateway || !strings.HasPrefix(string(body), `{"error":"the loyalty service did not answer"`) {
		t.Errorf("GET /users/42 with the loyalty service too slow: %d %s, want 502 with a JSON error", status, body)
	}
	if !strings.Contains(logs.String(), "loyalty service") {
		t.Errorf("the log does not say what failed:\n%s", logs)
	}
}

// TestBalanceIsForItsUser: the client answers the balance of the user it
// asked for.
func TestBalanceIsForItsUser(t *testing.T) {
	_, p, _ := startPoints(t)
	b, err := p.Balance(context.Background(), 7)
	if err != nil || b.User != 7 || b.Points != loyalty.PointsOf(7) || b.AsOf.IsZero() {
		t.Errorf("Balance(7) = %+v, %v", b, err)
	}
}

// TestEveryPageAsksTheService: two pages of the same user, one after the
// other, each show a balance the service gave for that page.
func TestEveryPageAsksTheService(t *testing.T) {
	base, _, _ := startPoints(t)
	var asOf [2]string
	for i := range asOf {
		time.Sleep(20 * time.Millisecond)
		_, body := get(t, base, 42)
		var page struct {
			Extras struct {
				Loyalty struct {
					AsOf string `json:"as_of"`
				} `json:"loyalty"`
			} `json:"extras"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		asOf[i] = page.Extras.Loyalty.AsOf
	}
	if asOf[0] == asOf[1] {
		t.Errorf("two pages of user 42, 20 ms apart, show the balance as of the same moment %s: the second did not ask the loyalty service", asOf[0])
	}
}

// TestClientVerifiesTheCertificate: the client trusts the loyalty
// service's certificate and no other, so that a server that answers on
// its address without it is refused.
func TestClientVerifiesTheCertificate(t *testing.T) {
	_, p, _ := startPoints(t)
	other, err := loyalty.Start(0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close(context.Background()) })
	impostor := &Points{client: p.client, url: other.URL()}
	if b, err := impostor.Balance(context.Background(), 42); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Balance from a server with another certificate: %+v, %v; want a certificate error", b, err)
	}
}
