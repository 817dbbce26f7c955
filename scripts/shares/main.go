// Command shares prints, for the captures of one exercise or solution, the
// share of the request handlers' samples that have the catalog's
// bottleneck, and the wait behind it, on the stack: in the wall-clock
// profile (fgprof.pprof) and in the CPU profile (cpu.pprof). These are the
// numbers make check-N and the kit's tests judge by; make profiles writes
// them beside the reference captures, as shares.txt.
//
//	go run ./scripts/shares -n 1 profiles/01-audit-trail/exercise
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/slowpath/slowpath/scripts/measure"
)

func main() {
	n := flag.Int("n", -1, "exercise `number` in exercises/catalog.tsv")
	catalog := flag.String("catalog", "exercises/catalog.tsv", "the catalog's `file`")
	flag.Parse()
	if *n < 1 || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: shares -n N folder (the folder holds fgprof.pprof and cpu.pprof)")
		os.Exit(2)
	}
	ex, err := measure.FindExercise(*catalog, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shares:", err)
		os.Exit(2)
	}
	dir := flag.Arg(0)
	wall, err := measure.ReadProfile(filepath.Join(dir, "fgprof.pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "shares:", err)
		os.Exit(1)
	}
	cpu, err := measure.ReadProfile(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "shares:", err)
		os.Exit(1)
	}
	report(ex, wall, cpu)
}

// report prints the bottleneck's and the wait's shares.
func report(ex measure.Exercise, wall, cpu *profile.Profile) {
	fmt.Printf("Share of the request handlers' samples with the function on the stack (as pprof's cum), exercise %d\n", ex.Number)
	fmt.Printf("  %-64s %10s %6s\n", "", "wall clock", "CPU")
	row := func(what string, re *regexp.Regexp) {
		fmt.Printf("  %-64s %9.1f%% %5.1f%%\n", what,
			100*measure.CumShare(wall, measure.HandlerFrames, re), 100*measure.CumShare(cpu, measure.HandlerFrames, re))
	}
	row("bottleneck: "+ex.BottleneckName(), ex.Bottleneck)
	if ex.Wait != nil {
		row("wait: "+strings.ReplaceAll(strings.Trim(ex.Wait.String(), "^$"), `\`, ""), ex.Wait)
	}
}
