// Command check is make check-N: it judges a learner's fix of exercise N
// against the solution, measured in the same run, and prints PASS or
// FAIL with the reason and the next thing to look at.
//
//	go run ./scripts/check -n 1                       # exercises/01-audit-trail, as you edited it
//	go run ./scripts/check -n 1 -dir path/to/a/copy   # any folder of the module
//
// In order, it:
//  1. runs the exercise's tests (go test -race) on a copy of the folder
//     with the tests as shipped (those of the solution's folder, the
//     same), which guard the feature: a fix that answers fast but loses
//     audit lines, or races, fails here, however its tests were edited;
//  2. builds the folder and solutions/NN-slug;
//  3. loads each in turn on loopback, every answer's body checked, while
//     it captures a CPU and a wall-clock (fgprof) profile;
//  4. compares: bodies all right; the share of the handler's wall-clock
//     samples with the bottleneck's function on the stack at most the
//     answer key's share; throughput (or median latency) within the
//     answer key's ratio of the solution's; and each judge of the
//     exercise's promises and of its bottleneck's class, which
//     scripts/internal/judges defines, measured on runs of their own
//     where they need one. The answer key is solutions/answers.tsv.
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
	"strings"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/harness"
	"github.com/slowpath/slowpath/scripts/internal/judges"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/report"
	"github.com/slowpath/slowpath/server"
)

func main() {
	n := flag.Int("n", -1, "exercise `number`")
	dir := flag.String("dir", "", "`folder` to check (default exercises/NN-slug)")
	conc := flag.Int("c", judges.Concurrency, "`requests` in flight during each load")
	dur := flag.Duration("d", judges.Duration, "`duration` of each load")
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
	js, err := judges.Of(ex.Answer)
	if err != nil {
		return report.CheckResult{}, fmt.Errorf("%s, exercise %d: %v", catalog.AnswersFile, n, err)
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
		fmt.Fprintf(w, "1. The feature's tests: does it still keep its promises?\n")
		// Inside the module, where go test finds the kit's packages.
		testDir := filepath.Join(out, "_tests", ex.Name()) // "_": go test ./... passes it by
		if absOut, err := filepath.Abs(out); err == nil {
			if cwd, err := os.Getwd(); err != nil || !strings.HasPrefix(absOut, cwd+string(filepath.Separator)) {
				testDir = filepath.Join("profiles", "local", "check", ex.Name(), "_tests", ex.Name())
			}
		}
		if err := withKitTests(w, dir, solution, testDir); err != nil {
			return res, err
		}
		var failed []string
		if res.Tests, failed, err = runTests(ctx, testDir); err != nil {
			return res, err
		}
		if !res.Tests {
			names := "(above)"
			if len(failed) > 0 {
				names = strings.Join(failed, ", ")
			}
			res.Reasons = append(res.Reasons, fmt.Sprintf("the exercise's tests fail on your code: %s. The feature no longer keeps its promises, however fast it is. Next: read the failing test, then go test -race -v -count=1 -run '%s' %s (the command this check ran, on the failing tests alone, in its copy of your folder)",
				names, strings.Join(failed, "|"), pkgPath(testDir)))
			return verdict(w, ex, js, res), nil
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
		return verdict(w, ex, js, res), nil
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
	for _, j := range js {
		if j.Prepare != nil {
			j.Prepare(&opt)
		}
	}
	fmt.Fprintf(w, "\n3. Load yours, then the solution, the same way\n")
	if res.Yours, err = measureOne(ctx, ex, js, yoursBin, dir, filepath.Join(out, "yours"), opt); err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Reasons = append(res.Reasons, fmt.Sprintf("your server failed under the load: %v", err))
		return verdict(w, ex, js, res), nil
	}
	if earlier != nil {
		fmt.Fprintf(w, "   the solution: measured earlier, on this machine (%s)\n", solutionFrom)
		res.Solution = *earlier
	} else if res.Solution, err = measureOne(ctx, ex, js, solBin, solution, filepath.Join(out, "solution"), opt); err != nil {
		return res, fmt.Errorf("%s: %w", solution, err)
	}
	if !res.Solution.Right() {
		return res, fmt.Errorf("the solution gave %d wrong or missing answers of %d (%s): the kit is broken, not your fix", res.Solution.Wrong, res.Solution.Checked, res.Solution.Example)
	}
	return verdict(w, ex, js, judge(ex, js, res)), nil
}

// settingJudges are the flags that the judges js set for their own runs
// (fresh=-FLAG, bounded=-FLAG), by judge.
func settingJudges(js []judges.Bound) map[string]string {
	flags := map[string]string{}
	for _, j := range js {
		if j.Flag {
			flags[j.Name] = j.Arg
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

// withKitTests lays out in to a copy of the learner's folder dir with the
// exercise's own tests, those of the solution's folder (the exercise's
// tests as shipped: the kit keeps the two the same), in place of the
// folder's: the check judges the learner's code, not tests the learner
// may have changed.
func withKitTests(w io.Writer, dir, solution, to string) error {
	fmt.Fprintf(w, "same as: rm -rf %[1]s && mkdir -p %[1]s && cp %[2]s/*.go %[1]s && rm -f %[1]s/*_test.go && cp %[3]s/*_test.go %[1]s   (done in this process: your code, with the exercise's tests as shipped)\n", to, dir, solution)
	if err := os.RemoveAll(to); err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	copyGo := func(from string, tests bool) error {
		files, err := filepath.Glob(filepath.Join(from, "*.go"))
		if err != nil {
			return err
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") != tests {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(to, filepath.Base(f)), b, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	if err := copyGo(dir, false); err != nil {
		return err
	}
	return copyGo(solution, true)
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
// computes its side of the comparison, with the measurements of each of
// the judges js.
func measureOne(ctx context.Context, ex catalog.Exercise, js []judges.Bound, bin, dir, out string, opt harness.LoadOptions) (report.CheckSide, error) {
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
	if side.Defaults, err = flagDefaults(ctx, bin, settingJudges(js)); err != nil {
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
	side.Answered = m.Load.Checked - m.Load.TransportErrors
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
	side.Samples = captures.TopFunctions(m.Wall, server.HandlerFrames).Samples
	side.CPUSamps = captures.TopFunctions(m.CPU, server.HandlerFrames).Samples
	fmt.Fprintf(w, "   %d answers, %.0f req/s, p50 %.1f ms; %d wrong\n", side.Checked, side.RPS, 1000*side.P50, side.Wrong)
	r := judges.Run{W: w, Bin: bin, Dir: abs, Concurrency: opt.Concurrency, M: m}
	if a.Metric == "p99open" {
		if err := judges.MeasureOpen(ctx, r, &side); err != nil {
			return side, err
		}
	}
	for _, j := range js {
		r.Arg = j.Arg
		if err := j.Measure(ctx, r, &side); err != nil {
			return side, fmt.Errorf("the judge %s: %w", j.Name, err)
		}
	}
	return side, nil
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

// judge gives the reasons to fail, if any, from the two measurements:
// the answers, the share of the watched function, each of the judges js,
// and the speed.
func judge(ex catalog.Exercise, js []judges.Bound, res report.CheckResult) report.CheckResult {
	y, s := res.Yours, res.Solution
	a := ex.Answer
	fn, waitName := watched(a, explainNames)
	if !y.Right() {
		res.Reasons = append(res.Reasons, fmt.Sprintf("%d of %d answers under load were wrong or missing, e.g. %s. Next: curl -si the request it names, and read %s/server.log", y.Wrong, y.Checked, y.Example, y.Captures))
	}
	hasWait := a.Wait != nil
	if judges.ShareOver(a, y) {
		what := fn + " on the stack"
		if hasWait {
			what = fmt.Sprintf("%s waiting in %s", fn, waitName)
		}
		got, bound := judges.Apart(100*y.Judged(hasWait), 100*a.Share, 0)
		res.Reasons = append(res.Reasons, fmt.Sprintf("%s%% of the handler's wall-clock samples still have %s (a fix keeps at most %s%%; the solution has %.0f%%). Next: go tool pprof -top -cum %s/fgprof.pprof",
			got, what, bound, 100*s.Judged(hasWait), y.Captures))
	}
	for _, j := range js {
		reasons := j.Verdict(judges.Case{Exercise: ex.Number, Arg: j.Arg, Yours: y, Solution: s})
		// A judge that sets a flag for its own run would not see a default
		// that breaks the promise when nobody sets it (a validity of an
		// hour, a memory budget of a million): the program's own default
		// is judged against the solution's. A kept measurement of the
		// solution from before the defaults were read has none.
		if sd := s.Defaults[j.Arg]; j.Flag && sd != "" {
			reason := ""
			if yd := y.Defaults[j.Arg]; yd == "" {
				reason = fmt.Sprintf("your program has no default for %s (the solution's is %s): the feature's setting is gone", j.Arg, sd)
			} else {
				reason = j.Default(j.Arg, yd, sd)
			}
			if reason != "" {
				reasons = append(reasons, reason+fmt.Sprintf(". Next: go run %s -h", pkgPath(y.Dir)))
			}
		}
		if len(reasons) > 0 {
			res.Reasons = append(res.Reasons, reasons...)
			res.Failed = append(res.Failed, j.Name)
		}
	}
	res.Ratio = speedRatio(a, y, s)
	if !judges.Slow(a, res.Ratio) {
		return res
	}
	switch a.Metric {
	case "rps":
		got, bound := judges.Apart(res.Ratio, a.Ratio, 2)
		res.Reasons = append(res.Reasons, fmt.Sprintf("throughput %.0f req/s is ×%s of the solution's %.0f req/s in the same run (a fix reaches ×%s). Next: go tool pprof -http=localhost:8081 %s/fgprof.pprof, and look for what the handler still waits for",
			y.RPS, got, s.RPS, bound, y.Captures))
	case "p99open":
		got, bound := judges.Apart(res.Ratio, a.Ratio, 1)
		res.Reasons = append(res.Reasons, fmt.Sprintf("under requests arriving at %.0f a second, whatever the answers, your p99 is %.1f ms, against the solution's %.1f ms in the same run: ×%s of the larger of it and %s (a fix stays within ×%s): some requests wait far longer than the rest. Next: make exercise-%d RATE=%.0f FLIGHT=100ms, and open the flight recorder's snapshot of a slow request",
			judges.OpenRate, 1000*y.OpenP99, 1000*s.OpenP99, got, a.Floor, bound, ex.Number, judges.OpenRate))
	case "p50":
		got, bound := judges.Apart(res.Ratio, a.Ratio, 2)
		res.Reasons = append(res.Reasons, fmt.Sprintf("median latency %.1f ms is ×%s of the solution's %.1f ms in the same run (a fix stays within ×%s). Next: go tool pprof -http=localhost:8081 %s/fgprof.pprof, and ask which waits could overlap",
			1000*y.P50, got, 1000*s.P50, bound, y.Captures))
	}
	return res
}

// speedRatio is yours over the solution's on the answer key's metric. A
// p99open exercise compares with the larger of the solution's p99 and the
// answer key's floor: below the floor, a p99 is the machine's noise.
func speedRatio(a catalog.Answer, y, s report.CheckSide) float64 {
	switch a.Metric {
	case "rps":
		return y.RPS / s.RPS
	case "p99open":
		return y.OpenP99 / max(s.OpenP99, a.Floor.Seconds())
	case "p50":
		return y.P50 / s.P50
	}
	return 0
}

// verdict prints the comparison and the verdict, and returns res.
func verdict(w *os.File, ex catalog.Exercise, js []judges.Bound, res report.CheckResult) report.CheckResult {
	res.Pass = res.Tests && len(res.Reasons) == 0
	fn, waitName := watched(ex.Answer, res.Pass || explainNames)
	if res.Yours.Checked > 0 {
		y, s := res.Yours, res.Solution
		fmt.Fprintf(w, "\n4. Compare (same load, same machine, one after the other)\n")
		fmt.Fprintf(w, "   %-38s %14s %14s\n", "", "yours", "solution")
		fmt.Fprintf(w, "   %-38s %10.0f req/s %10.0f req/s\n", "throughput", y.RPS, s.RPS)
		fmt.Fprintf(w, "   %-38s %11.1f ms %11.1f ms\n", "p50", 1000*y.P50, 1000*s.P50)
		fmt.Fprintf(w, "   %-38s %11.1f ms %11.1f ms\n", "p99", 1000*y.P99, 1000*s.P99)
		fmt.Fprintf(w, "   %-38s %14s %14s\n", "wrong answers", fmt.Sprintf("%d of %d", y.Wrong, y.Checked), fmt.Sprintf("%d of %d", s.Wrong, s.Checked))
		if ex.Answer.Metric == "p99open" {
			fmt.Fprintf(w, "   %-38s %11.1f ms %11.1f ms\n", fmt.Sprintf("p99, open loop at %.0f/s", y.OpenRate), 1000*y.OpenP99, 1000*s.OpenP99)
		}
		for _, j := range js {
			for _, row := range j.Rows(j.Arg) {
				fmt.Fprintf(w, "   %-38s %14s %14s\n", row.Label, row.Cell(y), row.Cell(s))
			}
		}
		fmt.Fprintf(w, "   %-38s %13.0f%% %13.0f%%\n", "watched function, wall clock", 100*y.Share, 100*s.Share)
		fmt.Fprintf(w, "   %-38s %13.0f%% %13.0f%%\n", "watched function, CPU", 100*y.CPUShare, 100*s.CPUShare)
		if ex.Answer.Wait != nil {
			fmt.Fprintf(w, "   %-38s %13.0f%% %13.0f%%\n", "wait in it, wall clock", 100*y.WaitWall, 100*s.WaitWall)
			fmt.Fprintf(w, "   %-38s %13.0f%% %13.0f%%\n", "wait in it, CPU", 100*y.WaitCPU, 100*s.WaitCPU)
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
		for _, j := range js {
			if j.Class {
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
