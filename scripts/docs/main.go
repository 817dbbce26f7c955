// Command docs is make docs: it writes the generated blocks of the kit's
// Markdown from the committed outputs of make profiles, so that no number
// of a table is typed by hand, and none drifts from its source.
//
//	go run ./scripts/docs          # rewrite every block (make docs)
//	go run ./scripts/docs -check   # change nothing; exit 1 naming each block that differs
//
// A block is the text between a line
//
//	<!-- make docs: KIND [N] -->
//
// and the next line <!-- end make docs -->; everything outside the
// blocks is left alone. The kinds:
//
//	captures N   the reference captures of exercise N and its solution
//	             (profiles/NN-slug/{exercise,solution}): throughput and
//	             latency under hey, requests inside the handler, the answer
//	             key's function and wait in the handlers' samples, the
//	             system calls of the trace
//	baseline     the same for exercise 0 alone (profiles/00-baseline/exercise)
//	symptom N    for exercise N's README: the exercise against exercise 0 in
//	             make bench, and its reference run of the loop; no solution
//	check N      make check-N on the shipped exercise and on its solution
//	             (profiles/NN-slug/check-{exercise,solution}.json)
//	checks       one line per exercise of the same
//	bench        the table of make bench (profiles/bench/bench.txt), as it printed it
//	bench N      the rows and ratios of make bench for exercise N (0: the
//	             baseline and the ceiling), both clients
//	agenda       the day's agenda, from what each exercise asks and the time
//	             its commands took in make profiles
//	gobench      the Go benchmarks of what a request costs in the process
//	             (profiles/bench/go-test-bench.txt)
//
// Each block names its files and the commit, machine and Go version that
// made them (their machine.txt). The kit's test TestDocsAreGenerated
// fails when a block differs from what this command writes.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	check := flag.Bool("check", false, "change nothing; exit 1 if a block differs from what make docs writes")
	flag.Parse()
	files, err := markdownFiles(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(2)
	}
	g := newGenerator(context.Background(), ".")
	stale := 0
	for _, f := range files {
		old, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "docs:", err)
			os.Exit(2)
		}
		out, blocks, err := g.Rewrite(f, old)
		if err != nil {
			fmt.Fprintf(os.Stderr, "docs: %s: %v\n", f, err)
			os.Exit(2)
		}
		if bytes.Equal(out, old) {
			continue
		}
		stale++
		if *check {
			fmt.Printf("%s: %s differ from what make docs writes\n", f, strings.Join(blocks, ", "))
			continue
		}
		if err := os.WriteFile(f, out, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "docs:", err)
			os.Exit(2)
		}
		fmt.Printf("wrote %s (%s)\n", f, strings.Join(blocks, ", "))
	}
	if *check && stale > 0 {
		os.Exit(1)
	}
	if stale == 0 {
		fmt.Println("every generated block is up to date")
	}
}

// markdownFiles lists the kit's Markdown files under root: git's list
// when root is a checkout, else every .md outside profiles/local.
func markdownFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		var files []string
		for _, f := range strings.Fields(string(out)) {
			if _, err := os.Stat(filepath.Join(root, f)); err == nil {
				files = append(files, filepath.Join(root, f))
			}
		}
		return files, nil
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "local" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}
