package load

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/servertest"
)

// testMix is the standard mix over servertest's table of 1,000 users.
var testMix = Mix{Users: 1000, Hot: 100, Unknown: 0.1}

// stallingServer serves the real service with a step that, for the first
// stall of every second, holds every request until the stall is over:
// the service stalls 200 ms once a second, and is fast otherwise.
func stallingServer(t *testing.T, stall time.Duration) string {
	t0 := time.Now()
	cfg := servertest.Config()
	cfg.Steps = []server.Step{{Name: "extras", Run: func(ctx context.Context, p *server.Page) error {
		if phase := time.Since(t0) % time.Second; phase < stall {
			time.Sleep(stall - phase)
		}
		return nil
	}}}
	return "http://" + servertest.Start(t, cfg).Addr().String()
}

// TestOpenLoopSeesTheStallThatHeyHides: against a service that stalls
// 200 ms once a second, the open-loop p99 is the stall's, while hey's,
// whose connections stop sending during a stall, stays far below it.
func TestOpenLoopSeesTheStallThatHeyHides(t *testing.T) {
	const stall = 200 * time.Millisecond
	base := stallingServer(t, stall)
	// Two connections: two slow samples per stall, among the thousands a
	// fast server answers them, even on a slow machine.
	out, err := exec.Command("go", "tool", "hey", "-z", "3s", "-c", "2", base+"/users/42").CombinedOutput()
	if err != nil {
		t.Fatalf("go tool hey: %v\n%s", err, out)
	}
	hey, err := ParseHey(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	open, err := OpenLoop(context.Background(), OpenLoopOptions{BaseURL: base, Mix: testMix, Rate: 400, Duration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if open.Wrong+open.Errors > 0 || open.Answered != open.Sent {
		t.Fatalf("open loop: %d wrong, %d errors of %d sent (%v)", open.Wrong, open.Errors, open.Sent, open.Examples)
	}
	heyP99 := hey.Percentiles[99]
	t.Logf("p99: open loop %.1f ms, hey %.1f ms; open loop p50 %.1f ms, max %.1f ms", 1000*open.P99, 1000*heyP99, 1000*open.P50, 1000*open.Max)
	// A fifth of the arrivals land in a stall and wait up to 200 ms: the
	// open-loop p99 is near the stall. hey sees one slow request per
	// connection per stall, among thousands of fast ones.
	if open.P99 < stall.Seconds()/2 {
		t.Errorf("open-loop p99 %.1f ms, want at least half the %s stall", 1000*open.P99, stall)
	}
	if open.P99 < 5*heyP99 {
		t.Errorf("open-loop p99 %.1f ms is not 5× hey's %.1f ms: the stall should show in the first and hide in the second", 1000*open.P99, 1000*heyP99)
	}
}

// TestOpenLoopKeepsItsRate: against a fast server the generator sends
// what was due, on time, and every answer is checked.
func TestOpenLoopKeepsItsRate(t *testing.T) {
	base := "http://" + servertest.Start(t, servertest.Config()).Addr().String()
	const rate, d = 1000.0, 2 * time.Second
	r, err := OpenLoop(context.Background(), OpenLoopOptions{BaseURL: base, Mix: testMix, Rate: rate, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	// The count, not the lag: on a busy machine the pacer may fall behind
	// for a moment, and catches up.
	if r.Intended != int(rate*d.Seconds()) || float64(r.Sent) < 0.97*float64(r.Intended) {
		t.Errorf("sent %d of %d due (max lag %.1f ms)", r.Sent, r.Intended, 1000*r.MaxLag)
	}
	if got := float64(r.Sent) / r.Seconds; got < 0.97*rate || got > 1.03*rate {
		t.Errorf("sent %.0f requests a second, want %.0f within 3%%", got, rate)
	}
	if r.Answered != r.Sent || r.Wrong+r.Errors > 0 {
		t.Errorf("%d answered of %d sent, %d wrong, %d errors (%v)", r.Answered, r.Sent, r.Wrong, r.Errors, r.Examples)
	}
	if !(r.P50 > 0 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.P999 && r.P999 <= r.Max) {
		t.Errorf("percentiles out of order: %+v", r)
	}
}

// TestOpenLoopCountsTheQueue: with room for one request in flight and a
// server that takes 20 ms each, arrivals every 5 ms queue in the
// generator; their latency counts from when they were due, so it grows
// far past the server's 20 ms, and the report says the generator fell
// behind.
func TestOpenLoopCountsTheQueue(t *testing.T) {
	cfg := servertest.Config()
	cfg.Steps = []server.Step{{Name: "extras", Run: func(ctx context.Context, p *server.Page) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	}}}
	base := "http://" + servertest.Start(t, cfg).Addr().String()
	r, err := OpenLoop(context.Background(), OpenLoopOptions{BaseURL: base, Mix: Mix{Users: 1000, Hot: 10}, Rate: 200, Duration: 500 * time.Millisecond, MaxInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Behind() {
		t.Errorf("one slot for 200 req/s against 20 ms answers: want the report behind, got %+v", r)
	}
	if r.Max < 10*0.020 {
		t.Errorf("max latency %.1f ms: the queue's wait is not counted from the due time", 1000*r.Max)
	}
}
