package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// WrkReport is what wrk printed after a load.
type WrkReport struct {
	Requests     int     `json:"requests"`      // answers wrk read
	Seconds      float64 `json:"seconds"`       // how long the load ran
	RPS          float64 `json:"rps"`           // Requests/sec, as wrk prints it
	P50          float64 `json:"p50"`           // median latency, seconds
	P99          float64 `json:"p99"`           // 99th percentile latency, seconds
	Non2xx       int     `json:"non_2xx"`       // answers whose status was not 2xx or 3xx
	SocketErrors int     `json:"socket_errors"` // connect, read, write and timeout errors, summed
}

// WrkOptions says how RunWrk loads a server.
type WrkOptions struct {
	BaseURL     string        // e.g. http://127.0.0.1:8080
	Mix         Mix           // the ids asked for; the zero Mix means StandardMix
	Concurrency int           // connections kept open (wrk -c)
	Threads     int           // wrk -t; 0 means 2
	Duration    time.Duration // wrk -d, whole seconds
	Dir         string        // where its Lua script is written
	Log         io.Writer     // gets the command line; nil for none
}

// WrkPath is the wrk on PATH, or "" when there is none. wrk is optional:
// Debian's package wrk. It costs about 19 µs of CPU a request against
// hey's 48 and the kit's Go client's, so on a machine of 2 cores it takes
// less of the CPU the servers share with it.
func WrkPath() string {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return ""
	}
	return p
}

// wrkPaths is how many requests of the mix the Lua script holds; each of
// wrk's connections walks them in turn from its own place.
const wrkPaths = 1000

// WrkScript is the Lua script that makes wrk send the mix: a fixed draw of
// paths from m (seeded, so each run sends the same), walked in turn.
func WrkScript(m Mix) string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("-- written by scripts/internal/load (WrkScript): the request mix, walked in turn\npaths = {\n")
	for range wrkPaths {
		id, _ := m.Pick(rng)
		fmt.Fprintf(&b, "  \"/users/%d\",\n", id)
	}
	b.WriteString("}\n")
	// Each thread starts at a place of its own in the list.
	b.WriteString("local threads = 0\n")
	b.WriteString("setup = function(thread) thread:set(\"start\", threads * 397) threads = threads + 1 end\n")
	b.WriteString("local i = 0\n")
	b.WriteString("init = function(args) i = (start or 0) % #paths end\n")
	b.WriteString("request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n")
	return b.String()
}

// RunWrk loads opt.BaseURL with wrk for opt.Duration and reads its
// report. wrk reads statuses, not bodies: a run of it counts only where
// the kit's own client (CheckBodies) found every answer right.
func RunWrk(ctx context.Context, opt WrkOptions) (WrkReport, error) {
	wrk := WrkPath()
	if wrk == "" {
		return WrkReport{}, errors.New("wrk is not installed (Debian: apt-get install wrk)")
	}
	if opt.Mix == (Mix{}) {
		opt.Mix = StandardMix()
	}
	if opt.Threads == 0 {
		opt.Threads = 2
	}
	if opt.Concurrency < opt.Threads {
		opt.Concurrency = opt.Threads
	}
	secs := int(opt.Duration.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	script := filepath.Join(opt.Dir, "mix.lua")
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return WrkReport{}, err
	}
	if err := os.WriteFile(script, []byte(WrkScript(opt.Mix)), 0o644); err != nil {
		return WrkReport{}, err
	}
	// wrk gives up on an answer after 2 s by default and counts a socket
	// error: a slow exercise is measured, not cut off.
	args := []string{"-t", strconv.Itoa(opt.Threads), "-c", strconv.Itoa(opt.Concurrency), "-d", fmt.Sprintf("%ds", secs), "--timeout", "30s", "--latency", "-s", script, opt.BaseURL}
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "+ wrk %s\n", strings.Join(args, " "))
	}
	out, err := exec.CommandContext(ctx, wrk, args...).CombinedOutput()
	if err != nil {
		return WrkReport{}, fmt.Errorf("wrk: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return ParseWrk(string(out))
}

var (
	wrkTotal  = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(us|ms|s|m)`)
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkPct    = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// ParseWrk reads the report wrk --latency prints.
func ParseWrk(out string) (WrkReport, error) {
	var r WrkReport
	m := wrkTotal.FindStringSubmatch(out)
	rps := wrkRPS.FindStringSubmatch(out)
	if m == nil || rps == nil {
		return r, fmt.Errorf("wrk printed no report: %q", strings.TrimSpace(out))
	}
	r.Requests, _ = strconv.Atoi(m[1])
	r.Seconds = wrkSeconds(m[2], m[3])
	r.RPS, _ = strconv.ParseFloat(rps[1], 64)
	for _, p := range wrkPct.FindAllStringSubmatch(out, -1) {
		v := wrkSeconds(p[2], p[3])
		if p[1] == "50" {
			r.P50 = v
		} else {
			r.P99 = v
		}
	}
	if r.P50 == 0 || r.P99 == 0 {
		return r, fmt.Errorf("wrk printed no latency distribution (run it with --latency): %q", strings.TrimSpace(out))
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.SocketErrors += n
		}
	}
	return r, nil
}

func wrkSeconds(v, unit string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	switch unit {
	case "us":
		return f / 1e6
	case "ms":
		return f / 1e3
	case "m":
		return f * 60
	}
	return f
}
