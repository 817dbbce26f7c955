package measure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/slowpath/slowpath/scripts/catalog"
	"github.com/slowpath/slowpath/server"
)

// LoopOptions says how CaptureLoop loads a program: as the learner's loop
// (scripts/loop.sh) does at its defaults.
type LoopOptions struct {
	Concurrency int           // hey's requests in flight (the loop's CONCURRENCY, 100)
	Duration    time.Duration // the load (DURATION, 10 s)
	Capture     time.Duration // the CPU, wall-clock, block and mutex captures, 1 s into the load (5 s)
	Trace       time.Duration // the execution trace, after the captures (TRACE_SECONDS)
	Checkers    int           // the body check's requests in flight beside hey (4)
	// OpenRate, when set (the loop's RATE), adds an open-loop load at that
	// rate for Duration after hey's, kept as openloop.json.
	OpenRate float64
	// Leaks captures the goroutine leak profile a second after the load
	// (goroutineleak.pprof), from a program built with
	// GOEXPERIMENT=goroutineleakprofile.
	Leaks bool
}

// LoopFiles are the files CaptureLoop leaves in its folder, as the loop
// does.
var LoopFiles = []string{"headers.txt", "hey.txt", "bodies.json", "cpu.pprof", "fgprof.pprof", "block.pprof", "mutex.pprof", "allocs.pprof", "trace.out", "vars-before.json", "vars-after.json"}

// CaptureLoop measures p as the loop does, and leaves the same files in
// dir (LoopFiles): one request's headers (curl -i), a load by go tool hey
// on GET /users/42 with the body check of the standard mix beside it, the
// CPU, wall-clock (fgprof), block, mutex and allocation profiles captured
// during the load, then a short execution trace, and the program's own
// numbers (/debug/vars) before the load and a second after it. Every command is printed to w. make
// profiles makes the reference captures with it.
func CaptureLoop(ctx context.Context, w io.Writer, p *Program, dir string, opt LoopOptions) error {
	secs := int(opt.Capture / time.Second)
	if secs < 1 || opt.Trace <= 0 || time.Second+opt.Capture+opt.Trace+time.Second > opt.Duration {
		return fmt.Errorf("captures of %s and a trace of %s do not fit in a load of %s", opt.Capture, opt.Trace, opt.Duration)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := func(f string) string { return filepath.Join(dir, f) }
	if err := runTo(ctx, w, path("headers.txt"), "curl", "-sS", "-i", p.App+"/users/42"); err != nil {
		return err
	}

	if _, err := fetchVars(ctx, w, p, path("vars-before.json")); err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	heyDone := make(chan error, 1)
	go func() {
		heyDone <- runTo(lctx, w, path("hey.txt"), "go", "tool", "hey", "-z", fmt.Sprintf("%ds", int(opt.Duration/time.Second)), "-c", fmt.Sprint(opt.Concurrency), p.App+"/users/42")
	}()
	bodiesDone := make(chan BodyCheck, 1)
	go func() {
		bctx, bcancel := context.WithTimeout(lctx, opt.Duration-time.Second)
		defer bcancel()
		bodiesDone <- CheckBodies(bctx, BodyCheckOptions{BaseURL: p.App, Mix: StandardMix(), Concurrency: opt.Checkers})
	}()
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	if _, err := CaptureAll(ctx, w, p, dir, secs, "cpu.pprof", "fgprof.pprof", "block.pprof", "mutex.pprof", "allocs.pprof"); err != nil {
		return err
	}
	if _, err := Fetch(ctx, w, fmt.Sprintf("%s/debug/pprof/trace?seconds=%g", p.Debug, opt.Trace.Seconds()), path("trace.out")); err != nil {
		return err
	}
	if err := <-heyDone; err != nil {
		return fmt.Errorf("go tool hey: %w", err)
	}
	b, _ := json.MarshalIndent(<-bodiesDone, "", "  ")
	if err := os.WriteFile(path("bodies.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if p.Exited() {
		return fmt.Errorf("the server exited during the load; its log:\n%s", tail(p.Log))
	}
	if err := settle(ctx, w, time.Second); err != nil {
		return err
	}
	if _, err := fetchVars(ctx, w, p, path("vars-after.json")); err != nil {
		return err
	}
	if opt.Leaks {
		if _, err := Capture(ctx, w, p.Debug+"/debug/pprof/goroutineleak", path("goroutineleak.pprof")); err != nil {
			return err
		}
	}
	if opt.OpenRate > 0 {
		fmt.Fprintf(w, "$ go run ./scripts/openloop -url %s -rate %.0f -duration %s -o %s   (in this process: measure.OpenLoop)\n", p.App, opt.OpenRate, opt.Duration, path("openloop.json"))
		r, err := OpenLoop(ctx, OpenLoopOptions{BaseURL: p.App, Rate: opt.OpenRate, Duration: opt.Duration})
		if err != nil {
			return err
		}
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(path("openloop.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
		if p.Exited() {
			return fmt.Errorf("the server exited during the open-loop load; its log:\n%s", tail(p.Log))
		}
	}
	return nil
}

// runTo runs a command with its output in the file out, printing it to w
// as a shell would run it.
func runTo(ctx context.Context, w io.Writer, out string, name string, args ...string) error {
	fmt.Fprintf(w, "$ %s %s > %s\n", name, strings.Join(args, " "), out)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = f
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// ReportShares writes, for the captures of one exercise or solution, the
// share of the request handlers' samples that have the answer key's
// bottleneck on the stack, and the wait behind it below the bottleneck: in the wall-clock
// profile and in the CPU profile, the numbers make check-N and the kit's
// tests judge by. bottleneck and wait are the key's expressions (wait may
// be nil) and number the exercise's.
func ReportShares(w io.Writer, number int, bottleneck, wait *regexp.Regexp, wall, cpu *profile.Profile) {
	fmt.Fprintf(w, "Share of the request handlers' samples with the function on the stack (as pprof's cum), exercise %d\n", number)
	fmt.Fprintf(w, "  %-64s %10s %6s\n", "", "wall clock", "CPU")
	fmt.Fprintf(w, "  %-64s %9.1f%% %5.1f%%\n", "bottleneck: "+catalog.FuncName(bottleneck),
		100*CumShare(wall, server.HandlerFrames, bottleneck), 100*CumShare(cpu, server.HandlerFrames, bottleneck))
	if wait != nil {
		fmt.Fprintf(w, "  %-64s %9.1f%% %5.1f%%\n", "wait below it: "+catalog.FuncName(wait),
			100*CumShareUnder(wall, server.HandlerFrames, wait, bottleneck), 100*CumShareUnder(cpu, server.HandlerFrames, wait, bottleneck))
	}
}
