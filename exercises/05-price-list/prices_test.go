package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/pricing"
	"github.com/slowpath/slowpath/server/servertest"
)

// startPriced serves the real server set up as main sets it up, with the
// pricing service's times of pc, and returns its base URL and its list.
func startPriced(t *testing.T, pc priceConfig, log io.Writer) (string, *PriceList) {
	t.Helper()
	cfg := servertest.Config()
	if log != nil {
		cfg.Logger = slogTo(log)
	}
	prices, err := setup(&cfg, pc)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + servertest.Start(t, cfg).Addr().String(), prices
}

// pagePrice asks for user id's page and returns its price.
func pagePrice(t *testing.T, client *http.Client, base string, id int64) Price {
	t.Helper()
	resp, err := client.Get(fmt.Sprintf("%s/users/%d", base, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /users/%d: %d %s", id, resp.StatusCode, body)
	}
	var page struct {
		Plan   string `json:"plan"`
		Extras struct {
			Price *Price `json:"price"`
		} `json:"extras"`
	}
	if err := json.Unmarshal(body, &page); err != nil || page.Extras.Price == nil {
		t.Fatalf("GET /users/%d: no price in %s (%v)", id, body, err)
	}
	return *page.Extras.Price
}

// TestPagesShowTheListsPrice: each page shows its user's plan at the price
// of the list it names, as the pricing team published it.
func TestPagesShowTheListsPrice(t *testing.T) {
	base, _ := startPriced(t, priceConfig{latency: 5 * time.Millisecond, edits: time.Hour, every: time.Hour}, nil)
	for id := int64(1); id <= 20; id++ {
		p := pagePrice(t, http.DefaultClient, base, id)
		user := server.SeedUser(id)
		want := pricing.ListAt(p.Version, time.Now()).Plans[user.Plan]
		if p.Plan != user.Plan || p.Cents != want || p.Version < 1 {
			t.Errorf("user %d: price %+v, want plan %s at %d cents of list %d", id, p, user.Plan, want, p.Version)
		}
		if age := time.Since(p.AsOf); age < 0 || age > time.Minute {
			t.Errorf("user %d: as_of %s is not when the list arrived", id, p.AsOf)
		}
	}
}

// TestPricesFollowTheList: as the pricing team edits the list, pages move
// to the new versions, never older than the refresh interval, while pages
// are read all the time (under -race, a list replaced without the lock
// shows here).
func TestPricesFollowTheList(t *testing.T) {
	const every = 100 * time.Millisecond
	base, _ := startPriced(t, priceConfig{latency: 20 * time.Millisecond, edits: 30 * time.Millisecond, every: every}, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	versions := map[int64]bool{}
	var oldest time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(800 * time.Millisecond)
	for g := range 4 {
		wg.Go(func() {
			for id := int64(g + 1); time.Now().Before(deadline); id += 4 {
				p := pagePrice(t, client, base, 1+id%1000)
				age := time.Since(p.AsOf)
				mu.Lock()
				versions[p.Version] = true
				oldest = max(oldest, age)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(versions) < 3 {
		t.Errorf("in 800 ms with a refresh every %s, pages showed %d versions of the list, want 3 or more", every, len(versions))
	}
	if oldest > every+500*time.Millisecond {
		t.Errorf("a page showed a list %s old, with a refresh every %s", oldest, every)
	}
}

// TestPagesKeepTheLastListWhenThePricingServiceFails: the service goes
// away; pages still answer with the last list, and the failure is logged.
func TestPagesKeepTheLastListWhenThePricingServiceFails(t *testing.T) {
	var log servertest.Log
	cfg := servertest.Config()
	cfg.Logger = slogTo(&log)
	pc := priceConfig{latency: time.Millisecond, edits: time.Hour, every: 20 * time.Millisecond}
	prices, err := setup(&cfg, pc)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + servertest.Start(t, cfg).Addr().String()
	before := pagePrice(t, http.DefaultClient, base, 42)
	if err := prices.svc.Close(context.Background()); err != nil { // the pricing service goes away
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "refresh failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no refresh failure logged; the log:\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	after := pagePrice(t, http.DefaultClient, base, 42)
	if after.Version != before.Version || after.Cents != before.Cents {
		t.Errorf("after the pricing service failed, page shows %+v, want the last list's %+v", after, before)
	}
}

// TestSetupRejectsBadFlags: settings that cannot work are refused.
func TestSetupRejectsBadFlags(t *testing.T) {
	for _, pc := range []priceConfig{{latency: -1, edits: time.Second, every: time.Second}, {edits: 0, every: time.Second}, {edits: time.Second, every: time.Millisecond}} {
		cfg := servertest.Config()
		if _, err := setup(&cfg, pc); err == nil {
			t.Errorf("setup(%+v): no error", pc)
		}
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
