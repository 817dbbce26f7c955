// Command summary prints what one measurement of the loop found: the load's
// throughput and latency, the answers checked for correctness, Little's
// law, where the request-handling goroutines spent their time on CPU and
// on the wall clock, and the commands that open each capture
// (report.Summarize).
//
//	go run ./scripts/summary -dir profiles/local/exercises/00-baseline -c 100 -json summary.json
//
// It exits 1 when a capture is missing or unreadable and 3 when answers
// were wrong (bad bodies, non-2xx statuses, transport errors).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slowpath/slowpath/scripts/internal/report"
)

func main() {
	dir := flag.String("dir", ".", "`folder` that holds hey.txt, bodies.json and the captures")
	name := flag.String("name", "", "title of the measurement (default: the folder's name)")
	conc := flag.Int("c", 100, "`concurrency` of the load")
	jsonOut := flag.String("json", "", "also write the numbers as JSON to `file`")
	flag.Parse()
	if *name == "" {
		*name = filepath.Base(*dir)
	}
	s, err := report.Summarize(os.Stdout, *dir, *name, *conc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
	report.WriteTasks(os.Stdout, *dir)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "summary:", err)
			os.Exit(1)
		}
	}
	if !s.Right {
		os.Exit(3)
	}
}
