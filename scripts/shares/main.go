// Command shares prints, for the captures of one exercise or solution, the
// share of the request handlers' samples that have the answer key's
// bottleneck, and the wait behind it, on the stack: in the wall-clock
// profile (fgprof.pprof) and in the CPU profile (cpu.pprof). These are the
// numbers make check-N and the kit's tests judge by; make profiles writes
// them beside the reference captures, as shares.txt. It reads the answer
// key (solutions/answers.tsv): it names the cause.
//
//	go run ./scripts/shares -n 1 profiles/01-audit-trail/exercise
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/catalog"
)

func main() {
	n := flag.Int("n", -1, "exercise `number`")
	flag.Parse()
	if *n < 1 || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: shares -n N folder (the folder holds fgprof.pprof and cpu.pprof)")
		os.Exit(2)
	}
	ex, err := catalog.Find(".", *n)
	if err != nil || !ex.HasSolution() {
		fmt.Fprintf(os.Stderr, "shares: exercise %d: %v (run it from the repository's top folder)\n", *n, err)
		os.Exit(2)
	}
	dir := flag.Arg(0)
	wall, err := captures.ReadProfile(filepath.Join(dir, "fgprof.pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "shares:", err)
		os.Exit(1)
	}
	cpu, err := captures.ReadProfile(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "shares:", err)
		os.Exit(1)
	}
	captures.ReportShares(os.Stdout, ex.Number, ex.Answer.Bottleneck, ex.Answer.Wait, wall, cpu)
}
