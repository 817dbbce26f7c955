// Command summary prints what one measurement of the loop found: the load's
// throughput and latency, the answers checked for correctness, Little's
// law, where the request-handling goroutines spent their time on CPU and
// on the wall clock, and the commands that open each capture.
//
//	go run ./scripts/summary -dir profiles/local/exercises/00-baseline -c 100
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
	"strings"

	"github.com/slowpath/slowpath/scripts/measure"
)

const topN = 8

func main() {
	dir := flag.String("dir", ".", "`folder` that holds hey.txt, bodies.json and the captures")
	name := flag.String("name", "", "title of the measurement (default: the folder's name)")
	conc := flag.Int("c", 100, "`concurrency` of the load")
	flag.Parse()
	if *name == "" {
		*name = filepath.Base(*dir)
	}
	os.Exit(run(*dir, *name, *conc))
}

func run(dir, name string, conc int) int {
	path := func(f string) string { return filepath.Join(dir, f) }
	f, err := os.Open(path("hey.txt"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		return 1
	}
	hey, err := measure.ParseHey(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "summary: %s: %v\n", path("hey.txt"), err)
		return 1
	}
	var bodies measure.BodyCheck
	b, err := os.ReadFile(path("bodies.json"))
	if err == nil {
		err = json.Unmarshal(b, &bodies)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "summary: cannot read %s: %v\n", path("bodies.json"), err)
		return 1
	}

	fmt.Printf("\n== %s: %d concurrent for %.1f s ==\n\n", name, conc, hey.Total)
	fmt.Printf("Load (go tool hey, %s)\n", path("hey.txt"))
	fmt.Printf("  throughput   %.0f req/s\n", hey.RPS)
	fmt.Printf("  latency      p50 %s   p95 %s   p99 %s   mean %s\n",
		ms(hey.Percentiles[50]), ms(hey.Percentiles[95]), ms(hey.Percentiles[99]), ms(hey.Average))
	var codes []string
	for _, c := range hey.StatusCodes() {
		codes = append(codes, fmt.Sprintf("%d × %d", hey.Status[c], c))
	}
	fmt.Printf("  answers      %s; %d non-2xx, %d transport errors\n", strings.Join(codes, ", "), hey.Non2xx(), hey.TransportErrors())
	for msg, n := range hey.Errors {
		fmt.Printf("               %d × %s\n", n, msg)
	}
	fmt.Printf("  bodies       %d answers checked over ids 1–%d by %d more requests in flight: %d wrong, %d without answer\n",
		bodies.Checked, bodies.Users, bodies.Concurrency, bodies.Wrong, bodies.TransportErrors)
	for _, e := range bodies.Examples {
		fmt.Printf("               wrong: %s\n", e)
	}

	if hey.Average > 0 {
		predicted := float64(conc) / hey.Average
		fmt.Printf("\nLittle's law: %d in flight / %s mean latency = %.0f req/s predicted; hey measured %.0f req/s (×%.2f)\n",
			conc, ms(hey.Average), predicted, hey.RPS, hey.RPS/predicted)
	}

	cpu, errCPU := measure.ReadProfile(path("cpu.pprof"))
	wall, errWall := measure.ReadProfile(path("fgprof.pprof"))
	if errCPU != nil || errWall != nil {
		fmt.Fprintln(os.Stderr, "summary: missing capture:", errCPU, errWall)
		return 1
	}
	cs := measure.TopFunctions(cpu, measure.HandlerFrames)
	ws := measure.TopFunctions(wall, measure.HandlerFrames)
	fmt.Printf("\nWhere request handling spends its time (share of the handler's samples; runtime frames folded into their caller)\n")
	left := fmt.Sprintf("CPU: cpu.pprof, %.2f s (%.0f%% of all)", seconds(cs.Focused), 100*cs.FocusedShare())
	right := fmt.Sprintf("wall clock: fgprof.pprof, %.0f s (%.0f%% of all)", seconds(ws.Focused), 100*ws.FocusedShare())
	fmt.Printf("  %-52s %s\n", left, right)
	for i := 0; i < topN; i++ {
		l, r := cell(cs.Top, i), cell(ws.Top, i)
		if l == "" && r == "" {
			break
		}
		fmt.Println(strings.TrimRight(fmt.Sprintf("  %-52s %s", l, r), " "))
	}
	if cs.Samples < 100 {
		fmt.Printf("  (the CPU column rests on %d samples, one per 10 ms on CPU: its shares are rough)\n", cs.Samples)
	}
	if steps := measure.LabelShares(cpu, "step"); len(steps) > 0 {
		var parts []string
		for _, s := range steps {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", s.Func, 100*s.Share))
		}
		var labelled int64
		for _, s := range steps {
			labelled += s.Value
		}
		fmt.Printf("  CPU by step (pprof label step; %.0f%% of the handler's CPU carries one, work outside the steps none): %s\n",
			100*float64(labelled)/float64(max(cs.Focused, 1)), strings.Join(parts, ", "))
	}
	fmt.Printf("  fgprof samples every goroutine, idle connections and the runtime's included: only the handler's share is shown;\n")
	fmt.Printf("  its seconds add up over goroutines (100 goroutines waiting for 5 s make 500 s).\n")
	if wall.DurationNanos > 0 {
		inside := float64(ws.Focused) / float64(wall.DurationNanos)
		fmt.Printf("  Inside the handler: %.1f requests on average (handler seconds / %.0f s captured), of the %d in flight",
			inside, seconds(wall.DurationNanos), conc+bodies.Concurrency)
		fmt.Printf(" (%d from hey, %d from the body check);\n  the others were in the network, in the kernel, in hey, or waiting for a CPU.\n", conc, bodies.Concurrency)
	}

	fmt.Printf("\nOpen the captures\n")
	port := 8081
	for _, c := range []struct{ file, tool string }{
		{"cpu.pprof", "pprof"}, {"fgprof.pprof", "pprof"}, {"block.pprof", "pprof"}, {"mutex.pprof", "pprof"}, {"trace.out", "trace"},
	} {
		if _, err := os.Stat(path(c.file)); err != nil {
			fmt.Printf("  (no %s: %v)\n", c.file, err)
			continue
		}
		fmt.Printf("  go tool %s -http=localhost:%d %s\n", c.tool, port, path(c.file))
		port++
	}

	if bodies.Checked == 0 {
		fmt.Printf("\n!! No answer's body was checked (see %s): the numbers above may measure a broken server.\n", path("bodies.txt"))
		return 3
	}
	if bad := bodies.Wrong + bodies.TransportErrors + hey.Non2xx() + hey.TransportErrors(); bad > 0 {
		fmt.Printf("\n!! %d wrong or missing answers: the numbers above measure a broken server.\n", bad)
		return 3
	}
	fmt.Printf("\nAll %d checked answers were right.\n", bodies.Checked)
	return 0
}

// ms formats seconds as milliseconds.
func ms(s float64) string {
	if s < 0.001 {
		return fmt.Sprintf("%.2f ms", s*1000)
	}
	return fmt.Sprintf("%.1f ms", s*1000)
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// cell formats row i of a top list; rows under 0.1% are left blank.
func cell(top []measure.FuncShare, i int) string {
	if i >= len(top) || top[i].Share < 0.001 {
		return ""
	}
	name := strings.TrimPrefix(top[i].Func, "github.com/slowpath/slowpath/")
	name = strings.TrimPrefix(name, "github.com/")
	if len(name) > 44 {
		name = name[:20] + "…" + name[len(name)-23:]
	}
	return fmt.Sprintf("%5.1f%%  %s", 100*top[i].Share, name)
}
