// Command loop is the measurement loop behind make exercise-N (KIND is
// exercises) and make solution-N (KIND is solutions):
//
//	go run ./scripts/loop exercises 1
//
// It builds and starts the program, shows one answer's headers, loads it
// with go tool hey while it captures a CPU profile, a wall-clock profile
// (fgprof), block, mutex and allocation profiles and an execution trace,
// reads the program's own numbers (/debug/vars) before and after, checks
// the answers' bodies, stops the server and prints a summary
// (harness.Loop). Every command it runs is printed first, so you can run
// it yourself; what it does in its own process is printed as the command
// that does the same, after "same as:".
//
// Settings, from the environment (make passes its variables):
//
//	CONCURRENCY    requests in flight (default 100)
//	DURATION       length of the load, whole seconds, at least 4 (default 10s)
//	PORT           app port on localhost (default 8080)
//	DEBUG_PORT     debug port on localhost (default 6060)
//	USERS          users seeded, and the range of ids checked (default 10000)
//	RATE           after hey, load again at this constant arrival rate
//	               (req/s) for DURATION, each latency counted from when its
//	               request was due; the summary sets both loads side by side
//	               (default: hey only)
//	FLIGHT         turn on the server's flight recorder: a request slower
//	               than this (e.g. 100ms) writes the trace before it to a
//	               file, which the summary lists (default off)
//	OUT_ROOT       where the captures go (default profiles/local, which git
//	               ignores)
//	TRACE_SECONDS  length of the execution trace, may be a fraction like
//	               0.5 (default 2)
//
// An exercise may set RATE and FLIGHT for itself in the catalog; the
// environment overrides them. Run it from the repository's top folder. A
// wrong setting, a busy port, a missing tool, a server that dies and a
// second run on the same captures each end it with one line of error and
// exit status 1; Ctrl-C stops everything it started, the server
// gracefully, and exits 130; wrong answers under load exit 3, after the
// summary.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/harness"
	"github.com/slowpath/slowpath/scripts/internal/proc"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run runs the loop and returns its exit status.
func run(args []string) int {
	if len(args) != 2 || (args[0] != "exercises" && args[0] != "solutions") {
		return fail("usage: loop exercises|solutions N")
	}
	kind, n := args[0], args[1]
	target := strings.TrimSuffix(kind, "s") + "-" + n
	exs, err := catalog.Read(".")
	if err != nil {
		return fail(fmt.Sprintf("%v (run it from the repository's top folder)", err))
	}
	ex, err := catalog.Lookup(exs, n)
	if err != nil {
		return fail(err.Error())
	}
	if kind == "solutions" && !ex.HasSolution() {
		return fail(fmt.Sprintf("exercise %d has no solution: it is the service with nothing added; make exercise-%d runs it", ex.Number, ex.Number))
	}
	// The exercise's own settings (RATE, FLIGHT), unless the environment sets them.
	for _, kv := range ex.Loop {
		k, v, _ := strings.Cut(kv, "=")
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
			fmt.Printf("(exercise %d sets %s=%s; %s= overrides it)\n", ex.Number, k, v, k)
		}
	}
	l, err := settings(ex, kind)
	if err != nil {
		return fail(err.Error())
	}
	for _, tool := range []struct{ name, hint string }{
		{"go", "install Go 1.26 or 1.27 (https://go.dev/dl/)"},
		{cc(), "install a C compiler: SQLite is compiled with cgo (Debian: apt-get install gcc; macOS: xcode-select --install)"},
	} {
		if _, err := exec.LookPath(tool.name); err != nil {
			return fail(fmt.Sprintf("%s is not installed: %s", tool.name, tool.hint))
		}
	}
	lock, err := proc.LockFolder(l.Out)
	if errors.Is(err, proc.ErrLocked) {
		return fail(fmt.Sprintf("another run is using %s (make %s is already running?); wait for it, or set OUT_ROOT= to capture elsewhere", l.Out, target))
	}
	if err != nil {
		return fail(err.Error())
	}
	defer lock.Close()
	if err := busyPorts(target, l.Addr, "PORT", l.DebugAddr, "DEBUG_PORT"); err != nil {
		return fail(err.Error())
	}
	if err := clean(l.Out); err != nil {
		return fail(err.Error())
	}

	// Ctrl-C on the terminal signals make and this process; the programs
	// the loop started run in process groups of their own, and are
	// stopped by Run, each once, when ctx ends. A second Ctrl-C changes
	// nothing.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, interrupt := context.WithCancel(context.Background())
	var interrupted atomic.Bool
	go func() {
		<-sigs
		interrupted.Store(true)
		fmt.Println()
		fmt.Println("interrupted: stopping everything this loop started")
		interrupt()
	}()
	s, err := l.Run(ctx, os.Stdout)
	switch {
	case interrupted.Load():
		return 130
	case errors.Is(err, proc.ErrServerDied):
		return fail("server died")
	case err != nil:
		return fail(err.Error())
	case !s.Right:
		return 3
	}
	return 0
}

// fail prints one line of error and returns the loop's exit status for it.
func fail(msg string) int {
	fmt.Fprintf(os.Stderr, "error: %s\n", strings.ReplaceAll(strings.TrimSpace(msg), "\n", "\n  "))
	return 1
}

// settings reads the loop's settings from the environment.
func settings(ex catalog.Exercise, kind string) (harness.Loop, error) {
	l := harness.Loop{Exercise: ex, Kind: kind, LoopOptions: harness.LoopOptions{Checkers: 4, Leaks: ex.LeakProfile()}}
	var err error
	number := func(name string, def, min, max int) int {
		v := os.Getenv(name)
		if v == "" || err != nil {
			return def
		}
		n, e := strconv.Atoi(v)
		if e != nil || n < min || n > max || strconv.Itoa(n) != v {
			err = fmt.Errorf("%s=%s must be a whole number from %d to %d", name, v, min, max)
		}
		return n
	}
	l.Concurrency = number("CONCURRENCY", 100, 1, 10000)
	port := number("PORT", 8080, 1, 65535)
	dport := number("DEBUG_PORT", 6060, 1, 65535)
	l.Users = number("USERS", 10000, 1, 10000000)
	if rate := os.Getenv("RATE"); rate != "" {
		l.OpenRate = float64(number("RATE", 0, 1, 100000))
	}
	if err != nil {
		return l, err
	}
	dur := os.Getenv("DURATION")
	if dur == "" {
		dur = "10s"
	}
	secs, e := strconv.Atoi(strings.TrimSuffix(dur, "s"))
	if e != nil || secs < 1 || secs > 999999 || strconv.Itoa(secs) != strings.TrimSuffix(dur, "s") {
		return l, fmt.Errorf("duration '%s' must be whole seconds, like 10s", dur)
	}
	if secs < 4 {
		return l, fmt.Errorf("DURATION=%s is too short: the captures need at least 4s", dur)
	}
	l.Duration = time.Duration(secs) * time.Second
	// Captures start 1 s into the load and must end before it does.
	capture := min(secs-3, 5)
	trace := float64(min(secs-2-capture, 2))
	if v := os.Getenv("TRACE_SECONDS"); v != "" {
		t, e := strconv.ParseFloat(v, 64)
		if e != nil || !regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`).MatchString(v) || t <= 0 || t > trace {
			return l, fmt.Errorf("TRACE_SECONDS=%s must be a positive number of seconds, at most %g at DURATION=%ds", v, trace, secs)
		}
		trace = t
	}
	l.Capture = time.Duration(capture) * time.Second
	l.Trace = time.Duration(trace * float64(time.Second))
	if flight := os.Getenv("FLIGHT"); flight != "" {
		if _, e := time.ParseDuration(flight); e != nil {
			return l, fmt.Errorf("FLIGHT=%s must be a duration, like 100ms", flight)
		}
		l.ServerArgs = append(l.ServerArgs, "-flight-slow", flight)
	}
	root := os.Getenv("OUT_ROOT")
	if root == "" {
		root = filepath.Join("profiles", "local")
	}
	l.Out = filepath.Join(root, kind, ex.Name())
	l.Addr, l.DebugAddr = fmt.Sprintf("localhost:%d", port), fmt.Sprintf("localhost:%d", dport)
	return l, nil
}

// cc is the C compiler cgo uses: $CC, or gcc.
func cc() string {
	if c := strings.Fields(os.Getenv("CC")); len(c) > 0 {
		return c[0]
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		if _, err := exec.LookPath("clang"); err == nil {
			return "clang" // macOS's command-line tools call it cc and gcc too
		}
	}
	return "gcc"
}

// busyPorts names, in one line, every listener address of pairs (address,
// setting) that something already answers on, with the setting that
// moves it.
func busyPorts(target string, pairs ...string) error {
	var busy, fix []string
	for i := 0; i+1 < len(pairs); i += 2 {
		c, err := net.DialTimeout("tcp", pairs[i], time.Second)
		if err != nil {
			continue
		}
		c.Close()
		_, port, _ := net.SplitHostPort(pairs[i])
		p, _ := strconv.Atoi(port)
		busy = append(busy, port)
		fix = append(fix, fmt.Sprintf("%s=%d", pairs[i+1], p+1000))
	}
	if len(busy) == 0 {
		return nil
	}
	return fmt.Errorf("port %s busy (another server still running?); stop it, or pick other ports: make %s %s", strings.Join(busy, " "), target, strings.Join(fix, " "))
}

// clean empties the captures' folder of an earlier run, its lock aside.
func clean(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != ".lock" {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
