package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
)

// The fraud team's scores of a few users, worked out by hand from their
// formula (riskOf): (id*37 + 11) mod 100, low under 30, high from 70. The
// tokens are checked apart.
var wantRisk = map[int64]riskView{
	1:   {Score: 48, Band: "medium", Label: "medium risk (48/100)"},
	3:   {Score: 22, Band: "low", Label: "low risk (22/100)"},
	7:   {Score: 70, Band: "high", Label: "high risk (70/100)"},
	42:  {Score: 65, Band: "medium", Label: "medium risk (65/100)"},
	43:  {Score: 2, Band: "low", Label: "low risk (2/100)"},
	44:  {Score: 39, Band: "medium", Label: "medium risk (39/100)"},
	100: {Score: 11, Band: "low", Label: "low risk (11/100)"},
	999: {Score: 74, Band: "high", Label: "high risk (74/100)"},
}

// fraudServer is the program under test, served in-process.
type fraudServer struct {
	base   string          // e.g. http://127.0.0.1:41234
	svc    *FraudService   // the fraud service its step asks
	logs   *servertest.Log // what the server logged
	client *http.Client
}

// startFraudCheck serves the program as main sets it up, from the flags
// args (on top of the defaults), with fail as the fraud service's test
// hook (nil: it never fails).
func startFraudCheck(t *testing.T, fail func(userID int64) error, args ...string) *fraudServer {
	t.Helper()
	fs := flag.NewFlagSet("fraud-check", flag.ContinueOnError)
	var fc fraudConfig
	fc.registerFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	logs := &servertest.Log{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	svc, err := setup(&cfg, fc)
	if err != nil {
		t.Fatal(err)
	}
	svc.fail = fail
	app := servertest.Start(t, cfg)
	tr := &http.Transport{MaxIdleConnsPerHost: 100}
	t.Cleanup(tr.CloseIdleConnections)
	return &fraudServer{
		base:   "http://" + app.Addr().String(),
		svc:    svc,
		logs:   logs,
		client: &http.Client{Transport: tr, Timeout: 4 * time.Second},
	}
}

// page is what GET /users/{id} answered.
type page struct {
	status int
	header http.Header
	body   []byte
}

func (s *fraudServer) get(id int64) (page, error) {
	resp, err := s.client.Get(fmt.Sprintf("%s/users/%d", s.base, id))
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return page{}, err
	}
	return page{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// checkPage says what is wrong with the answer for user id, or returns "":
// a 200 with the user's fields at the top level and the fraud team's
// score under extras.risk.
func checkPage(id int64, p page) string {
	if p.status != http.StatusOK {
		return fmt.Sprintf("GET /users/%d: %d %s, want 200", id, p.status, p.body)
	}
	var got struct {
		server.User
		Extras struct {
			Risk riskView `json:"risk"`
		} `json:"extras"`
	}
	if err := json.Unmarshal(p.body, &got); err != nil {
		return fmt.Sprintf("GET /users/%d: body %s is not a page: %v", id, p.body, err)
	}
	if want := server.SeedUser(id); got.User != want {
		return fmt.Sprintf("GET /users/%d: user %+v, want %+v", id, got.User, want)
	}
	risk := got.Extras.Risk
	if want := wantRisk[id]; risk.Score != want.Score || risk.Band != want.Band || risk.Label != want.Label {
		return fmt.Sprintf("GET /users/%d: risk %+v, want %+v (body %s)", id, risk, want, p.body)
	}
	// The checkout service checks the token so.
	mac := hmac.New(sha256.New, []byte(tokenKey))
	fmt.Fprintf(mac, "user=%d score=%d band=%s", id, risk.Score, risk.Band)
	if token, err := hex.DecodeString(risk.Token); err != nil || !hmac.Equal(token, mac.Sum(nil)) {
		return fmt.Sprintf("GET /users/%d: token %q does not sign the risk shown", id, risk.Token)
	}
	return ""
}

func TestPageShowsRiskScore(t *testing.T) {
	s := startFraudCheck(t, nil, "-fraud-latency=2ms")
	for round := 1; round <= 2; round++ { // the second time, the score may be one already known
		for id := range wantRisk {
			p, err := s.get(id)
			if err != nil {
				t.Fatal(err)
			}
			if problem := checkPage(id, p); problem != "" {
				t.Errorf("round %d: %s", round, problem)
			}
			if st := p.header.Get("Server-Timing"); !strings.Contains(st, "fraud;dur=") {
				t.Errorf("GET /users/%d: Server-Timing %q has no fraud step", id, st)
			}
		}
	}
	p, err := s.get(1_000_000) // no such user: nothing to score
	if err != nil {
		t.Fatal(err)
	}
	if p.status != http.StatusNotFound {
		t.Errorf("GET /users/1000000: %d %s, want 404", p.status, p.body)
	}
}

func TestFraudServiceDown(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	s := startFraudCheck(t, func(userID int64) error {
		if down.Load() || userID == 3 {
			return errors.New("dial tcp 10.0.0.7:443: connection refused")
		}
		return nil
	}, "-fraud-latency=2ms")

	// While the fraud service is down, every page fails cleanly: a 502 with
	// a JSON error for the client, the cause in the log.
	for _, id := range []int64{7, 42, 7} {
		p, err := s.get(id)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error string `json:"error"`
		}
		if p.status != http.StatusBadGateway || json.Unmarshal(p.body, &e) != nil || e.Error == "" {
			t.Errorf("GET /users/%d with the fraud service down: %d %s, want 502 with a JSON error", id, p.status, p.body)
		}
		if strings.Contains(string(p.body), "connection refused") {
			t.Errorf("GET /users/%d: the body %s tells the client the cause, which belongs in the log", id, p.body)
		}
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "step=fraud") || !strings.Contains(logs, "connection refused") {
		t.Errorf("the log does not name the fraud step and the cause:\n%s", logs)
	}
	if strings.Contains(logs, "panic") {
		t.Errorf("the server panicked:\n%s", logs)
	}

	// Back up: the pages that failed show their scores, and a failure is not
	// remembered as an answer. User 3 still fails on its own.
	down.Store(false)
	for _, id := range []int64{7, 42, 1} {
		p, err := s.get(id)
		if err != nil {
			t.Fatal(err)
		}
		if problem := checkPage(id, p); problem != "" {
			t.Errorf("after the outage: %s", problem)
		}
	}
	if p, err := s.get(3); err != nil || p.status != http.StatusBadGateway {
		t.Errorf("GET /users/3, which the fraud service fails: %d %s (%v), want 502", p.status, p.body, err)
	}
}

func TestConcurrentPages(t *testing.T) {
	// The fraud service is slow enough here that the requests overlap.
	s := startFraudCheck(t, nil, "-fraud-latency=20ms")
	ids := []int64{42, 42, 42, 43, 44} // most of them for one user, as hey sends them
	const requests = 60
	var (
		wg       sync.WaitGroup
		problems = make(chan string, requests)
	)
	for i := range requests {
		id := ids[i%len(ids)]
		wg.Go(func() {
			p, err := s.get(id)
			if err != nil {
				problems <- err.Error()
				return
			}
			if problem := checkPage(id, p); problem != "" {
				problems <- problem
			}
		})
	}
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error(p)
	}
	// Every page needs a score, so each user was scored at least once; no
	// page needs more than one call.
	if calls := s.svc.Calls(); calls < 3 || calls > requests {
		t.Errorf("the fraud service was called %d times for %d pages of 3 users: want from 3 to %d", calls, requests, requests)
	}
}

func TestNegativeLatency(t *testing.T) {
	fs := flag.NewFlagSet("fraud-check", flag.ContinueOnError)
	var fc fraudConfig
	fc.registerFlags(fs)
	if err := fs.Parse([]string{"-fraud-latency=-1s"}); err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	if _, err := setup(&cfg, fc); err == nil {
		t.Error("setup accepted -fraud-latency=-1s")
	}
}

// asOf is when the fraud service computed the score a page shows.
func asOf(t *testing.T, p page) time.Time {
	t.Helper()
	var got struct {
		Extras struct {
			Risk riskView `json:"risk"`
		} `json:"extras"`
	}
	if err := json.Unmarshal(p.body, &got); err != nil {
		t.Fatalf("body %s is not a page: %v", p.body, err)
	}
	at, err := time.Parse(time.RFC3339Nano, got.Extras.Risk.AsOf)
	if err != nil {
		t.Fatalf("the page's risk has no as_of time: %v (body %s)", err, p.body)
	}
	return at
}

// TestNoPageShowsAStaleScore holds the pages to the fraud team's contract:
// a score is valid for -fraud-validity after the fraud service computed it
// (as_of), and no page shows an older one, however often the user asks.
func TestNoPageShowsAStaleScore(t *testing.T) {
	const validity = 100 * time.Millisecond
	s := startFraudCheck(t, nil, "-fraud-latency=1ms", "-fraud-validity="+validity.String())
	seen := map[time.Time]bool{}
	for range 16 { // over about 400 ms: four validities
		p, err := s.get(7)
		if err != nil {
			t.Fatal(err)
		}
		if problem := checkPage(7, p); problem != "" {
			t.Fatal(problem)
		}
		at := asOf(t, p)
		// The slack is for the answer's own way back, under the race detector.
		if age := time.Since(at); age > validity+100*time.Millisecond {
			t.Errorf("a page shows a score %s old, valid for %s", age.Round(time.Millisecond), validity)
		}
		seen[at] = true
		time.Sleep(validity / 4)
	}
	if len(seen) < 3 {
		t.Errorf("16 pages over four validities showed %d scores: a score must be asked again once it is no longer valid", len(seen))
	}
}

// TestNoExpiredScoreWhileItIsAskedAgain: with a fraud service slower
// than usual (150 ms), no page shows a score past its validity while a
// new one is on its way: each page's score is at most the validity old,
// counted from when the page was asked for (the slack is for timers under
// the race detector, far below the service's 150 ms).
func TestNoExpiredScoreWhileItIsAskedAgain(t *testing.T) {
	const validity = 200 * time.Millisecond
	s := startFraudCheck(t, nil, "-fraud-latency=150ms", "-fraud-validity="+validity.String())
	for range 14 { // over about 700 ms: three validities and a half
		sent := time.Now()
		p, err := s.get(7)
		if err != nil {
			t.Fatal(err)
		}
		if problem := checkPage(7, p); problem != "" {
			t.Fatal(problem)
		}
		if age := sent.Sub(asOf(t, p)); age > validity+50*time.Millisecond {
			t.Errorf("a page asked for %s after its score was computed shows it, valid for %s: an expired score, shown while a new one was asked for", age.Round(time.Millisecond), validity)
		}
		time.Sleep(validity / 4)
	}
}

// TestFraudServiceDownAfterTheScoreExpired: a user seen before, whose
// score has expired, gets a 502 while the fraud service is down, as a
// user never seen does: a page never shows an expired score, down or not.
func TestFraudServiceDownAfterTheScoreExpired(t *testing.T) {
	const validity = 50 * time.Millisecond
	var down atomic.Bool
	s := startFraudCheck(t, func(userID int64) error {
		if down.Load() {
			return errors.New("dial tcp 10.0.0.7:443: connection refused")
		}
		return nil
	}, "-fraud-latency=1ms", "-fraud-validity="+validity.String())
	p, err := s.get(42)
	if err != nil {
		t.Fatal(err)
	}
	if problem := checkPage(42, p); problem != "" {
		t.Fatal(problem)
	}
	down.Store(true)
	time.Sleep(3 * validity)
	if p, err = s.get(42); err != nil {
		t.Fatal(err)
	}
	if p.status != http.StatusBadGateway {
		t.Errorf("GET /users/42, its score expired and the fraud service down: %d %s, want 502", p.status, p.body)
	}
}

// TestKeepsAtMostKeepScores holds the service to its memory budget: with
// -fraud-keep=10, pages for 50 users, twice over, cannot be served from
// memory the second time, so the fraud service is asked again for most of
// them.
func TestKeepsAtMostKeepScores(t *testing.T) {
	s := startFraudCheck(t, nil, "-fraud-latency=1ms", "-fraud-keep=10")
	for pass := range 2 {
		for id := int64(1); id <= 50; id++ {
			p, err := s.get(id)
			if err != nil {
				t.Fatal(err)
			}
			if p.status != http.StatusOK {
				t.Fatalf("pass %d, GET /users/%d: %d %s", pass+1, id, p.status, p.body)
			}
		}
	}
	// Kept scores could serve 10 of the 50 the second time at most.
	if calls := s.svc.Calls(); calls < 50+40 {
		t.Errorf("the fraud service was called %d times for 100 pages of 50 users, with at most 10 scores kept: want 90 or more; more than 10 scores are kept", calls)
	}
}

func TestBadValidityAndKeep(t *testing.T) {
	for _, arg := range []string{"-fraud-validity=0s", "-fraud-validity=10us", "-fraud-keep=0"} {
		fs := flag.NewFlagSet("fraud-check", flag.ContinueOnError)
		var fc fraudConfig
		fc.registerFlags(fs)
		if err := fs.Parse([]string{arg}); err != nil {
			t.Fatal(err)
		}
		cfg := servertest.Config()
		if _, err := setup(&cfg, fc); err == nil {
			t.Errorf("setup accepted %s", arg)
		}
	}
}
