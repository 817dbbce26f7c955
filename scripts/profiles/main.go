// Command profiles is make profiles: it regenerates the reference captures
// in profiles/NN-slug/{exercise,solution}/ for every exercise of the
// catalog (exercise 0 has no solution), then the runs of make check-N and
// make bench that the docs quote, kept as text beside them, so that make
// docs writes every number of the READMEs from committed files. Each
// program is measured as the learner's loop
// measures it at its defaults (harness.Loop: 100 in flight for
// 10 s, the captures 5 s long, a short trace so that each file stays
// under 4 MiB), and beside the captures it writes:
//
//	vars-*.json     the program's own numbers before the load and after it
//	summary.txt     the loop's summary (report.Summarize)
//	shares.txt      the answer key's bottleneck and wait in the handlers' samples
//	flamegraph.png  the wall-clock flame graph, focused on request handling, as
//	                go tool pprof -http draws it (with headless Chromium)
//	machine.txt     the command, the date, the commit, Go and the machine
//
// and then:
//
//	profiles/NN-slug/check-exercise.{txt,json}  make check-N on the shipped exercise: its FAIL
//	profiles/NN-slug/check-solution.{txt,json}  the same check on solutions/NN-slug: its PASS
//	                                            (the solution's side measured once, by the first)
//	profiles/NN-slug/check-machine.txt          where and when both ran
//	profiles/bench/bench.{txt,json}             make bench: its table, and every round by client
//	profiles/bench/go-test-bench.txt            the Go benchmarks of what a request costs in-process
//
//	go run ./scripts/profiles            # every exercise
//	go run ./scripts/profiles -n 1       # exercise 1 only
//	go run ./scripts/profiles -n 1 -kind solutions  # its solution only
//	go run ./scripts/profiles -pictures  # redraw the pictures of the committed captures only
//	go run ./scripts/profiles -only checks  # the checks only (or captures, or bench)
//
// Without Chromium it makes the captures and says in one line that it
// skipped the pictures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/flamegraph"
	"github.com/slowpath/slowpath/scripts/internal/harness"
	"github.com/slowpath/slowpath/scripts/internal/report"
	"github.com/slowpath/slowpath/server"
)

// maxFile bounds each capture; maxTotal the whole of profiles/: about
// 2.5 MiB for each of the 19 programs captured, most of it their traces.
const (
	maxFile  = 4 << 20
	maxTotal = 48 << 20
)

func main() {
	n := flag.Int("n", -1, "only exercise `N`")
	trace := flag.Duration("trace", 500*time.Millisecond, "length of the execution trace")
	pictures := flag.Bool("pictures", false, "only redraw the flame graphs of the committed captures")
	kind := flag.String("kind", "", "only `exercises` or only `solutions` (default both)")
	only := flag.String("only", "", "only this `part`: captures, checks, bench or gobench (default all; -n or -kind mean captures and checks)")
	flag.Parse()
	if *only != "" && *only != "captures" && *only != "checks" && *only != "bench" && *only != "gobench" {
		fmt.Fprintln(os.Stderr, "profiles: -only must be captures, checks, bench or gobench")
		os.Exit(2)
	}
	if *kind != "" && *kind != "exercises" && *kind != "solutions" {
		fmt.Fprintln(os.Stderr, "profiles: -kind must be exercises or solutions")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	part := func(name string) bool { return *only == name || *only == "" }
	if part("captures") || *pictures {
		if err := run(ctx, *n, *kind, *trace, *pictures); err != nil {
			fmt.Fprintln(os.Stderr, "profiles:", err)
			os.Exit(1)
		}
	}
	if *pictures {
		return
	}
	if part("checks") && *kind == "" {
		if err := checks(ctx, *n); err != nil {
			fmt.Fprintln(os.Stderr, "profiles:", err)
			os.Exit(1)
		}
	}
	if part("bench") && *n < 0 && *kind == "" {
		if err := bench(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "profiles:", err)
			os.Exit(1)
		}
	}
	if part("gobench") && *n < 0 && *kind == "" {
		if err := goBench(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "profiles:", err)
			os.Exit(1)
		}
	}
	fmt.Println("\nNext: make docs writes the READMEs' tables from these files; git diff shows what changed")
}

func run(ctx context.Context, only int, onlyKind string, trace time.Duration, picturesOnly bool) error {
	exs, err := catalog.Read(".")
	if err != nil {
		return fmt.Errorf("%v (run it from the repository's top folder)", err)
	}
	chromium, chromiumErr := flamegraph.FindChromium()
	w := os.Stdout
	opt := harness.LoopOptions{Concurrency: 100, Duration: 10 * time.Second, Capture: 5 * time.Second, Trace: trace, Checkers: 4}
	work, err := filepath.Abs(filepath.Join("profiles", "local", "reference"))
	if err != nil {
		return err
	}
	done := 0
	for _, e := range exs {
		if only >= 0 && e.Number != only {
			continue
		}
		for _, kind := range []string{"exercises", "solutions"} {
			if (onlyKind != "" && kind != onlyKind) || (kind == "solutions" && !e.HasSolution()) {
				continue
			}
			dest := filepath.Join("profiles", e.Name(), strings.TrimSuffix(kind, "s"))
			fmt.Fprintf(w, "\n== %s -> %s ==\n", e.Folder(kind), dest)
			if !picturesOnly {
				if err := capture(ctx, w, e, kind, dest, filepath.Join(work, e.Name(), kind), opt); err != nil {
					return fmt.Errorf("%s: %w", e.Folder(kind), err)
				}
			}
			if chromiumErr == nil {
				err := flamegraph.RenderFlameGraph(ctx, w, flamegraph.FlameGraph{
					Profile: filepath.Join(dest, "fgprof.pprof"), Focus: server.HandlerFrames.String(),
					Out: filepath.Join(dest, "flamegraph.png"), Chromium: chromium,
				})
				if err != nil {
					return fmt.Errorf("%s: flame graph: %w", dest, err)
				}
			}
			done++
		}
	}
	if done == 0 {
		return fmt.Errorf("no exercise %d: make help lists them", only)
	}
	if chromiumErr != nil {
		fmt.Fprintf(w, "\nskipped the pictures (flamegraph.png): %v\n", chromiumErr)
	}
	total, err := size("profiles", filepath.Join("profiles", "local"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprofiles/: %d bytes of reference captures (limit %d MiB)\n", total, maxTotal>>20)
	if total > maxTotal {
		return fmt.Errorf("the reference captures exceed %d MiB", maxTotal>>20)
	}
	return nil
}

// capture runs the loop on one program, with the reference settings and
// ports the kernel picks, in work, and keeps its captures in dest: a
// reference capture is the learner's loop with other settings.
func capture(ctx context.Context, w io.Writer, e catalog.Exercise, kind, dest, work string, opt harness.LoopOptions) error {
	began := time.Now()
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	if err := os.RemoveAll(dest); err != nil {
		return err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	// The exercise's own loop settings: an open-loop load after hey's
	// (RATE), the flight recorder (FLIGHT), whose snapshots are kept.
	l := harness.Loop{Exercise: e, Kind: kind, Out: work, Addr: "127.0.0.1:0", DebugAddr: "127.0.0.1:0", Users: 10000, LoopOptions: opt}
	l.Leaks = e.LeakProfile()
	for _, kv := range e.Loop {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "RATE":
			var err error
			if l.OpenRate, err = strconv.ParseFloat(v, 64); err != nil {
				return fmt.Errorf("the catalog's RATE=%s: %w", v, err)
			}
		case "FLIGHT":
			// One snapshot, of about the last second, small enough to commit.
			abs, err := filepath.Abs(dest)
			if err != nil {
				return err
			}
			l.ServerArgs = append(l.ServerArgs, "-flight-slow", v, "-flight-dir", abs, "-flight-cooldown", "1h", "-flight-min-age", "500ms", "-flight-max-bytes", fmt.Sprint(1<<20))
		}
	}
	if _, err := l.Run(ctx, w); err != nil {
		return err
	}
	kept := append([]string(nil), harness.LoopFiles...)
	if l.Leaks {
		kept = append(kept, "goroutineleak.pprof")
	}
	if l.OpenRate > 0 {
		kept = append(kept, "openloop.json")
	}
	for _, f := range kept {
		if err := os.Rename(filepath.Join(work, f), filepath.Join(dest, f)); err != nil {
			return err
		}
	}
	flights, _ := filepath.Glob(filepath.Join(dest, "flight-*.trace"))
	for _, f := range flights {
		kept = append(kept, filepath.Base(f))
	}
	for _, f := range kept {
		fi, err := os.Stat(filepath.Join(dest, f))
		if err != nil {
			return err
		}
		if fi.Size() > maxFile {
			return fmt.Errorf("%s/%s is %d bytes, over %d MiB: try a shorter -trace", dest, f, fi.Size(), maxFile>>20)
		}
	}
	var summary strings.Builder
	s, err := report.Summarize(&summary, dest, e.Folder(kind), opt.Concurrency)
	if err != nil {
		return err
	}
	if !s.Right {
		return fmt.Errorf("wrong answers under load (see %s/summary.txt):\n%s", dest, summary.String())
	}
	report.WriteTasks(&summary, dest)
	if err := os.WriteFile(filepath.Join(dest, "summary.txt"), []byte(strings.TrimLeft(summary.String(), "\n")), 0o644); err != nil {
		return err
	}
	var shares strings.Builder
	wall, err := captures.ReadProfile(filepath.Join(dest, "fgprof.pprof"))
	if err != nil {
		return err
	}
	cpu, err := captures.ReadProfile(filepath.Join(dest, "cpu.pprof"))
	if err != nil {
		return err
	}
	if e.Answer.Bottleneck != nil {
		captures.ReportShares(&shares, e.Number, e.Answer.Bottleneck, e.Answer.Wait, wall, cpu)
		if err := os.WriteFile(filepath.Join(dest, "shares.txt"), []byte(shares.String()), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "   %.0f req/s (hey), p50 %.1f ms; %d answers checked, all right\n", s.Hey.RPS, 1000*s.Hey.Percentiles[50], s.Bodies.Checked)
	took := fmt.Sprintf("took:     %.0f s, the build included, as make %s-%d takes once its first build is done\n", time.Since(began).Seconds(), strings.TrimSuffix(kind, "s"), e.Number)
	return os.WriteFile(filepath.Join(dest, "machine.txt"), []byte(machine(e, kind, opt)+took), 0o644)
}

// machine says where and how the captures were made.
func machine(e catalog.Exercise, kind string, opt harness.LoopOptions) string {
	return where(fmt.Sprintf("make profiles (scripts/profiles: as make %s-%d does, %d concurrent for %s, trace %s)",
		strings.TrimSuffix(kind, "s"), e.Number, opt.Concurrency, opt.Duration, opt.Trace))
}

// where says what made a file with command: the date, the commit, Go and
// the machine.
func where(command string) string {
	commit := "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
		if exec.Command("git", "diff", "--quiet", "HEAD", "--", "exercises", "solutions", "server", "scripts", ":!*.md").Run() != nil {
			commit += " (with uncommitted changes)"
		}
	}
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("command:  %s\ndate:     %s\ncommit:   %s\ngo:       %s\nmachine:  %d cores, %s, %s %s\n",
		command, time.Now().UTC().Format("2006-01-02T15:04Z"), commit, runtime.Version(), runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH)
}

// size adds up the bytes of the files under dir, except under skip.
func size(dir, skip string) (int64, error) {
	var total int64
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() && path == skip {
			return filepath.SkipDir
		}
		if !fi.IsDir() {
			total += fi.Size()
		}
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	return total, err
}
