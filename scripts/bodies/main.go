// Command bodies checks the answers of the users service while a load runs:
// it sends GET /users/{id} from a few goroutines, with ids drawn from the
// kit's standard request mix (load.StandardMix), and counts the answers
// whose status, headers or body are wrong. A status-code counter such as
// hey's cannot see a 200 with the wrong body.
//
//	go run ./scripts/bodies -url http://localhost:8080 -users 10000 -duration 8s -o bodies.json
//
// It exits 1 when it could check nothing and 3 when an answer was wrong
// or missing.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/load"
)

func main() {
	mix := load.StandardMix()
	url := flag.String("url", "http://localhost:8080", "base `URL` of the users service")
	flag.Int64Var(&mix.Users, "users", mix.Users, "ids 1..`n` exist (the server's -users)")
	conc := flag.Int("c", 4, "`goroutines` sending at once")
	duration := flag.Duration("duration", 5*time.Second, "how long to check")
	out := flag.String("o", "", "write the result as JSON to this `file`")
	flag.Parse()
	if err := mix.Valid(); err != nil {
		fmt.Fprintln(os.Stderr, "bodies:", err)
		os.Exit(1)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}
	res := load.CheckBodies(ctx, load.BodyCheckOptions{BaseURL: *url, Mix: mix, Concurrency: *conc, Client: client})

	if *out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bodies:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("bodies: %d answers checked (mix: %s), %d wrong, %d without answer\n", res.Checked, res.Mix, res.Wrong, res.TransportErrors)
	for _, e := range res.Examples {
		fmt.Println("  wrong:", e)
	}
	if res.Checked == 0 {
		fmt.Fprintln(os.Stderr, "bodies: no answer was checked: is the server up?")
		os.Exit(1)
	}
	if res.Wrong+res.TransportErrors > 0 {
		os.Exit(3)
	}
}
