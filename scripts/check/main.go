// Command check is make check-N: it judges a learner's fix of exercise N
// against the solution, measured in the same run, and prints PASS or
// FAIL with the reason and the next thing to look at.
//
//	go run ./scripts/check -n 1                       # exercises/01-audit-trail, as you edited it
//	go run ./scripts/check -n 1 -dir path/to/a/copy   # any folder of the module
//
// In order, it:
//  1. runs the tests in the folder (go test -race), which guard the
//     feature: a fix that answers fast but loses audit lines, or races,
//     fails here;
//  2. builds the folder and solutions/NN-slug;
//  3. loads each in turn on loopback, every answer's body checked, while
//     it captures a CPU and a wall-clock (fgprof) profile;
//  4. compares: bodies all right; the share of the handler's wall-clock
//     samples with the bottleneck's function on the stack at most the
//     answer key's share; throughput (or median latency) within the
//     answer key's ratio of the solution's. The answer key is
//     solutions/answers.tsv.
//
// Both loads send the kit's standard request mix (load.StandardMix),
// the one of make compare-N and make bench.
//
// A FAIL reports the symptom: the numbers of yours against the solution's,
// and the next thing to look at. The function the answer key watches, and
// the wait in it, are the exercise's answer: the check names them after a
// PASS, or when asked with -explain (make check-N EXPLAIN=1), and calls
// them "the watched function" and "its wait" otherwise.
//
// The captures land in profiles/local/check/NN-slug/{yours,solution}. It
// exits 0 on PASS, 1 on FAIL and 2 when it could not measure.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/harness"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/report"
	"github.com/slowpath/slowpath/server"
)

func main() {
	n := flag.Int("n", -1, "exercise `number`")
	dir := flag.String("dir", "", "`folder` to check (default exercises/NN-slug)")
	conc := flag.Int("c", 50, "`requests` in flight during each load")
	dur := flag.Duration("d", 5*time.Second, "`duration` of each load")
	out := flag.String("out", "", "`folder` for the captures (default profiles/local/check/NN-slug)")
	jsonOut := flag.String("json", "", "also write the result as JSON to `file`")
	skipTests := flag.Bool("skip-tests", false, "do not run the folder's tests")
	explain := flag.Bool("explain", false, "name the function the answer key watches, and its wait, even on a FAIL (they give the exercise's answer away)")
	solutionFrom := flag.String("solution-from", "", "take the solution's side from the -json `file` of an earlier check of this exercise on this machine, instead of measuring it again (for the kit's tests)")
	flag.Parse()
	explainNames = *explain
	if *n < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: check -n N [-dir folder] [-json file]; N is an exercise number (make help lists them)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, *n, *dir, *out, *conc, *dur, !*skipTests, *solutionFrom)
	if err != nil {
		fmt.Fprintln(os.Stderr, "check: could not measure:", err)
		os.Exit(2)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		os.MkdirAll(filepath.Dir(*jsonOut), 0o755)
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "check:", err)
			os.Exit(2)
		}
	}
	if !res.Pass {
		os.Exit(1)
	}
}

func run(ctx context.Context, n int, dir, out string, conc int, dur time.Duration, tests bool, solutionFrom string) (report.CheckResult, error) {
	ex, err := catalog.Find(".", n)
	if err != nil {
		return report.CheckResult{}, fmt.Errorf("%v (run it from the repository's top folder)", err)
	}
	if !ex.HasSolution() {
		return report.CheckResult{}, fmt.Errorf("exercise %d has nothing to fix: make check-1 checks the first exercise", n)
	}
	if dir == "" {
		dir = ex.Folder("exercises")
	}
	solution := ex.Folder("solutions")
	if out == "" {
		out = filepath.Join("profiles", "local", "check", ex.Name())
	}
	res := report.CheckResult{Exercise: ex.Name(), Tests: true}
	w := os.Stdout

	fmt.Fprintf(w, "== check %d: %s, against %s ==\n\n", n, dir, solution)
	if tests {
		fmt.Fprintf(w, "1. The folder's tests: does the feature still work?\n")
		var failed []string
		if res.Tests, failed, err = runTests(ctx, dir); err != nil {
			return res, err
		}
		if !res.Tests {
			names := "(above)"
			if len(failed) > 0 {
				names = strings.Join(failed, ", ")
			}
			res.Reasons = append(res.Reasons, fmt.Sprintf("the tests in %s fail: %s. The feature no longer keeps its promises, however fast it is. Next: read the failing test, then go test -race -v -count=1 -run '%s' %s (the command this check ran, on the failing tests alone)",
				dir, names, strings.Join(failed, "|"), pkgPath(dir)))
			return verdict(w, ex, res), nil
		}
	}

	fmt.Fprintf(w, "\n2. Build both\n")
	bins := filepath.Join(out, "bin")
	yoursBin, err := proc.Build(ctx, w, ".", pkgPath(dir), filepath.Join(bins, "yours"), ex.BuildEnv(catalog.GoVersion())...)
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Reasons = append(res.Reasons, fmt.Sprintf("%s does not build: %v. Next: go vet %s", dir, err, pkgPath(dir)))
		return verdict(w, ex, res), nil
	}
	var earlier *report.CheckSide
	if solutionFrom != "" {
		var prev report.CheckResult
		b, err := os.ReadFile(solutionFrom)
		if err == nil {
			err = json.Unmarshal(b, &prev)
		}
		if err != nil || prev.Exercise != ex.Name() || !prev.Solution.Right() {
			return res, fmt.Errorf("-solution-from %s: no measurement of %s's solution there (%v)", solutionFrom, ex.Name(), err)
		}
		earlier = &prev.Solution
	}
	var solBin string
	if earlier == nil {
		if solBin, err = proc.Build(ctx, w, ".", pkgPath(solution), filepath.Join(bins, "solution"), ex.BuildEnv(catalog.GoVersion())...); err != nil {
			return res, err
		}
	}

	opt := harness.LoadOptions{Concurrency: conc, Duration: dur, Capture: dur - 2*time.Second, Mix: load.StandardMix()}
	if _, ok := ex.Answer.Judge("fsync"); ok { // a trace after the captures, still under load
		opt.Duration = max(dur, 3500*time.Millisecond) // a second of captures, then the trace
		opt.Capture, opt.Trace = max(opt.Duration-3*time.Second, time.Second), 500*time.Millisecond
	}
	if _, ok := ex.Answer.Judge("lines"); ok { // requests in flight at the shutdown
		opt.StopUnderLoad = true
	}
	if _, ok := ex.Answer.Judge("leaks"); ok { // what the load left behind
		opt.Settle, opt.Leaks = leaksSettle, true
	}
	fmt.Fprintf(w, "\n3. Load yours, then the solution, the same way\n")
	if res.Yours, err = measureOne(ctx, ex, yoursBin, dir, filepath.Join(out, "yours"), opt); err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Reasons = append(res.Reasons, fmt.Sprintf("your server failed under the load: %v", err))
		return verdict(w, ex, res), nil
	}
	if earlier != nil {
		fmt.Fprintf(w, "   the solution: measured earlier, on this machine (%s)\n", solutionFrom)
		res.Solution = *earlier
	} else if res.Solution, err = measureOne(ctx, ex, solBin, solution, filepath.Join(out, "solution"), opt); err != nil {
		return res, fmt.Errorf("%s: %w", solution, err)
	}
	if !res.Solution.Right() {
		return res, fmt.Errorf("the solution gave %d wrong or missing answers of %d (%s): the kit is broken, not your fix", res.Solution.Wrong, res.Solution.Checked, res.Solution.Example)
	}
	return verdict(w, ex, judge(ex, res)), nil
}

// settingJudges are the flags that the answer key's judges set for their
// own runs (fresh=-FLAG, bounded=-FLAG), by judge.
func settingJudges(a catalog.Answer) map[string]string {
	flags := map[string]string{}
	for _, name := range []string{"fresh", "bounded"} {
		if j, ok := a.Judge(name); ok {
			flags[name] = j.Arg
		}
	}
	return flags
}

// flagDefaults reads, from what bin -h prints, the default of each flag
// of flags (judge → -FLAG), by flag; a flag the program lacks is left
// out.
func flagDefaults(ctx context.Context, bin string, flags map[string]string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	cmd := exec.CommandContext(ctx, bin, "-h")
	var usage bytes.Buffer
	cmd.Stdout, cmd.Stderr = &usage, &usage
	fmt.Printf("$ %s -h   # the defaults of %s, which the judges set for their own runs\n", bin, strings.Join(slices.Sorted(maps.Values(flags)), ", "))
	cmd.Run() // flag's -h exits 0 or 2; what it printed is what counts
	defaults := map[string]string{}
	for _, flag := range flags {
		// A flag's block is its line, "  -name type", then its usage
		// lines, indented with a tab, the last of which ends with its
		// default.
		block := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(flag) + `\b.*\n((?:    \t.*\n)*)`).FindSubmatch(usage.Bytes())
		if block == nil {
			continue
		}
		if d := regexp.MustCompile(`\(default "?([^")]*)"?\)\s*$`).FindSubmatch(bytes.TrimSpace(block[1])); d != nil {
			defaults[flag] = string(d[1])
		}
	}
	return defaults, nil
}

// pkgPath is the go command's name for the package in dir.
func pkgPath(dir string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	return "./" + filepath.ToSlash(filepath.Clean(dir))
}

// runTests runs go test on the folder when it has tests, and reports
// whether they passed, and the names of the tests that failed. It reads
// go test's events (-json, as test2json writes them) and prints their
// output as go test would have printed it.
func runTests(ctx context.Context, dir string) (bool, []string, error) {
	tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if len(tests) == 0 {
		fmt.Println("   (no tests in this folder)")
		return true, nil, nil
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-json", "-race", "-count=1", pkgPath(dir))
	cmd.Stderr = os.Stderr // build errors
	events, err := cmd.StdoutPipe()
	if err != nil {
		return false, nil, err
	}
	fmt.Printf("$ %s   (its events printed as go test prints them)\n", strings.Join(cmd.Args, " "))
	if !proc.SQLiteBuilt(ctx, nil, "-race") {
		fmt.Println("   (the race detector's first build compiles SQLite once more: a minute or two, the first time only)")
	}
	if err := cmd.Start(); err != nil {
		return false, nil, err
	}
	failed, readErr := readTestEvents(events, os.Stdout)
	err = cmd.Wait()
	if ctx.Err() != nil {
		return false, nil, ctx.Err()
	}
	if readErr != nil {
		return false, failed, readErr
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return false, failed, nil
	}
	return err == nil, failed, err
}

// testEvent is one event of go test -json (go doc cmd/test2json).
type testEvent struct {
	Action string
	Test   string
	Output string
}

// readTestEvents reads go test -json's events from r, writes their output
// to w, and returns the tests that failed (subtests included), in the
// order they failed.
func readTestEvents(r io.Reader, w io.Writer) ([]string, error) {
	var failed []string
	dec := json.NewDecoder(r)
	for {
		var ev testEvent
		if err := dec.Decode(&ev); err == io.EOF {
			return failed, nil
		} else if err != nil {
			return failed, fmt.Errorf("go test -json: %w", err)
		}
		io.WriteString(w, ev.Output)
		if ev.Action == "fail" && ev.Test != "" && !slices.Contains(failed, ev.Test) {
			failed = append(failed, ev.Test)
		}
	}
}

// measureOne starts one program, loads it, stops it gracefully and
// computes its side of the comparison.
func measureOne(ctx context.Context, ex catalog.Exercise, bin, dir, out string, opt harness.LoadOptions) (report.CheckSide, error) {
	w := os.Stdout
	side := report.CheckSide{Dir: dir, Captures: out}
	if err := os.RemoveAll(out); err != nil {
		return side, err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return side, err
	}
	a := ex.Answer
	if side.Defaults, err = flagDefaults(ctx, bin, settingJudges(a)); err != nil {
		return side, err
	}
	p, err := proc.Start(ctx, w, bin, abs)
	if err != nil {
		return side, err
	}
	m, err := harness.Measure(ctx, w, p, abs, opt)
	stopErr := m.StopErr
	if !m.Stopped {
		stopErr = p.Stop()
	}
	if err == nil {
		err = stopErr
	}
	if err != nil {
		return side, err
	}
	if _, ok := a.Judge("fsync"); ok {
		sys, err := captures.SyscallProfile(ctx, w, m.Trace)
		if err != nil {
			return side, err
		}
		side.Syncs = captures.CountCalls(sys, syncCalls, mainCode)
	}
	side.Answered = m.Load.Checked - m.Load.TransportErrors
	if j, ok := a.Judge("lines"); ok {
		if side.Lines, err = countLines(filepath.Join(abs, j.Arg)); err != nil {
			return side, err
		}
	}
	side.RPS, side.P50, side.P99 = m.Load.RPS(), m.Load.P50, m.Load.P99
	side.Checked, side.Wrong = side.Checked+m.Load.Checked, side.Wrong+m.Load.Wrong+m.Load.TransportErrors
	if len(m.Load.Examples) > 0 {
		side.Example = m.Load.Examples[0]
	}
	side.Share = captures.CumShare(m.Wall, server.HandlerFrames, a.Bottleneck)
	side.CPUShare = captures.CumShare(m.CPU, server.HandlerFrames, a.Bottleneck)
	if a.Wait != nil {
		side.WaitWall = captures.CumShareUnder(m.Wall, server.HandlerFrames, a.Wait, a.Bottleneck)
		side.WaitCPU = captures.CumShareUnder(m.CPU, server.HandlerFrames, a.Wait, a.Bottleneck)
	}
	if v := m.Vars; v.After != nil {
		side.ConnsPer1000 = 1000 * v.PerRequest("downstream_conns_total")
		if pages := v.Delta("pages_total"); pages > 0 {
			side.QueriesPerPage = v.Delta("shop_queries_total") / pages
			side.PoolWaitMS = 1000 * v.Delta("shop_wait_seconds_total") / pages
		}
		side.MaxOpen = v.After.Get("shop_max_open")
		side.AllocBytes, side.AllocObjects = v.PerRequest("heap_alloc_bytes_total"), v.PerRequest("heap_alloc_objects_total")
		side.GCShare = v.GCShare()
		side.GoroutinesBefore, side.GoroutinesAfter = v.Before.Get("goroutines"), v.After.Get("goroutines")
		side.Leaked = m.Leaked
	}
	side.Samples = captures.TopFunctions(m.Wall, server.HandlerFrames).Samples
	side.CPUSamps = captures.TopFunctions(m.CPU, server.HandlerFrames).Samples
	fmt.Fprintf(w, "   %d answers, %.0f req/s, p50 %.1f ms; %d wrong\n", side.Checked, side.RPS, 1000*side.P50, side.Wrong)
	jf, fresh := a.Judge("fresh")
	if _, current := a.Judge("current"); fresh || current {
		var args []string
		if fresh {
			args = []string{jf.Arg, freshValidity.String()}
		}
		var oldest atomicMax
		mix := load.StandardMix()
		res, err := phase(ctx, w, bin, filepath.Join(abs, "fresh"), args, load.BodyCheckOptions{
			Mix: mix, Concurrency: opt.Concurrency,
			Inspect: func(id int64, body []byte, received time.Time) {
				if at, ok := asOf(body); ok {
					oldest.add(received.Sub(at))
				}
			},
		}, freshLoad)
		if err != nil {
			return side, err
		}
		side.Oldest = oldest.get().Seconds()
		side.Checked, side.Wrong = side.Checked+res.Checked, side.Wrong+res.Wrong+res.TransportErrors
	}
	if a.Metric == "p99open" {
		if err := openPhase(ctx, w, bin, filepath.Join(abs, "open"), &side); err != nil {
			return side, err
		}
	}
	if j, ok := a.Judge("bounded"); ok {
		mix := load.Mix{Users: 10 * boundedKeep, Cycle: true}
		res, err := phase(ctx, w, bin, filepath.Join(abs, "bounded"), []string{j.Arg, fmt.Sprint(boundedKeep)}, load.BodyCheckOptions{
			Mix: mix, Concurrency: opt.Concurrency,
		}, boundedLoad)
		if err != nil {
			return side, err
		}
		side.CycleP50 = res.P50
		side.Checked, side.Wrong = side.Checked+res.Checked, side.Wrong+res.Wrong+res.TransportErrors
	}
	return side, nil
}

// openPhase starts the program once more and loads it open-loop, at
// openRate for openFor, every answer checked: a stall that a closed loop
// hides shows in its p99.
func openPhase(ctx context.Context, w io.Writer, bin, dir string, side *report.CheckSide) error {
	p, err := proc.Start(ctx, w, bin, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   open-loop load: %.0f requests a second arriving for %s, whatever the answers; each latency from its due time; mix: %s\n", openRate, openFor, load.StandardMix())
	r, err := load.OpenLoop(ctx, load.OpenLoopOptions{BaseURL: p.App, Rate: openRate, Duration: openFor})
	if stopErr := p.Stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   sent %d of %d due; p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d wrong, %d without answer\n", r.Sent, r.Intended, 1000*r.P50, 1000*r.P99, 1000*r.Max, r.Wrong, r.Errors)
	side.OpenRate, side.OpenP99, side.OpenSent, side.OpenDue = r.Rate, r.P99, r.Sent, r.Intended
	side.Checked, side.Wrong = side.Checked+r.Answered+r.Errors, side.Wrong+r.Wrong+r.Errors
	if side.Example == "" && len(r.Examples) > 0 {
		side.Example = r.Examples[0]
	}
	return nil
}

// phase starts the program once more with args, for one judge, loads it
// for d as opt says, and stops it.
func phase(ctx context.Context, w io.Writer, bin, dir string, args []string, opt load.BodyCheckOptions, d time.Duration) (load.BodyCheck, error) {
	p, err := proc.Start(ctx, w, bin, dir, args...)
	if err != nil {
		return load.BodyCheck{}, err
	}
	fmt.Fprintf(w, "   load: %d requests in flight for %s, every answer's body checked; mix: %s\n", opt.Concurrency, d, opt.Mix)
	lctx, cancel := context.WithTimeout(ctx, d)
	opt.BaseURL = p.App
	res := load.CheckBodies(lctx, opt)
	cancel()
	if err := p.Stop(); err != nil {
		return res, err
	}
	fmt.Fprintf(w, "   %d answers, %.0f req/s, p50 %.1f ms\n", res.Checked, res.RPS(), 1000*res.P50)
	return res, ctx.Err()
}

// syncCalls are the system calls that make written data durable; mainCode
// the program's own frames, above them.
var (
	syncCalls = regexp.MustCompile(`^syscall\.(Fsync|Fdatasync)$`)
	mainCode  = regexp.MustCompile(`^main\.`)
)

// The settings of the fresh and bounded judges: the validity the program
// is run with (short enough that a score kept longer shows within a
// load), and the memory budget, with a load over ten times as many users
// in turn.
const (
	freshValidity = time.Second
	freshSlack    = 500 * time.Millisecond // for an answer's way back, on a busy machine
	freshLoad     = 2 * time.Second
	boundedKeep   = 100
	boundedLoad   = 2 * time.Second
	// The open-loop load of a p99open exercise: well below what a fixed
	// program serves, long enough for a stall every 2 s to come twice.
	openRate = 400.0
	openFor  = 4 * time.Second
	// The judges of a bottleneck's class. reuse: new connections to the
	// downstream per 1,000 requests (a pool that keeps one per request in
	// flight opens 50 in a load of tens of thousands). queries: queries per
	// page, and the time a page may wait for a pooled connection, beyond
	// twice the solution's. allocs: how many times the solution's
	// allocations per request, and the GC's share of the CPU below which
	// the GC is no matter. leaks: how long the load's goroutines get to
	// end, and how many more than the solution's may be left then (its
	// pools' idle connections keep goroutines of their own).
	reuseMax     = 25.0
	queriesMax   = 2.0
	poolWaitMin  = 0.5 // ms
	allocsMax    = 2.0
	gcShareMin   = 0.10
	leaksSettle  = time.Second
	leaksLeftMax = 100.0
)

// asOf finds the as_of time of the first extra of a page that has one.
func asOf(body []byte) (time.Time, bool) {
	var page struct {
		Extras map[string]json.RawMessage `json:"extras"`
	}
	if json.Unmarshal(body, &page) != nil {
		return time.Time{}, false
	}
	for _, raw := range page.Extras {
		var e struct {
			AsOf time.Time `json:"as_of"`
		}
		if json.Unmarshal(raw, &e) == nil && !e.AsOf.IsZero() {
			return e.AsOf, true
		}
	}
	return time.Time{}, false
}

// atomicMax keeps the largest duration added to it, from any goroutine.
type atomicMax struct{ ns atomic.Int64 }

func (m *atomicMax) add(d time.Duration) {
	for {
		old := m.ns.Load()
		if int64(d) <= old || m.ns.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

func (m *atomicMax) get() time.Duration { return time.Duration(m.ns.Load()) }

// countLines counts the lines of the file at path.
func countLines(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("the program's %s: %w", filepath.Base(path), err)
	}
	return bytes.Count(b, []byte("\n")), nil
}

// explainNames is -explain: name the watched function and its wait even
// on a FAIL.
var explainNames bool

// watched names the answer key's function and wait as the check prints
// them: by name when named is true, else as "the watched function".
func watched(a catalog.Answer, named bool) (fn, wait string) {
	if named {
		return a.BottleneckName(), a.WaitName()
	}
	return "the watched function", "its wait"
}

// judge gives the reasons to fail, if any, from the two measurements.
func judge(ex catalog.Exercise, res report.CheckResult) report.CheckResult {
	y, s := res.Yours, res.Solution
	a := ex.Answer
	fn, waitName := watched(a, explainNames)
	if !y.Right() {
		res.Reasons = append(res.Reasons, fmt.Sprintf("%d of %d answers under load were wrong or missing, e.g. %s. Next: curl -si the request it names, and read %s/server.log", y.Wrong, y.Checked, y.Example, y.Captures))
	}
	hasWait := a.Wait != nil
	if a.Share >= 0 && y.Judged(hasWait) > a.Share {
		what := fn + " on the stack"
		if hasWait {
			what = fmt.Sprintf("%s waiting in %s", fn, waitName)
		}
		got, bound := apart(100*y.Judged(hasWait), 100*a.Share, 0)
		res.Reasons = append(res.Reasons, fmt.Sprintf("%s%% of the handler's wall-clock samples still have %s (a fix keeps at most %s%%; the solution has %.0f%%). Next: go tool pprof -top -cum %s/fgprof.pprof",
			got, what, bound, 100*s.Judged(hasWait), y.Captures))
	}
	if _, ok := a.Judge("fsync"); ok && y.Syncs == 0 {
		res.Reasons = append(res.Reasons, fmt.Sprintf("your program made no fsync or fdatasync call under load (the solution made %d in the same trace): your fix no longer syncs, so a power cut loses lines that were answered. Next: go tool pprof -top -focus=Fsync %s/trace-syscall.pprof",
			s.Syncs, y.Captures))
	}
	if j, ok := a.Judge("lines"); ok && y.Lines < y.Answered {
		res.Reasons = append(res.Reasons, fmt.Sprintf("after the graceful shutdown, %s holds %d lines for the %d requests the load got an answer to: %d answered requests left no line. Does Close wait until every line is written? Next: read %s/%s against the answers",
			j.Arg, y.Lines, y.Answered, y.Answered-y.Lines, y.Captures, j.Arg))
	}
	if j, ok := a.Judge("fresh"); ok && y.Oldest > (freshValidity+freshSlack).Seconds() {
		res.Reasons = append(res.Reasons, fmt.Sprintf("run with %s %s, your program showed a page whose extra was %.1f s old (as_of; the solution's oldest: %.1f s): pages show what they show after it stopped being valid. Next: what decides how long a kept value is shown?",
			j.Arg, freshValidity, y.Oldest, s.Oldest))
	}
	if _, ok := a.Judge("current"); ok && y.Oldest > freshSlack.Seconds() {
		res.Reasons = append(res.Reasons, fmt.Sprintf("a page of yours showed an extra that was %.1f s old when it arrived (as_of; the solution's oldest: %.2f s): it showed a value kept from an earlier request, which the feature promises never to do. Next: what does a page show when it does not ask?",
			y.Oldest, s.Oldest))
	}
	for _, name := range []string{"fresh", "bounded"} {
		j, ok := a.Judge(name)
		if !ok || s.Defaults[j.Arg] == "" {
			continue // no judge, or a kept measurement of the solution from before the defaults were read
		}
		if reason := defaultBreaks(name, j.Arg, y.Defaults[j.Arg], s.Defaults[j.Arg]); reason != "" {
			res.Reasons = append(res.Reasons, reason+fmt.Sprintf(". Next: go run %s -h", pkgPath(y.Dir)))
		}
	}
	if j, ok := a.Judge("bounded"); ok && y.CycleP50 < 0.5*s.CycleP50 {
		res.Reasons = append(res.Reasons, fmt.Sprintf("run with %s %d, under a load over %d users in turn your program answered with a median of %.1f ms against the solution's %.1f ms: it serves from memory more users than %s allows, so its memory grows with the users it sees. Next: bound what it keeps",
			j.Arg, boundedKeep, 10*boundedKeep, 1000*y.CycleP50, 1000*s.CycleP50, j.Arg))
	}
	fail := func(judge, reason string, args ...any) {
		res.Reasons = append(res.Reasons, fmt.Sprintf(reason, args...))
		if !slices.Contains(res.Failed, judge) {
			res.Failed = append(res.Failed, judge)
		}
	}
	if _, ok := a.Judge("reuse"); ok && y.ConnsPer1000 > reuseMax {
		got, bound := apart(y.ConnsPer1000, reuseMax, 0)
		fail("reuse", "the downstream service accepted %s new connections per 1,000 requests of yours (the solution: %.1f; a fix stays under %s): nearly every call pays a TCP and a TLS handshake, and leaves a socket in TIME_WAIT. Next: ss -tan state time-wait | wc -l while make exercise-%d runs, and read how your client keeps connections (net/http.Transport)",
			got, s.ConnsPer1000, bound, ex.Number)
	}
	if _, ok := a.Judge("queries"); ok {
		if y.QueriesPerPage > queriesMax {
			got, bound := apart(y.QueriesPerPage, queriesMax, 1)
			fail("queries", "a page of yours made %s queries to the shop's database on average (the solution: %.1f; a fix makes at most %s): each holds a pooled connection for the database's time. Next: count the queries that one page makes (the trace's regions, or the driver's shop_queries_total at /debug/vars)",
				got, s.QueriesPerPage, bound)
		}
		if lim := max(2*s.PoolWaitMS, poolWaitMin); y.PoolWaitMS > lim {
			got, bound := apart(y.PoolWaitMS, lim, 2)
			fail("queries", "a page of yours waited %s ms on average for one of the pool's connections to the shop's database (the solution: %.2f ms; a fix waits at most %s ms): the pool is starved. Next: curl the debug listener's /debug/vars during a load (shop_wait_seconds_total, shop_in_use), and ask how long a page holds its connection",
				got, s.PoolWaitMS, bound)
		}
	}
	if j, ok := a.Judge("quota"); ok {
		if quota, err := strconv.ParseFloat(j.Arg, 64); err == nil && y.MaxOpen > quota {
			fail("quota", "your program lets its pool open %.0f connections to the shop's database, past the %.0f the DBAs allow it: a bigger pool moves the queue into the database server, which every service shares. Next: find what holds a connection longer than its query",
				y.MaxOpen, quota)
		}
	}
	if _, ok := a.Judge("allocs"); ok {
		if y.AllocBytes > allocsMax*s.AllocBytes || y.AllocObjects > allocsMax*s.AllocObjects {
			fail("allocs", "a request of yours allocates %.0f bytes in %.0f objects on the heap, against the solution's %.0f bytes in %.0f objects (a fix allocates at most ×%.0f of either): every byte allocated is work for the garbage collector. Next: go tool pprof -sample_index=alloc_space -top %s/allocs.pprof",
				y.AllocBytes, y.AllocObjects, s.AllocBytes, s.AllocObjects, allocsMax, y.Captures)
		}
		if lim := max(allocsMax*s.GCShare, gcShareMin); y.GCShare > lim {
			got, bound := apart(100*y.GCShare, 100*lim, 0)
			fail("allocs", "the garbage collector used %s%% of your program's CPU (the solution's: %.0f%%; a fix stays under %s%%). Next: GODEBUG=gctrace=1, and the allocation profile",
				got, 100*s.GCShare, bound)
		}
	}
	if _, ok := a.Judge("leaks"); ok {
		if left := y.GoroutinesAfter - y.GoroutinesBefore; left > s.GoroutinesAfter-s.GoroutinesBefore+leaksLeftMax || y.Leaked > 0 {
			fail("leaks", "%s after the load ended, your program had %.0f goroutines against %.0f before it (the solution: %.0f, then %.0f), and its goroutine leak profile shows %d blocked forever: every request leaves goroutines behind. Next: go tool pprof -top %s/goroutineleak.pprof, or curl -s 'localhost:6060/debug/pprof/goroutineleak?debug=1' while make exercise-%d runs",
				leaksSettle, y.GoroutinesAfter, y.GoroutinesBefore, s.GoroutinesBefore, s.GoroutinesAfter, y.Leaked, y.Captures, ex.Number)
		}
	}
	switch a.Metric {
	case "rps":
		res.Ratio = y.RPS / s.RPS
		if res.Ratio < ex.Answer.Ratio {
			got, bound := apart(res.Ratio, ex.Answer.Ratio, 2)
			res.Reasons = append(res.Reasons, fmt.Sprintf("throughput %.0f req/s is ×%s of the solution's %.0f req/s in the same run (a fix reaches ×%s). Next: go tool pprof -http=localhost:8081 %s/fgprof.pprof, and look for what the handler still waits for",
				y.RPS, got, s.RPS, bound, y.Captures))
		}
	case "p99open":
		// Against the larger of the solution's p99 and the answer key's
		// floor: below the floor, a p99 is the machine's noise.
		base := max(s.OpenP99, ex.Answer.Floor.Seconds())
		res.Ratio = y.OpenP99 / base
		if res.Ratio > ex.Answer.Ratio {
			got, bound := apart(res.Ratio, ex.Answer.Ratio, 1)
			res.Reasons = append(res.Reasons, fmt.Sprintf("under requests arriving at %.0f a second, whatever the answers, your p99 is %.1f ms, against the solution's %.1f ms in the same run: ×%s of the larger of it and %s (a fix stays within ×%s): some requests wait far longer than the rest. Next: make exercise-%d RATE=%.0f FLIGHT=100ms, and open the flight recorder's snapshot of a slow request",
				openRate, 1000*y.OpenP99, 1000*s.OpenP99, got, ex.Answer.Floor, bound, ex.Number, openRate))
		}
	case "p50":
		res.Ratio = y.P50 / s.P50
		if res.Ratio > ex.Answer.Ratio {
			got, bound := apart(res.Ratio, ex.Answer.Ratio, 2)
			res.Reasons = append(res.Reasons, fmt.Sprintf("median latency %.1f ms is ×%s of the solution's %.1f ms in the same run (a fix stays within ×%s). Next: go tool pprof -http=localhost:8081 %s/fgprof.pprof, and ask which waits could overlap",
				1000*y.P50, got, 1000*s.P50, bound, y.Captures))
		}
	}
	return res
}

// defaultBreaks says how a program's default for flag breaks the promise
// that judge name guards, against the solution's default, or "" when it
// keeps it: the judges run the program with flag set to a short value, so
// they would not see a default that breaks the promise when nobody sets
// it (a validity of an hour, a memory budget of a million).
func defaultBreaks(name, flag, yours, solution string) string {
	if yours == "" {
		return fmt.Sprintf("your program has no default for %s (the solution's is %s): the feature's setting is gone", flag, solution)
	}
	switch name {
	case "fresh":
		y, errY := time.ParseDuration(yours)
		s, errS := time.ParseDuration(solution)
		if errY != nil || errS != nil || y > s {
			return fmt.Sprintf("your program's default %s is %s, the solution's %s: run as it ships, its pages show what they show longer after it stopped being valid than the feature promises", flag, yours, solution)
		}
	case "bounded":
		y, errY := strconv.ParseInt(yours, 10, 64)
		s, errS := strconv.ParseInt(solution, 10, 64)
		if errY != nil || errS != nil || y > s {
			return fmt.Sprintf("your program's default %s is %s, the solution's %s: run as it ships, it keeps more in memory than the feature's budget allows", flag, yours, solution)
		}
	}
	return ""
}

// apart formats a measured value and the bound it is judged by with
// decimals digits after the point, or as many more as it takes (up to
// four more) for the two to read differently: a verdict never prints a
// failing value equal to the bound it failed, such as ×0.50 for 0.496
// against 0.5.
func apart(v, bound float64, decimals int) (string, string) {
	for d := decimals; ; d++ {
		a, b := strconv.FormatFloat(v, 'f', d, 64), strconv.FormatFloat(bound, 'f', d, 64)
		if a != b || d == decimals+4 {
			return a, b
		}
	}
}

// verdict prints the comparison and the verdict, and returns res.
func verdict(w *os.File, ex catalog.Exercise, res report.CheckResult) report.CheckResult {
	res.Pass = res.Tests && len(res.Reasons) == 0
	fn, waitName := watched(ex.Answer, res.Pass || explainNames)
	if res.Yours.Checked > 0 {
		y, s := res.Yours, res.Solution
		fmt.Fprintf(w, "\n4. Compare (same load, same machine, one after the other)\n")
		fmt.Fprintf(w, "   %-28s %14s %14s\n", "", "yours", "solution")
		fmt.Fprintf(w, "   %-28s %10.0f req/s %10.0f req/s\n", "throughput", y.RPS, s.RPS)
		fmt.Fprintf(w, "   %-28s %11.1f ms %11.1f ms\n", "p50", 1000*y.P50, 1000*s.P50)
		fmt.Fprintf(w, "   %-28s %11.1f ms %11.1f ms\n", "p99", 1000*y.P99, 1000*s.P99)
		fmt.Fprintf(w, "   %-28s %14s %14s\n", "wrong answers", fmt.Sprintf("%d of %d", y.Wrong, y.Checked), fmt.Sprintf("%d of %d", s.Wrong, s.Checked))
		if _, ok := ex.Answer.Judge("fsync"); ok {
			fmt.Fprintf(w, "   %-28s %14d %14d\n", "fsync calls in the trace", y.Syncs, s.Syncs)
		}
		_, fresh := ex.Answer.Judge("fresh")
		if _, current := ex.Answer.Judge("current"); fresh || current {
			fmt.Fprintf(w, "   %-28s %12.2fs %12.2fs\n", "oldest extra shown (as_of)", y.Oldest, s.Oldest)
		}
		if ex.Answer.Metric == "p99open" {
			fmt.Fprintf(w, "   %-28s %11.1f ms %11.1f ms\n", fmt.Sprintf("p99, open loop at %.0f/s", openRate), 1000*y.OpenP99, 1000*s.OpenP99)
		}
		if _, ok := ex.Answer.Judge("bounded"); ok {
			fmt.Fprintf(w, "   %-28s %11.1f ms %11.1f ms\n", "p50, users in turn", 1000*y.CycleP50, 1000*s.CycleP50)
		}
		if _, ok := ex.Answer.Judge("reuse"); ok {
			fmt.Fprintf(w, "   %-28s %14.1f %14.1f\n", "new conns per 1,000 requests", y.ConnsPer1000, s.ConnsPer1000)
		}
		if _, ok := ex.Answer.Judge("queries"); ok {
			fmt.Fprintf(w, "   %-28s %14.2f %14.2f\n", "queries per page", y.QueriesPerPage, s.QueriesPerPage)
			fmt.Fprintf(w, "   %-28s %11.2f ms %11.2f ms\n", "pool wait per page", y.PoolWaitMS, s.PoolWaitMS)
		}
		if _, ok := ex.Answer.Judge("quota"); ok {
			fmt.Fprintf(w, "   %-28s %14.0f %14.0f\n", "pool's open connections, max", y.MaxOpen, s.MaxOpen)
		}
		if _, ok := ex.Answer.Judge("allocs"); ok {
			fmt.Fprintf(w, "   %-28s %14.0f %14.0f\n", "heap bytes per request", y.AllocBytes, s.AllocBytes)
			fmt.Fprintf(w, "   %-28s %14.0f %14.0f\n", "heap objects per request", y.AllocObjects, s.AllocObjects)
			fmt.Fprintf(w, "   %-28s %13.0f%% %13.0f%%\n", "GC share of CPU used", 100*y.GCShare, 100*s.GCShare)
		}
		if _, ok := ex.Answer.Judge("leaks"); ok {
			fmt.Fprintf(w, "   %-28s %14s %14s\n", "goroutines before / after", fmt.Sprintf("%.0f / %.0f", y.GoroutinesBefore, y.GoroutinesAfter), fmt.Sprintf("%.0f / %.0f", s.GoroutinesBefore, s.GoroutinesAfter))
			fmt.Fprintf(w, "   %-28s %14d %14d\n", "leak profile: goroutines", y.Leaked, s.Leaked)
		}
		if j, ok := ex.Answer.Judge("lines"); ok {
			fmt.Fprintf(w, "   %-28s %14s %14s\n", j.Arg+" lines / answers", fmt.Sprintf("%d / %d", y.Lines, y.Answered), fmt.Sprintf("%d / %d", s.Lines, s.Answered))
		}
		fmt.Fprintf(w, "   %-28s %13.0f%% %13.0f%%\n", "watched function, wall clock", 100*y.Share, 100*s.Share)
		fmt.Fprintf(w, "   %-28s %13.0f%% %13.0f%%\n", "watched function, CPU", 100*y.CPUShare, 100*s.CPUShare)
		if ex.Answer.Wait != nil {
			fmt.Fprintf(w, "   %-28s %13.0f%% %13.0f%%\n", "wait in it, wall clock", 100*y.WaitWall, 100*s.WaitWall)
			fmt.Fprintf(w, "   %-28s %13.0f%% %13.0f%%\n", "wait in it, CPU", 100*y.WaitCPU, 100*s.WaitCPU)
		}
		fmt.Fprintf(w, "   (share of the handler's samples with %s on the stack", fn)
		if ex.Answer.Wait != nil {
			fmt.Fprintf(w, ",\n    or %s below it", waitName)
		}
		fmt.Fprintf(w, "; wall clock from fgprof.pprof, CPU from cpu.pprof)\n")
		if !res.Pass && !explainNames {
			fmt.Fprintf(w, "   (which function the answer key watches is the exercise's answer: find it in the profiles;\n    make check-%d EXPLAIN=1 names it, and gives the exercise away)\n", ex.Number)
		}
		if ex.Answer.Metric == "p50" && min(y.Share, s.Share) < 0.1 {
			fmt.Fprintf(w, "   (a share near 0%% with a median latency still near the floor of %s: the waits left the handler's goroutine\n    for goroutines the fix starts, which are not counted as handling a request; the latency says what they cost)\n", ex.Answer.Floor)
		}
		if min(y.CPUSamps, s.CPUSamps) < 100 {
			fmt.Fprintf(w, "   (the CPU rows rest on %d and %d samples, one per 10 ms on CPU: they are rough)\n", y.CPUSamps, s.CPUSamps)
		}
	}
	if res.Pass {
		what := "the bottleneck gone from the handler's wall clock, and throughput within reach of the solution's"
		switch {
		case ex.Answer.Metric == "p50" && ex.Answer.Wait != nil:
			what = "the waits overlapped: median latency within reach of the solution's"
		case ex.Answer.Metric == "p50":
			what = "median latency within reach of the solution's"
		case ex.Answer.Share < 0 && ex.Answer.Metric == "rps":
			what = "throughput within reach of the solution's"
		case ex.Answer.Metric == "p99open":
			what = "no request waits far longer than the rest: the open-loop p99 within reach of the solution's"
		case ex.Answer.Wait != nil:
			what = fmt.Sprintf("%s no longer waits in %s, and throughput is within reach of the solution's", fn, waitName)
		}
		promises, class := false, false
		for _, j := range ex.Answer.Judges {
			if catalog.ClassJudges[j.Name] {
				class = true
			} else {
				promises = true
			}
		}
		if class {
			what += ", and the program's own numbers back near the solution's"
		}
		if promises {
			what += ", and the exercise's promises kept"
		}
		fmt.Fprintf(w, "\nPASS: %s. Right answers, %s.\nNext: read solutions/%s/README.md and compare your fix: diff -ru -x README.md %s solutions/%s\n",
			res.Exercise, what, res.Exercise, res.Yours.Dir, res.Exercise)
		return res
	}
	fmt.Fprintf(w, "\nFAIL: %s\n", res.Exercise)
	for _, r := range res.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	return res
}
