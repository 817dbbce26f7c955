package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/delivery"
	"github.com/slowpath/slowpath/server/servertest"
)

// hang is how long a test waits for what should come at once before it
// calls it a hang: far beyond any noisy machine's delay, so that only a
// page or a goroutine that never comes back reaches it.
const hang = 10 * time.Second

// startEstimate serves the program as main sets it up, from the flags
// args on top of the defaults.
func startEstimate(t *testing.T, args ...string) (string, *servertest.Log) {
	t.Helper()
	base, logs, _ := startEstimateWith(t, nil, args...)
	return base, logs
}

// startEstimateWith serves the program as main sets it up, from the flags
// args on top of the defaults, except that its replicas answer through
// the transport that replicas returns for their URLs (its client, its
// -estimate-timeout and its replicas' URLs are main's), instead of
// through the network; nil replicas keeps the network. It returns the
// server's base URL, its log and the replicas' URLs.
func startEstimateWith(t *testing.T, replicas func(urls []string) http.RoundTripper, args ...string) (string, *servertest.Log, []string) {
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
	e, err := setup(&cfg, ec)
	if err != nil {
		t.Fatal(err)
	}
	if replicas != nil {
		e.client.Transport = replicas(e.replicas)
	}
	app := servertest.Start(t, cfg)
	// Before the shutdown (cleanups run last first): a connection to a
	// replica that a canceled call had started to dial ends up idle and
	// unused, and a server's shutdown waits 5 s for such a connection.
	t.Cleanup(e.client.CloseIdleConnections)
	return "http://" + app.Addr().String(), logs, e.replicas
}

// replicaFunc answers the Estimator's calls in memory, in the goroutine
// that makes each call, instead of a replica across the network.
type replicaFunc func(*http.Request) (*http.Response, error)

// RoundTrip answers r as f says.
func (f replicaFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// inMemory returns an Estimator of n replicas that answer as answer says,
// in memory: each call is answered as soon as it is made, with no
// network and no latency in between.
func inMemory(n int, answer replicaFunc) *Estimator {
	e := &Estimator{client: &http.Client{Transport: answer}}
	for i := range n {
		e.replicas = append(e.replicas, fmt.Sprintf("http://replica-%d.test", i+1))
	}
	return e
}

// response is a replica's answer to r: status, and body as JSON.
func response(r *http.Request, status int, body string) *http.Response {
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode: status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
}

// answersTheEstimate answers r as every replica does: 200 and the
// estimate of the user in its path.
func answersTheEstimate(r *http.Request) (*http.Response, error) {
	id, err := strconv.ParseInt(path.Base(r.URL.Path), 10, 64)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(delivery.EstimateOf(id))
	if err != nil {
		return nil, err
	}
	return response(r, http.StatusOK, string(body)), nil
}

// failsAtOnce answers r as a failing replica does: a 503, at once.
func failsAtOnce(r *http.Request) (*http.Response, error) {
	return response(r, http.StatusServiceUnavailable, `{"error":"replica down"}`), nil
}

// neverAnswers is a replica that never answers: the call waits until its
// context ends (the page's end, a cancel, or -estimate-timeout), and
// fails with the context's error.
func neverAnswers(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// together holds each call until n calls are in, then lets all n go at
// the same moment: replicas that all answer at once, after every one of
// them has been asked. The next n calls make the next group.
type together struct {
	n    int
	mu   sync.Mutex
	in   int
	gate chan struct{}
}

// wait holds a call until its group of n is complete, or until ctx ends.
func (g *together) wait(ctx context.Context) error {
	g.mu.Lock()
	if g.gate == nil {
		g.gate = make(chan struct{})
	}
	gate := g.gate
	if g.in++; g.in == g.n {
		close(gate)
		g.in, g.gate = 0, nil
	}
	g.mu.Unlock()
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// page is what GET /users/{id} answers, as far as these tests read it.
type page struct {
	server.User
	Extras struct {
		Delivery struct {
			Days    int64  `json:"days"`
			Carrier string `json:"carrier"`
		} `json:"delivery"`
	} `json:"extras"`
}

// getPage gets the page of user id from the server at base, and fails
// the test if no answer comes within hang.
func getPage(t *testing.T, base string, id int64) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: hang}
	resp, err := client.Get(fmt.Sprintf("%s/users/%d", base, id))
	if err != nil {
		t.Fatalf("GET /users/%d: %v: the page never answered", id, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// checkPage fails the test unless the page of user id, answered with
// status and body, shows the user's fields and the estimate the service
// gives for that user.
func checkPage(t *testing.T, id int64, status int, body string) {
	t.Helper()
	var p page
	if err := json.Unmarshal([]byte(body), &p); err != nil || status != http.StatusOK {
		t.Fatalf("GET /users/%d: %d %v %s", id, status, err, body)
	}
	want := delivery.EstimateOf(id)
	if p.User != server.SeedUser(id) || p.Extras.Delivery.Days != want.Days || p.Extras.Delivery.Carrier != want.Carrier {
		t.Errorf("GET /users/%d: %s, want the user's fields and %+v", id, body, want)
	}
}

// fastestLate calls e.Fastest(ctx, id) as a page would, on a goroutine of
// its own locked to its OS thread, then cancels ctx as the request's end
// does; it fails the test if Fastest has not returned within hang. The
// locked thread makes the caller late to its receive: each time it must
// run again (after starting the calls, and after each answer it takes),
// the runtime wakes its own thread for it, while the replicas' goroutines
// answer on the other threads.
func fastestLate(t *testing.T, e *Estimator, id int64) (delivery.Estimate, error) {
	t.Helper()
	type result struct {
		est delivery.Estimate
		err error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		est, err := e.Fastest(ctx, id)
		done <- result{est, err}
	}()
	timer := time.NewTimer(hang)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.est, r.err
	case <-timer.C:
		t.Fatalf("Fastest(%d) has not returned %s after its %d replicas answered, all at once: it lost an answer that came before it was receiving, and waits for it forever", id, hang, len(e.replicas))
		return delivery.Estimate{}, nil
	}
}

// estimatorFrames is how a stack names the Estimator's methods and their
// closures: "<the package's import path>.(*Estimator)." in a test binary,
// "main.(*Estimator)." in the program.
var estimatorFrames = strings.TrimSuffix(runtime.FuncForPC(reflect.ValueOf((*Estimator).Fastest).Pointer()).Name(), "Fastest")

// estimatorGoroutines returns the stacks of the goroutines that run the
// Estimator's code or that it started, by goroutine id (ids are never
// reused). Counting these, not runtime.NumGoroutine, leaves out the
// goroutines of the servers, of the connections, and those that earlier
// tests left behind.
func estimatorGoroutines() map[string]string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	gs := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, estimatorFrames) {
			gs[strings.Fields(g)[1]] = g
		}
	}
	return gs
}

// waitEstimatorGoroutinesEnd waits until every goroutine of the
// Estimator that was not in before has ended, and fails the test with
// their stacks if some are still there after hang.
func waitEstimatorGoroutinesEnd(t *testing.T, before map[string]string) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for {
		var left []string
		for id, g := range estimatorGoroutines() {
			if _, ok := before[id]; !ok {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines that asked a replica are still there %s after their pages returned; the first:\n\n%s", len(left), hang, left[0])
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPagesShowTheEstimate: each page shows the estimate the service
// gives for its user, after the user's own fields.
func TestPagesShowTheEstimate(t *testing.T) {
	base, _ := startEstimate(t, "-replica-min", "1ms", "-replica-max", "3ms")
	for _, id := range []int64{1, 2, 42, 999} {
		status, body := getPage(t, base, id)
		checkPage(t, id, status, body)
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
	status, body := getPage(t, base, 42)
	if status != http.StatusBadGateway || !strings.HasPrefix(body, `{"error":"no delivery estimate"`) {
		t.Errorf("GET /users/42 with every replica too slow: %d %s, want 502 with a JSON error", status, body)
	}
	if !strings.Contains(logs.String(), "Timeout") && !strings.Contains(logs.String(), "deadline") {
		t.Errorf("the log does not say what failed:\n%s", logs)
	}
}

// TestAllReplicasFailingAtOnceIsAPromptBadGateway: when every replica
// answers an error, all at the same moment once all have been asked, the
// page is a 502 with a JSON error as soon as the errors are in, not at
// -estimate-timeout (an hour here, so that only a hang waits for it);
// the log names every replica's failure; and every goroutine that asked
// a replica ends.
func TestAllReplicasFailingAtOnceIsAPromptBadGateway(t *testing.T) {
	base, logs, replicas := startEstimateWith(t, func(urls []string) http.RoundTripper {
		g := &together{n: len(urls)}
		return replicaFunc(func(r *http.Request) (*http.Response, error) {
			if err := g.wait(r.Context()); err != nil {
				return nil, err
			}
			return failsAtOnce(r)
		})
	}, "-estimate-timeout", "1h")
	before := estimatorGoroutines()
	const pages = 20
	for id := int64(1); id <= pages; id++ {
		status, body := getPage(t, base, id)
		if status != http.StatusBadGateway || !strings.HasPrefix(body, `{"error":"no delivery estimate"`) {
			t.Fatalf("GET /users/%d with every replica failing: %d %s, want 502 with a JSON error", id, status, body)
		}
	}
	for _, r := range replicas {
		if failure := fmt.Sprintf("GET %s/v1/estimate/%d: 503 Service Unavailable", r, pages); !strings.Contains(logs.String(), failure) {
			t.Errorf("the log does not name the failure of replica %s (%q):\n%s", r, failure, logs)
		}
	}
	waitEstimatorGoroutinesEnd(t, before)
}

// TestAnswerBeforeAnyoneReceives: replicas that answer at once (zero
// latency), before the page's goroutine has come to receive, lose none of
// their answers: every replica's error counts when all fail, and the
// estimate comes back when all answer. Fastest has no hook that would
// hold its goroutine between starting the calls and receiving, so the
// test cannot order the two; it makes that goroutine late instead
// (fastestLate: locked to its OS thread, with at least two Ps for the
// replicas' goroutines to answer on), and does so for 500 pages. On two
// cores, a Fastest that drops an answer nobody is receiving yet (a select
// with a default case on an unbuffered channel) drops one of the three
// failures on about one page in ten without the race detector, even
// beside a CPU hog, and on most pages with it (its scheduler shuffles
// goroutines), and then waits for it forever: it passes 500 pages about
// once in 10¹¹ runs at worst.
func TestAnswerBeforeAnyoneReceives(t *testing.T) {
	if procs := runtime.GOMAXPROCS(0); procs < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	}
	const pages = 500
	t.Run("every replica fails", func(t *testing.T) {
		e := inMemory(3, failsAtOnce)
		before := estimatorGoroutines()
		for id := int64(1); id <= pages; id++ {
			_, err := fastestLate(t, e, id)
			if err == nil {
				t.Fatalf("Fastest(%d) with every replica failing: no error", id)
			}
			for _, r := range e.replicas {
				if !strings.Contains(err.Error(), fmt.Sprintf("GET %s/v1/estimate/%d: 503", r, id)) {
					t.Fatalf("Fastest(%d) with every replica failing: %q does not name the failure of replica %s", id, err, r)
				}
			}
		}
		waitEstimatorGoroutinesEnd(t, before)
	})
	t.Run("every replica answers", func(t *testing.T) {
		e := inMemory(3, answersTheEstimate)
		for id := int64(1); id <= pages; id++ {
			est, err := fastestLate(t, e, id)
			if err != nil || est != delivery.EstimateOf(id) {
				t.Fatalf("Fastest(%d) = %+v, %v; want %+v", id, est, err, delivery.EstimateOf(id))
			}
		}
	})
}

// TestPagesInARowShowTheirOwnEstimate: with every replica answering at
// once (no latency at all), page after page shows the estimate of its
// own user, never an answer meant for a page before it.
func TestPagesInARowShowTheirOwnEstimate(t *testing.T) {
	base, _ := startEstimate(t, "-replica-min", "0s", "-replica-max", "0s", "-replica-slow-every", "0")
	for id := int64(1); id <= 200; id++ {
		status, body := getPage(t, base, id)
		checkPage(t, id, status, body)
	}
}

// TestOneReplicaNeverAnsweringDoesNotHoldThePage: with one replica that
// never answers and the others answering at once, each page shows its
// estimate without waiting for the silent one (-estimate-timeout is an
// hour here, so that only a hang waits for it), and the silent replica's
// call is let go once the page has returned. Whether the goroutine that
// made the call then ends is not asserted: as shipped, the exercise's
// goroutine blocks on its send forever (the leak that its check judges
// by the load), and its tests must pass.
func TestOneReplicaNeverAnsweringDoesNotHoldThePage(t *testing.T) {
	letGo := make(chan string, 100)
	base, _, _ := startEstimateWith(t, func(urls []string) http.RoundTripper {
		return replicaFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasPrefix(r.URL.String(), urls[0]+"/") {
				_, err := neverAnswers(r)
				letGo <- r.URL.Path
				return nil, err
			}
			return answersTheEstimate(r)
		})
	}, "-estimate-timeout", "1h")
	for id := int64(1); id <= 10; id++ {
		status, body := getPage(t, base, id)
		checkPage(t, id, status, body)
		select {
		case <-letGo:
		case <-time.After(hang):
			t.Fatalf("GET /users/%d: the call to the replica that never answers is still waiting %s after the page returned", id, hang)
		}
	}
}

// TestNoReplicaEverAnsweringIsABadGatewayAtTheDeadline: when no replica
// ever answers, the page is a 502 with a JSON error at -estimate-timeout:
// not before it, and not never; the log says that the time ran out; and
// every goroutine that asked a replica ends.
func TestNoReplicaEverAnsweringIsABadGatewayAtTheDeadline(t *testing.T) {
	const timeout = 50 * time.Millisecond
	base, logs, _ := startEstimateWith(t, func([]string) http.RoundTripper { return replicaFunc(neverAnswers) },
		"-estimate-timeout", timeout.String())
	before := estimatorGoroutines()
	start := time.Now()
	status, body := getPage(t, base, 42)
	took := time.Since(start)
	if status != http.StatusBadGateway || !strings.HasPrefix(body, `{"error":"no delivery estimate"`) {
		t.Errorf("GET /users/42 with no replica ever answering: %d %s, want 502 with a JSON error", status, body)
	}
	if took < timeout { // a lower bound, which no timer misses
		t.Errorf("GET /users/42 failed after %s, before -estimate-timeout (%s)", took, timeout)
	}
	if !strings.Contains(logs.String(), "Timeout") && !strings.Contains(logs.String(), "deadline") {
		t.Errorf("the log does not say that the time ran out:\n%s", logs)
	}
	waitEstimatorGoroutinesEnd(t, before)
}

// TestOneReplicaFailingDoesNotFailThePage: with one replica that fails at
// once and the others answering 20 ms after it failed, each page shows
// its estimate: a failure is no answer, and a page fails only when every
// replica has failed. A fix that takes the first reply, failure or not,
// fails here on every page.
func TestOneReplicaFailingDoesNotFailThePage(t *testing.T) {
	base, _, _ := startEstimateWith(t, func(urls []string) http.RoundTripper {
		var mu sync.Mutex
		failed := map[string]chan struct{}{} // by page: closed once its failing call has answered
		ofPage := func(r *http.Request) chan struct{} {
			mu.Lock()
			defer mu.Unlock()
			c, ok := failed[r.URL.Path]
			if !ok {
				c = make(chan struct{})
				failed[r.URL.Path] = c
			}
			return c
		}
		return replicaFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasPrefix(r.URL.String(), urls[0]+"/") {
				defer close(ofPage(r))
				return failsAtOnce(r)
			}
			select {
			case <-ofPage(r):
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
			time.Sleep(20 * time.Millisecond)
			return answersTheEstimate(r)
		})
	}, "-estimate-timeout", "1h")
	for id := int64(1); id <= 10; id++ {
		status, body := getPage(t, base, id)
		checkPage(t, id, status, body)
	}
}

// TestSlowReplicasWithinTheTimeoutStillAnswer: with every replica taking
// 700 ms, far slower than usual but within -estimate-timeout (2 s by
// default), each page shows its estimate: a page fails only when no
// replica answers within -estimate-timeout, whatever deadline a fix
// would rather have.
func TestSlowReplicasWithinTheTimeoutStillAnswer(t *testing.T) {
	base, _, _ := startEstimateWith(t, func(urls []string) http.RoundTripper {
		return replicaFunc(func(r *http.Request) (*http.Response, error) {
			select {
			case <-time.After(700 * time.Millisecond):
				return answersTheEstimate(r)
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		})
	})
	for _, id := range []int64{1, 42} {
		status, body := getPage(t, base, id)
		checkPage(t, id, status, body)
	}
}
