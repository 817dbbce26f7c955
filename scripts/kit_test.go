package scripts

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/judges"
	"github.com/slowpath/slowpath/scripts/internal/report"
)

// TestExercises holds the kit to its promises, for every exercise of the
// catalog: as shipped, the exercise shows its bottleneck (its function on
// at least half of the handler's wall-clock samples) and make check-N fails on
// it; the solution removes the bottleneck; and make check-N passes on a
// copy of the solution. Where the catalog names the wait behind the
// bottleneck (a lock, a sleep), that wait holds at least half of the
// handler's wall clock and at most a tenth of its CPU samples: the CPU
// profile is blind to it. Each exercise is one check run against its
// solution, and one more on the copy: short loads on loopback.
func TestExercises(t *testing.T) {
	if testing.Short() {
		t.Skip("loads every exercise and solution for about three minutes in all")
	}
	root, work, bin := kit(t, "_kit")
	exs, err := catalog.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range exs {
		if !ex.HasSolution() {
			continue
		}
		t.Run(ex.Name(), func(t *testing.T) {
			a := ex.Answer
			exDir := filepath.Join("exercises", ex.Name())
			// A learner who has fixed (or half-fixed) the exercise must not
			// be told that the kit is broken: the kit's promises are about
			// the exercise as shipped, so an edited folder is measured as git
			// holds it, from a copy.
			dir := ""
			if edited := editedFolder(root, exDir); edited != "" {
				dir = filepath.Join(work, ex.Name(), "pristine", ex.Name())
				pristine(t, root, exDir, dir)
				t.Logf("%s has changes (%s), your fix presumably: the kit measures the exercise as committed, from a copy; make check-%d judges yours", exDir, edited, ex.Number)
			}
			shipped := runCheck(t, root, bin, ex, dir, filepath.Join(work, ex.Name(), "shipped"), true)
			if shipped.Solution.Right() { // the later checks of this exercise compare with it
				keep := filepath.Join(solutionsDir, ex.Name()+".json")
				if b, err := json.Marshal(shipped); err == nil && os.WriteFile(keep, b, 0o644) == nil {
					solutionResults.Store(ex.Number, keep)
				}
			}

			t.Run("exercise reproduces its bottleneck", func(t *testing.T) {
				y := shipped.Yours
				broken := fmt.Sprintf("; the kit is broken: exercise %d as shipped must show its bottleneck (captures: %s)", ex.Number, y.Captures)
				if !y.Right() {
					t.Errorf("%s gave %d wrong answers of %d under load, e.g. %s%s", exDir, y.Wrong, y.Checked, y.Example, broken)
				}
				// A bottleneck that works on CPU shares the wall clock with
				// the handlers that wait for a CPU meanwhile (in the pool, in
				// the scheduler): its CPU samples may show it instead.
				if y.Share < 0.5 && (a.Wait != nil || y.CPUShare < 0.5) {
					t.Errorf("%s: %s is on %.0f%% of the handler's wall-clock samples (%d samples) and %.0f%% of its CPU samples, want at least 50%% of either (of the wall clock, when it waits)%s", exDir, a.BottleneckName(), 100*y.Share, y.Samples, 100*y.CPUShare, broken)
				}
				// The judges of the bottleneck's class, from the program's own
				// numbers: the exercise as shipped fails each of them.
				for _, j := range judges.MustOf(a) {
					if j.Class && !slices.Contains(shipped.Failed, j.Name) {
						t.Errorf("%s as shipped passes the check's %q judge (connections %.1f per 1,000 requests, %.2f queries a page, %.0f bytes a request, %d goroutines leaked): it does not show its bottleneck's class%s",
							exDir, j.Name, y.ConnsPer1000, y.QueriesPerPage, y.AllocBytes, y.Leaked, broken)
					}
				}
				// A mostly idle server gives few CPU samples (one per 10 ms on
				// CPU): the CPU share is judged by the lower end of its 95%
				// confidence interval, so that 3 samples of 25 do not fail a
				// wait that is truly off CPU, and 20 of 25 do.
				if a.Wait != nil && (y.WaitWall < 0.5 || wilsonLower(y.WaitCPU, y.CPUSamps) > 0.10) {
					t.Errorf("%s: the wait, %s, is on %.0f%% of the handler's wall-clock samples and %.0f%% of its %d CPU samples, want at least 50%% and at most 10%%: a wait off CPU%s",
						exDir, a.Wait, 100*y.WaitWall, 100*y.WaitCPU, y.CPUSamps, broken)
				}
			})
			t.Run("check fails on the exercise as shipped", func(t *testing.T) {
				// It must fail for the bottleneck, not on a wrong answer or a
				// crash: on its metric against the solution, or on the watched
				// function's (or wait's) share. On a machine whose disk syncs
				// fast, exercise 1's throughput comes near its threshold, and
				// the watched wait alone tells it from a fix.
				metricFails := judges.Slow(a, shipped.Ratio)
				shareFails := judges.ShareOver(a, shipped.Yours)
				classFails := false
				for _, name := range shipped.Failed {
					classFails = classFails || judges.Find(name).Class
				}
				if shipped.Pass || !(metricFails || shareFails || classFails) {
					t.Errorf("make check-%d on %s as shipped, with nothing fixed: pass=%v, %s ratio ×%.2f against the answer key's ×%.2f, watched share %.0f%% against %.0f%%, failed judges %q: its thresholds in solutions/answers.tsv do not tell the bottleneck from its fix",
						ex.Number, exDir, shipped.Pass, a.Metric, shipped.Ratio, a.Ratio, 100*shipped.Yours.Judged(a.Wait != nil), 100*a.Share, shipped.Failed)
				}
			})
			t.Run("solution removes it", func(t *testing.T) {
				s := shipped.Solution
				if !s.Right() {
					t.Errorf("solutions/%s gave %d wrong answers of %d under load", ex.Name(), s.Wrong, s.Checked)
				}
				if j := s.Judged(a.Wait != nil); judges.ShareOver(a, s) {
					t.Errorf("solutions/%s: %s (or its wait) is still on %.0f%% of the handler's wall-clock samples, want at most %.0f%% (captures: %s)", ex.Name(), a.BottleneckName(), 100*j, 100*a.Share, s.Captures)
				}
			})

			copied := filepath.Join(work, ex.Name(), "copy", ex.Name())
			copyDir(t, filepath.Join(root, "solutions", ex.Name()), copied)
			// The copy's tests are the solution's, which go test ./... has run.
			onCopy := runCheck(t, root, bin, ex, copied, filepath.Join(work, ex.Name(), "copy-captures"), true)
			t.Run("check passes on a copy of the solution", func(t *testing.T) {
				if !onCopy.Pass {
					t.Errorf("make check-%d failed on a copy of solutions/%s: %s", ex.Number, ex.Name(), strings.Join(onCopy.Reasons, "; "))
				}
			})
		})
	}
}

// solutionResults holds, by exercise number, the result file of
// TestExercises' check of the shipped exercise, whose solution side the
// later checks of the same run reuse instead of measuring the solution
// again (check's -solution-from): the same machine, minutes apart, and
// half the loads. solutionsDir is where those files are kept.
var (
	solutionResults sync.Map
	solutionsDir    = func() string { d, _ := os.MkdirTemp("", "slowpath-kit-"); return d }()
)

// kit returns the repository's top folder, a work folder of the given
// name inside the module (the copies must build; its leading _ keeps them
// out of ./...), emptied now and removed when the test ends, and the
// check built into it.
func kit(t *testing.T, name string) (root, work, bin string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	work = filepath.Join(root, "profiles", "local", name)
	if err := os.RemoveAll(work); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	bin = filepath.Join(work, "bin", "check")
	build := exec.Command("go", "build", "-o", bin, "./scripts/check")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./scripts/check: %v\n%s", err, out)
	}
	return root, work, bin
}

// TestWrongFixesFail applies each wrong fix of solutions/wrong-fixes.tsv
// to a copy of its exercise, as committed, and holds make check-N to
// failing it with its reason. A wrong fix judged by the load runs without
// the folder's tests, so that the check's judges of the load must catch
// it by themselves; one judged by the tests runs the whole check.
func TestWrongFixesFail(t *testing.T) {
	if testing.Short() {
		t.Skip("loads each wrong fix beside its solution")
	}
	// Beside the loop's tests, after TestExercises: what these assert is
	// no ratio of speeds, which a busy machine would blur, but the check's
	// judges of promises (a missing fsync, a failing test).
	t.Parallel()
	root, work, bin := kit(t, "_wrong")
	exs, err := catalog.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	fixes, err := catalog.ReadWrongFixes(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixes {
		var ex catalog.Exercise
		for _, e := range exs {
			if e.Number == f.Number {
				ex = e
			}
		}
		t.Run(fmt.Sprintf("%s/%s", ex.Name(), f.Name), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(work, f.Name, ex.Name())
			pristine(t, root, ex.Folder("exercises"), dir)
			copyDir(t, filepath.Join(root, catalog.WrongFixFiles, ex.Name(), f.Name), dir)
			res := runCheck(t, root, bin, ex, dir, filepath.Join(work, f.Name, "captures"), !f.Tests)
			if res.Pass {
				t.Fatalf("make check-%d PASSED the wrong fix %s (%s)", ex.Number, f.Name, f.Fix)
			}
			for _, r := range res.Reasons {
				if strings.Contains(r, f.Reason) {
					return
				}
			}
			t.Errorf("make check-%d failed the wrong fix %s, but none of its reasons says %q: %q", ex.Number, f.Name, f.Reason, res.Reasons)
		})
	}
}

// wilsonLower is the lower end of the 95% Wilson score interval of a
// proportion p observed over n samples.
func wilsonLower(p float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	const z = 1.96
	nf := float64(n)
	return (p + z*z/(2*nf) - z*math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))) / (1 + z*z/nf)
}

// runCheck runs scripts/check on exercise ex (dir "" means the exercise
// folder as it is) and returns its verdict; skipTests leaves out the
// folder's tests, which go test ./... runs anyway. Its output goes to a
// log that the test prints when it fails.
func runCheck(t *testing.T, root, bin string, ex catalog.Exercise, dir, out string, skipTests bool) report.CheckResult {
	t.Helper()
	jsonPath := filepath.Join(out, "result.json")
	// Loads of 3 s (the check lengthens the one that also traces): the
	// shares rest on a second of captures, the verdicts on ratios with
	// wide margins, and ten exercises with their wrong fixes fit in a few
	// minutes.
	args := []string{"-n", strconv.Itoa(ex.Number), "-d", "3s", "-out", out, "-json", jsonPath}
	if prev, ok := solutionResults.Load(ex.Number); ok {
		args = append(args, "-solution-from", prev.(string))
	}
	if skipTests {
		args = append(args, "-skip-tests")
	}
	if dir != "" {
		args = append(args, "-dir", dir)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	output, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); err != nil && (!ok || exit.ExitCode() != 1) {
		t.Fatalf("check %s: %v\n%s", strings.Join(args, " "), err, output)
	}
	var res report.CheckResult
	b, err := os.ReadFile(jsonPath)
	if err == nil {
		err = json.Unmarshal(b, &res)
	}
	if err != nil {
		t.Fatalf("check %s wrote no result: %v\n%s", strings.Join(args, " "), err, output)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output of check %s:\n%s", strings.Join(args, " "), output)
		}
	})
	return res
}

// editedFolder returns git's short status of dir, or "" when git knows
// no change there (or there is no git).
func editedFolder(root, dir string) string {
	cmd := exec.Command("git", "status", "--porcelain", "--", dir)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) > 4 {
		lines = append(lines[:4], "...")
	}
	return strings.Join(lines, " ")
}

// pristine writes the files of dir as git's HEAD holds them into dst.
func pristine(t *testing.T, root, dir, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := exec.Command("sh", "-c", `git archive HEAD "$1" | tar -x -C "$2" --strip-components=2`, "sh", filepath.ToSlash(dir), dst)
	archive.Dir = root
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive HEAD %s: %v\n%s", dir, err, out)
	}
}

// copyDir copies the files of src into dst, as a learner's copy would be.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMain removes what the tests kept between them.
func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(solutionsDir)
	os.RemoveAll(loopDir)
	os.Exit(code)
}
