// Command benchtable prints the table of make bench from hey reports:
// one row per program with its median throughput and latencies over the
// rounds, then the ratios asked for, each round's ratio beside the median
// so the noise of the machine shows.
//
//	go run ./scripts/benchtable -row baseline=bench/baseline-*.txt -row ceiling=bench/ceiling-*.txt \
//	    -ratio baseline/ceiling:0.8 -ratio exercise-1/solution-1:<=0.5 -p50 solution-4:<=55ms
//
// A goal (after the colon: a bound, at least by default, or <= for at
// most) is printed beside its line with whether the median meets it, never
// enforced: benchmarks report, tests assert.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/slowpath/slowpath/scripts/measure"
)

type row struct {
	label   string
	reports []measure.HeyReport
}

// listFlag is a flag that may be given more than once.
type listFlag []string

// String returns the values given so far.
func (l *listFlag) String() string { return strings.Join(*l, " ") }

// Set adds one value.
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var rows, ratios listFlag
	flag.Var(&rows, "row", "`label=glob` of hey reports, one per round, in round order (repeatable)")
	flag.Var(&ratios, "ratio", "`a/b[:goal]`: throughput of row a over row b, goal like 0.9 (at least) or <=0.5 (repeatable)")
	var p50s listFlag
	flag.Var(&p50s, "p50", "`row:<=duration`: the row's median p50 against a bound, like solution-4:<=55ms (repeatable)")
	flag.Parse()

	byLabel := map[string]*row{}
	var order []*row
	for _, spec := range rows {
		label, glob, ok := strings.Cut(spec, "=")
		if !ok {
			fail("-row %q: want label=glob", spec)
		}
		files, _ := filepath.Glob(glob)
		if len(files) == 0 {
			fail("-row %s: no file matches %s", label, glob)
		}
		sort.Strings(files)
		r := &row{label: label}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				fail("%v", err)
			}
			rep, err := measure.ParseHey(fh)
			fh.Close()
			if err != nil {
				fail("%s: %v", f, err)
			}
			if bad := rep.Non2xx() + rep.TransportErrors(); bad > 0 {
				fail("%s: %d failed requests: the server is broken, its throughput means nothing", f, bad)
			}
			r.reports = append(r.reports, rep)
		}
		byLabel[label] = r
		order = append(order, r)
	}

	fmt.Printf("%-12s %14s %10s %10s   %s\n", "", "throughput", "p50", "p99", "throughput of each round")
	for _, r := range order {
		var rounds []string
		for _, rep := range r.reports {
			rounds = append(rounds, fmt.Sprintf("%.0f", rep.RPS))
		}
		fmt.Printf("%-12s %8.0f req/s %7.1f ms %7.1f ms   %s\n", r.label,
			median(r.reports, func(h measure.HeyReport) float64 { return h.RPS }),
			1000*median(r.reports, func(h measure.HeyReport) float64 { return h.Percentiles[50] }),
			1000*median(r.reports, func(h measure.HeyReport) float64 { return h.Percentiles[99] }),
			strings.Join(rounds, " "))
	}
	for _, spec := range ratios {
		pair, goal, _ := strings.Cut(spec, ":")
		an, bn, ok := strings.Cut(pair, "/")
		a, b := byLabel[an], byLabel[bn]
		if !ok || a == nil || b == nil {
			fail("-ratio %q: want a/b with a and b among the rows", spec)
		}
		if len(a.reports) != len(b.reports) {
			fail("-ratio %s: %d rounds against %d", pair, len(a.reports), len(b.reports))
		}
		var each []float64
		var shown []string
		for i := range a.reports {
			q := a.reports[i].RPS / b.reports[i].RPS
			each = append(each, q)
			shown = append(shown, fmt.Sprintf("%.2f", q))
		}
		m := mid(each)
		line := fmt.Sprintf("%s throughput: ×%.2f (rounds: %s)", pair, m, strings.Join(shown, " "))
		if goal != "" {
			atMost := strings.HasPrefix(goal, "<=")
			g, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimPrefix(goal, "<="), ">="), 64)
			if err != nil {
				fail("-ratio %q: goal %q is not a number", spec, goal)
			}
			line += "; goal " + verdict(m, g, atMost, fmt.Sprintf("%.2f", g))
		}
		fmt.Println(line)
	}
	for _, spec := range p50s {
		label, goal, _ := strings.Cut(spec, ":")
		r := byLabel[label]
		bound, err := time.ParseDuration(strings.TrimPrefix(goal, "<="))
		if r == nil || !strings.HasPrefix(goal, "<=") || err != nil {
			fail("-p50 %q: want row:<=duration with the row among the rows", spec)
		}
		p50 := median(r.reports, func(h measure.HeyReport) float64 { return h.Percentiles[50] })
		fmt.Printf("%s p50: %.1f ms; goal %s\n", label, 1000*p50, verdict(p50, bound.Seconds(), true, bound.String()))
	}
}

// verdict says whether v meets a goal of at least (or at most) g.
func verdict(v, g float64, atMost bool, shown string) string {
	sign, ok := "≥", v >= g
	if atMost {
		sign, ok = "≤", v <= g
	}
	if ok {
		return sign + " " + shown + ": meets it"
	}
	return sign + " " + shown + ": misses it"
}

func median(reps []measure.HeyReport, f func(measure.HeyReport) float64) float64 {
	v := make([]float64, len(reps))
	for i, r := range reps {
		v[i] = f(r)
	}
	return mid(v)
}

// mid returns the median of v, the mean of the middle two when v has an
// even length; it sorts v.
func mid(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[n/2]
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchtable: "+format+"\n", args...)
	os.Exit(1)
}
