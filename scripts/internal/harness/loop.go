package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/report"
	"io"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
)

// Loop is one run of the measurement loop, behind make exercise-N, make
// solution-N (scripts/loop, at the learner's settings) and make profiles
// (scripts/profiles, at the reference settings): it builds the program,
// starts it, shows one answer's headers, loads it with go tool hey while
// it captures the profiles, the execution trace and the program's own
// numbers, loads it again at a constant rate if asked, stops it
// gracefully and summarizes. Every step is printed as the command a
// learner would type: a command it runs (go build, go tool hey, the
// server) after "$ ", and a step it does in this process (fetching a
// profile, checking the answers' bodies) after "same as: ", as the
// command that does the same.
type Loop struct {
	Exercise catalog.Exercise
	Kind     string // "exercises" or "solutions": which folder of the exercise
	// Out is the captures' folder, which the program runs in, so that
	// the files it writes (an audit log, a flags file) land there too.
	Out string
	// Addr and DebugAddr are the program's listeners, e.g. localhost:8080;
	// 127.0.0.1:0 lets the kernel pick free ports.
	Addr, DebugAddr string
	Users           int      // users seeded: the server's -users, the body check's ids
	ServerArgs      []string // more flags for the program, e.g. -flight-slow 100ms
	LoopOptions
}

// LoopOptions says how the loop loads a program.
type LoopOptions struct {
	Concurrency int           // hey's requests in flight (the loop's CONCURRENCY, 100)
	Duration    time.Duration // the load (DURATION, 10 s)
	Capture     time.Duration // the CPU, wall-clock, block, mutex and allocation captures, 1 s into the load (5 s)
	Trace       time.Duration // the execution trace, after the captures (TRACE_SECONDS)
	Checkers    int           // the body check's requests in flight beside hey (4)
	// OpenRate, when set (the loop's RATE), adds an open-loop load at that
	// rate for Duration after hey's, kept as openloop.json.
	OpenRate float64
	// Leaks captures the goroutine leak profile a second after the load
	// (goroutineleak.pprof): the exercise's catalog.Exercise.LeakProfile.
	Leaks bool
}

// LoopFiles are the files every run of the loop leaves in its folder,
// beside the server's log, summary.json, and the goroutine leak profile,
// the open-loop report and the flight recorder's snapshots when asked for.
var LoopFiles = []string{"headers.txt", "hey.txt", "bodies.json", "cpu.pprof", "fgprof.pprof", "block.pprof", "mutex.pprof", "allocs.pprof", "trace.out", "vars-before.json", "vars-after.json"}

// Run runs the loop, its narration and commands printed to w, and returns
// the summary it printed (also kept as summary.json). The caller cancels
// ctx to stop the run: whatever Run started is stopped before it returns.
// A program that exits before the loop stops it makes Run print its last
// log lines and return an error that wraps ErrServerDied.
func (l Loop) Run(ctx context.Context, w io.Writer) (report.Summary, error) {
	var s report.Summary
	opt := l.LoopOptions
	secs := int(opt.Capture / time.Second)
	if secs < 1 || opt.Trace <= 0 || time.Second+opt.Capture+opt.Trace+time.Second > opt.Duration {
		return s, fmt.Errorf("captures of %s and a trace of %s do not fit in a load of %s", opt.Capture, opt.Trace, opt.Duration)
	}
	src := l.Exercise.Folder(l.Kind)
	path := func(f string) string { return filepath.Join(l.Out, f) }

	fmt.Fprintf(w, "== 1. Build and start %s ==\n", src)
	env := l.Exercise.BuildEnv(catalog.GoVersion())
	if !proc.SQLiteBuilt(ctx, env) {
		fmt.Fprintln(w, "(this first build compiles SQLite's C code for the go-sqlite3 driver: it takes a minute or two, once)")
	}
	bin, err := proc.Build(ctx, w, ".", "./"+src, path("bin"), env...)
	if err != nil {
		return s, err
	}
	// go tool hey is built now, so that the load does not wait for a compiler.
	if err := proc.RunCommand(ctx, w, io.Discard, "go", "tool", "-n", "hey"); err != nil {
		return s, err
	}
	args := append([]string{"-users", strconv.Itoa(l.Users)}, l.ServerArgs...)
	p, err := proc.StartAt(ctx, w, bin, l.Out, l.Addr, l.DebugAddr, args...)
	if err != nil {
		return s, err
	}
	stopped := false
	defer func() {
		if !stopped {
			p.Stop()
		}
	}()
	fmt.Fprintf(w, "ready: %s/users/42 (debug: %s/debug/pprof/)\n", p.App, p.Debug)

	fmt.Fprintf(w, "\n== 2. One request: read the timing headers. Which step dominates? ==\n")
	if err := headers(ctx, w, p.App+"/users/42", path("headers.txt")); err != nil {
		return s, p.Died(w, err)
	}

	fmt.Fprintf(w, "\n== 3. Load: %d concurrent for %s; captures while it runs ==\n", opt.Concurrency, opt.Duration)
	if _, err := fetchVars(ctx, w, p, path("vars-before.json")); err != nil {
		return s, p.Died(w, err)
	}
	lctx, cancel := context.WithCancel(ctx)
	heyDone := make(chan error, 1)
	waitHey := sync.OnceValue(func() error { return <-heyDone })
	defer func() { // hey's process group is stopped and reaped before Run returns
		cancel()
		waitHey()
	}()
	go func() {
		heyDone <- proc.RunCommand(lctx, w, nil, "go", "tool", "hey", "-z", fmt.Sprintf("%ds", int(opt.Duration/time.Second)), "-c", strconv.Itoa(opt.Concurrency), p.App+"/users/42", ">", path("hey.txt"))
	}()
	mix := load.StandardMix()
	mix.Users = int64(l.Users)
	checkFor := opt.Duration - time.Second
	fmt.Fprintf(w, "same as: go run ./scripts/bodies -url %s -users %d -c %d -duration %s -o %s &   (checked in this process: load.CheckBodies)\n",
		p.App, l.Users, opt.Checkers, checkFor, path("bodies.json"))
	bodiesDone := make(chan load.BodyCheck, 1)
	go func() {
		bctx, bcancel := context.WithTimeout(lctx, checkFor)
		defer bcancel()
		bodiesDone <- load.CheckBodies(bctx, load.BodyCheckOptions{BaseURL: p.App, Mix: mix, Concurrency: opt.Checkers})
	}()
	if _, err := captureWindow(ctx, w, p, l.Out, secs, opt.Trace, "cpu.pprof", "fgprof.pprof", "block.pprof", "mutex.pprof", "allocs.pprof"); err != nil {
		return s, p.Died(w, err)
	}
	if err := waitHey(); err != nil {
		return s, p.Died(w, fmt.Errorf("go tool hey: %w", err))
	}
	if err := writeJSON(path("bodies.json"), <-bodiesDone); err != nil {
		return s, err
	}
	if err := settle(ctx, w, time.Second); err != nil {
		return s, err
	}
	if _, err := fetchVars(ctx, w, p, path("vars-after.json")); err != nil {
		return s, p.Died(w, err)
	}
	if opt.Leaks {
		if _, err := proc.Capture(ctx, w, p.Debug+"/debug/pprof/goroutineleak", path("goroutineleak.pprof")); err != nil {
			return s, p.Died(w, fmt.Errorf("no goroutine leak profile: %w", err))
		}
	}

	if opt.OpenRate > 0 {
		fmt.Fprintf(w, "\n== 3b. Open-loop load: %.0f requests a second arriving for %s, whatever the answers ==\n", opt.OpenRate, opt.Duration)
		fmt.Fprintf(w, "same as: go run ./scripts/openloop -url %s -users %d -rate %.0f -duration %s -o %s   (loaded from this process: load.OpenLoop)\n",
			p.App, l.Users, opt.OpenRate, opt.Duration, path("openloop.json"))
		r, err := load.OpenLoop(ctx, load.OpenLoopOptions{BaseURL: p.App, Mix: mix, Rate: opt.OpenRate, Duration: opt.Duration})
		if err != nil {
			return s, p.Died(w, fmt.Errorf("the open-loop load (RATE=%.0f): %w", opt.OpenRate, err))
		}
		if err := writeJSON(path("openloop.json"), r); err != nil {
			return s, err
		}
		if p.Exited() {
			return s, p.Died(w, nil)
		}
	}

	fmt.Fprintf(w, "\n== 4. Stop the server (SIGTERM: graceful shutdown) ==\n")
	if p.Exited() {
		return s, p.Died(w, nil)
	}
	fmt.Fprintf(w, "same as: kill -TERM %d   (signalled from this process)\n", p.PID)
	stopped = true
	if err := p.Stop(); err != nil {
		return s, err
	}

	fmt.Fprintf(w, "\n== 5. Summary ==\n")
	fmt.Fprintf(w, "same as: go run ./scripts/summary -dir %s -name %s -c %d -json %s   (summarized in this process: report.Summarize)\n",
		l.Out, src, opt.Concurrency, path("summary.json"))
	if s, err = report.Summarize(w, l.Out, src, opt.Concurrency); err != nil {
		return s, err
	}
	report.WriteTasks(w, l.Out)
	return s, writeJSON(path("summary.json"), s)
}

// captureWindow is the capture step that the loop and the check share: once a load has run for a second, it captures the profiles
// saved as files at once, each for secs seconds, into dir, then an
// execution trace of trace into dir/trace.out (none when trace is zero).
// It returns the profiles in the order of files.
func captureWindow(ctx context.Context, w io.Writer, p *proc.Program, dir string, secs int, trace time.Duration, files ...string) ([]*profile.Profile, error) {
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ps, err := proc.CaptureAll(ctx, w, p, dir, secs, files...)
	if err != nil {
		return ps, err
	}
	if trace > 0 {
		if _, err := proc.Fetch(ctx, w, fmt.Sprintf("%s/debug/pprof/trace?seconds=%g", p.Debug, trace.Seconds()), filepath.Join(dir, "trace.out")); err != nil {
			return ps, err
		}
	}
	return ps, nil
}

// headers asks url once, as curl -i does, and prints the answer's status
// line, headers and body to w and into the file out.
func headers(ctx context.Context, w io.Writer, url, out string) error {
	fmt.Fprintf(w, "same as: curl -sS -i %s | tee %s   (asked from this process)\n", url, out)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := httputil.DumpResponse(resp, true)
	if err != nil {
		return err
	}
	w.Write(b)
	return os.WriteFile(out, b, 0o644)
}

// writeJSON writes v, indented, to path.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
