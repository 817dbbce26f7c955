// Command openloop loads the users service at a constant arrival rate, as
// a population of users does, and counts each request's latency from the
// moment it was due (load.OpenLoop): the load that a stall cannot
// hide from. The loop runs it after hey when RATE is set:
//
//	go run ./scripts/openloop -url http://localhost:8080 -rate 2000 -duration 10s -o openloop.json
//
// It prints the percentiles (p50, p90, p99, p99.9, max) and how many
// requests it sent against how many were due, and says so when it fell
// behind. It exits 1 when it could not load and 3 when an answer was
// wrong or missing.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/load"
)

func main() {
	mix := load.StandardMix()
	url := flag.String("url", "http://localhost:8080", "base `URL` of the users service")
	flag.Int64Var(&mix.Users, "users", mix.Users, "ids 1..`n` exist (the server's -users)")
	rate := flag.Float64("rate", 1000, "`requests` per second, arriving at a constant rate")
	duration := flag.Duration("duration", 10*time.Second, "how long requests keep arriving")
	inFlight := flag.Int("max-in-flight", 10000, "the most `requests` waiting for an answer at once; the next waits for a slot, and its wait counts")
	out := flag.String("o", "", "write the report as JSON to this `file`")
	flag.Parse()
	if err := mix.Valid(); err != nil || *rate <= 0 || *duration <= 0 || *inFlight < 1 {
		fmt.Fprintln(os.Stderr, "openloop: want -users ≥ 1, -rate > 0, -duration > 0 and -max-in-flight ≥ 1")
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := load.OpenLoop(ctx, load.OpenLoopOptions{BaseURL: *url, Mix: mix, Rate: *rate, Duration: *duration, MaxInFlight: *inFlight})
	if err != nil {
		fmt.Fprintln(os.Stderr, "openloop:", err)
		os.Exit(1)
	}
	if *out != "" {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "openloop:", err)
			os.Exit(1)
		}
	}
	ms := func(s float64) string { return fmt.Sprintf("%.1f ms", 1000*s) }
	fmt.Printf("openloop: %.0f req/s for %.1f s: sent %d of %d due; %d answered, %d wrong, %d without answer\n",
		r.Rate, r.Seconds, r.Sent, r.Intended, r.Answered, r.Wrong, r.Errors)
	fmt.Printf("  latency from each request's due time: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", ms(r.P50), ms(r.P90), ms(r.P99), ms(r.P999), ms(r.Max))
	if r.Behind() {
		fmt.Printf("  the generator fell behind (a request left up to %s late): the server was sent less than the rate asked\n", ms(r.MaxLag))
	}
	for _, e := range r.Examples {
		fmt.Println("  wrong:", e)
	}
	if r.Sent == 0 {
		os.Exit(1)
	}
	if r.Wrong+r.Errors > 0 {
		os.Exit(3)
	}
}
