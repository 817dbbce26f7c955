package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
)

// checks runs make check-N on each shipped exercise (it must FAIL) and on
// its solution (it must PASS), and keeps each run's output and result in
// profiles/NN-slug/check-{exercise,solution}.{txt,json}.
func checks(ctx context.Context, only int) error {
	exs, err := catalog.Read(".")
	if err != nil {
		return err
	}
	bin, err := buildTool(ctx, "./scripts/check")
	if err != nil {
		return err
	}
	for _, e := range exs {
		if !e.HasSolution() || (only >= 0 && e.Number != only) {
			continue
		}
		dest := filepath.Join("profiles", e.Name())
		exJSON := filepath.Join(dest, "check-exercise.json")
		args := []string{"-n", fmt.Sprint(e.Number), "-json", exJSON}
		began := time.Now()
		code, err := runKept(ctx, filepath.Join(dest, "check-exercise.txt"), "make check-"+fmt.Sprint(e.Number), bin, args...)
		took := time.Since(began)
		if err != nil {
			return err
		}
		if code != 1 {
			return fmt.Errorf("make check-%d on the shipped exercise exited %d, want 1 (FAIL): see %s/check-exercise.txt", e.Number, code, dest)
		}
		args = []string{"-n", fmt.Sprint(e.Number), "-dir", e.Folder("solutions"), "-solution-from", exJSON, "-json", filepath.Join(dest, "check-solution.json")}
		code, err = runKept(ctx, filepath.Join(dest, "check-solution.txt"), fmt.Sprintf("make check-%d CHECK_DIR=%s", e.Number, e.Folder("solutions")), bin, args...)
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("make check-%d on its solution exited %d, want 0 (PASS): see %s/check-solution.txt", e.Number, code, dest)
		}
		if err := os.WriteFile(filepath.Join(dest, "check-machine.txt"), []byte(where(fmt.Sprintf("make check-%d, on the shipped exercise then on its solution (scripts/check, at its defaults)", e.Number))+
			fmt.Sprintf("took:     %.0f s, the check of the shipped exercise, its tests' race-enabled build warm, as a learner's make check-%d takes after make prepare\n", took.Seconds(), e.Number)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bench runs make bench and keeps its table and rounds in profiles/bench.
func bench(ctx context.Context) error {
	bin, err := buildTool(ctx, "./scripts/bench")
	if err != nil {
		return err
	}
	out := filepath.Join("profiles", "local", "reference", "bench")
	dest := filepath.Join("profiles", "bench")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	code, err := runKept(ctx, filepath.Join(out, "output.txt"), "make bench", bin, "-out", out)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("make bench exited %d: see %s/output.txt", code, out)
	}
	for from, to := range map[string]string{"bench.txt": "bench.txt", "rounds.json": "bench.json"} {
		b, err := os.ReadFile(filepath.Join(out, from))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dest, to), b, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dest, "machine.txt"), []byte(where("make bench (scripts/bench, at its defaults)")), 0o644)
}

// goBenchPackages are the packages whose Go benchmarks say what a request
// costs inside the process: the service's handler and store, a durable
// audit line, the flags' parse.
var goBenchPackages = []string{"./server", "./server/flagfile", "./exercises/01-audit-trail", "./solutions/01-audit-trail", "./exercises/02-feature-flags"}

// goBench runs the Go benchmarks of goBenchPackages and keeps their
// output in profiles/bench/go-test-bench.txt.
func goBench(ctx context.Context) error {
	dest := filepath.Join("profiles", "bench")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-count", "3"}, goBenchPackages...)
	code, err := runKept(ctx, filepath.Join(dest, "go-test-bench.txt"), "go "+strings.Join(args, " "), "go", args...)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("go test -bench exited %d: see %s/go-test-bench.txt", code, dest)
	}
	return nil
}

// buildTool builds one of the kit's commands into the reference folder.
func buildTool(ctx context.Context, pkg string) (string, error) {
	bin, err := filepath.Abs(filepath.Join("profiles", "local", "reference", "bin", filepath.Base(pkg)))
	if err != nil {
		return "", err
	}
	fmt.Printf("+ go build -o %s %s\n", bin, pkg)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return bin, cmd.Run()
}

// runKept runs bin with args, shown as the make command it stands for,
// its output both printed and kept in file, and returns its exit code.
func runKept(ctx context.Context, file, shown, bin string, args ...string) (int, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return 0, err
	}
	f, err := os.Create(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if shown == bin+" "+strings.Join(args, " ") {
		fmt.Printf("\n+ %s\n", shown)
	} else {
		fmt.Printf("\n+ %s   (%s %s)\n", shown, filepath.Base(bin), strings.Join(args, " "))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = io.MultiWriter(os.Stdout, f)
	cmd.Stderr = cmd.Stdout
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, f.Close()
}
