package report

import (
	"encoding/json"
	"fmt"
	"github.com/slowpath/slowpath/scripts/internal/captures"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/units"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/slowpath/slowpath/server"
)

// Summary is what the loop's summary found in one folder of captures, as
// numbers: scripts/summary writes it as JSON beside the text, for the
// tools and tests that need the numbers, so that none of them reads the
// text a learner reads.
type Summary struct {
	Name        string         `json:"name"`
	Concurrency int            `json:"concurrency"` // hey's requests in flight
	Hey         load.HeyReport `json:"hey"`         // go tool hey on one URL
	Bodies      load.BodyCheck `json:"bodies"`      // the body check beside it, over the standard mix
	// CPU and Wall are how the request handlers' samples divide among
	// functions, in cpu.pprof and fgprof.pprof.
	CPU  captures.Shares `json:"cpu"`
	Wall captures.Shares `json:"wall"`
	// Steps divides the handlers' CPU samples that carry a step label
	// among the steps; StepsShare is their part of the handlers' CPU.
	Steps      []captures.FuncShare `json:"steps"`
	StepsShare float64              `json:"steps_share"`
	// OpenLoop is the open-loop load that ran after hey, when the loop had
	// a RATE (openloop.json); nil when none ran.
	OpenLoop *load.OpenLoopReport `json:"open_loop,omitempty"`
	// Vars is what the program said about itself at /debug/vars before
	// the load and a second after it (vars-before.json, vars-after.json);
	// nil when the folder has neither.
	Vars *captures.VarsChange `json:"vars,omitempty"`
	// Leaked is how many goroutines the leak profile (goroutineleak.pprof)
	// found blocked forever, -1 when the folder has none.
	Leaked int64 `json:"leaked"`
	// Right is true when answers were checked and none was wrong or missing.
	Right bool `json:"right"`
}

const topN = 8

// Summarize reads the captures of one run of the loop in dir (hey.txt,
// bodies.json, cpu.pprof, fgprof.pprof, and the block, mutex and trace
// captures if there), and writes the loop's summary to w: throughput and
// latency with the mix each comes from, the answers checked, Little's
// law, where the request handlers spend their time on CPU and on the wall
// clock, and the commands that open each capture. It fails when a capture
// is missing or unreadable.
func Summarize(w io.Writer, dir, name string, conc int) (Summary, error) {
	s := Summary{Name: name, Concurrency: conc}
	path := func(f string) string { return filepath.Join(dir, f) }
	f, err := os.Open(path("hey.txt"))
	if err != nil {
		return s, err
	}
	s.Hey, err = load.ParseHey(f)
	f.Close()
	if err != nil {
		return s, fmt.Errorf("%s: %w", path("hey.txt"), err)
	}
	b, err := os.ReadFile(path("bodies.json"))
	if err == nil {
		err = json.Unmarshal(b, &s.Bodies)
	}
	if err != nil {
		return s, fmt.Errorf("cannot read %s: %w", path("bodies.json"), err)
	}
	cpu, errCPU := captures.ReadProfile(path("cpu.pprof"))
	wall, errWall := captures.ReadProfile(path("fgprof.pprof"))
	if errCPU != nil || errWall != nil {
		return s, fmt.Errorf("missing capture: %v %v", errCPU, errWall)
	}
	hey, bodies := s.Hey, s.Bodies

	fmt.Fprintf(w, "\n== %s: %d concurrent for %.1f s ==\n\n", name, conc, hey.Total)
	fmt.Fprintf(w, "Load (go tool hey, every request for one URL: %s)\n", path("hey.txt"))
	fmt.Fprintf(w, "  throughput   %.0f req/s\n", hey.RPS)
	fmt.Fprintf(w, "  latency      p50 %s   p95 %s   p99 %s   mean %s\n",
		units.MS(hey.Percentiles[50]), units.MS(hey.Percentiles[95]), units.MS(hey.Percentiles[99]), units.MS(hey.Average))
	var codes []string
	for _, c := range hey.StatusCodes() {
		codes = append(codes, fmt.Sprintf("%d × %d", hey.Status[c], c))
	}
	fmt.Fprintf(w, "  answers      %s; %d non-2xx, %d transport errors\n", strings.Join(codes, ", "), hey.Non2xx(), hey.TransportErrors())
	for msg, n := range hey.Errors {
		fmt.Fprintf(w, "               %d × %s\n", n, msg)
	}
	fmt.Fprintf(w, "Answers checked (scripts/bodies, %d more requests in flight, the standard mix: %s)\n", bodies.Concurrency, bodies.Mix)
	fmt.Fprintf(w, "  bodies       %d answers checked: %d wrong, %d without answer; p50 %s, p99 %s\n",
		bodies.Checked, bodies.Wrong, bodies.TransportErrors, units.MS(bodies.P50), units.MS(bodies.P99))
	for _, e := range bodies.Examples {
		fmt.Fprintf(w, "               wrong: %s\n", e)
	}

	if hey.Average > 0 {
		predicted := float64(conc) / hey.Average
		fmt.Fprintf(w, "\nLittle's law, for hey: %d in flight / %s mean latency = %.0f req/s predicted; hey measured %.0f req/s (×%.2f)\n",
			conc, units.MS(hey.Average), predicted, hey.RPS, hey.RPS/predicted)
	}

	if b, err := os.ReadFile(path("openloop.json")); err == nil {
		var o load.OpenLoopReport
		if err := json.Unmarshal(b, &o); err != nil {
			return s, fmt.Errorf("%s: %w", path("openloop.json"), err)
		}
		s.OpenLoop = &o
		writeLoads(w, conc, hey, o)
	}

	before, errB := captures.ReadVarsFile(path("vars-before.json"))
	after, errA := captures.ReadVarsFile(path("vars-after.json"))
	if errB == nil && errA == nil {
		s.Vars = &captures.VarsChange{Before: before, After: after}
		fmt.Fprintf(w, "\nThe program's own numbers (/debug/vars: before the load, and a second after it; curl it yourself)\n")
		captures.WriteVars(w, *s.Vars)
	}
	s.Leaked = -1
	if leaks, err := captures.ReadProfile(path("goroutineleak.pprof")); err == nil {
		s.Leaked = captures.Goroutines(leaks)
		fmt.Fprintf(w, "  goroutine leak profile (goroutineleak.pprof, a second after the load): %d goroutines blocked forever\n", s.Leaked)
	}

	s.CPU = captures.TopFunctions(cpu, server.HandlerFrames)
	s.Wall = captures.TopFunctions(wall, server.HandlerFrames)
	cs, ws := s.CPU, s.Wall
	fmt.Fprintf(w, "\nWhere request handling spends its time, under both loads (share of the handler's samples; runtime frames folded into their caller)\n")
	left := fmt.Sprintf("CPU: cpu.pprof, %.2f s (%.0f%% of all)", units.Seconds(cs.Focused), 100*cs.FocusedShare())
	right := fmt.Sprintf("wall clock: fgprof.pprof, %.0f s (%.0f%% of all)", units.Seconds(ws.Focused), 100*ws.FocusedShare())
	fmt.Fprintf(w, "  %-52s %s\n", left, right)
	for i := 0; i < topN; i++ {
		l, r := cell(cs.Top, i), cell(ws.Top, i)
		if l == "" && r == "" {
			break
		}
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-52s %s", l, r), " "))
	}
	if cs.Samples < 100 {
		fmt.Fprintf(w, "  (the CPU column rests on %d samples, one per 10 ms on CPU: its shares are rough)\n", cs.Samples)
	}
	s.Steps, s.StepsShare = captures.LabelShares(cpu, server.HandlerFrames, "step")
	if len(s.Steps) == 0 {
		fmt.Fprintf(w, "  CPU by step: no CPU sample of the handler carries a step label (pprof label step)\n")
	} else {
		var parts []string
		for _, st := range s.Steps {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", st.Func, 100*st.Share))
		}
		fmt.Fprintf(w, "  CPU by step (pprof label step, carried by %.0f%% of the handler's CPU samples; the rest ran between the steps): %s\n",
			100*s.StepsShare, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "  fgprof samples every goroutine, idle connections and the runtime's included: only the handler's share is shown;\n")
	fmt.Fprintf(w, "  its seconds add up over goroutines (100 goroutines waiting for 5 s make 500 s).\n")
	if wall.DurationNanos > 0 {
		inside := float64(ws.Focused) / float64(wall.DurationNanos)
		fmt.Fprintf(w, "  Inside the handler: %.1f requests on average (handler seconds / %.0f s captured), of the %d in flight",
			inside, units.Seconds(wall.DurationNanos), conc+bodies.Concurrency)
		fmt.Fprintf(w, " (%d from hey, %d from the body check);\n  the others were in the network, in the kernel, in hey, or waiting for a CPU.\n", conc, bodies.Concurrency)
	}

	fmt.Fprintf(w, "\nOpen the captures\n")
	port := 8081
	for _, c := range []struct{ file, tool string }{
		{"cpu.pprof", "pprof"}, {"fgprof.pprof", "pprof"}, {"block.pprof", "pprof"}, {"mutex.pprof", "pprof"}, {"trace.out", "trace"},
		{"allocs.pprof", "pprof"}, {"goroutineleak.pprof", "pprof"},
	} {
		if _, err := os.Stat(path(c.file)); err != nil {
			fmt.Fprintf(w, "  (no %s)\n", c.file)
			continue
		}
		fmt.Fprintf(w, "  go tool %s -http=localhost:%d %s\n", c.tool, port, path(c.file))
		port++
	}
	flights, _ := filepath.Glob(path("flight-*.trace"))
	if len(flights) > 0 {
		fmt.Fprintf(w, "\nThe flight recorder's snapshots, one per slow request that met no cooldown (find the request among\nthe user-defined tasks: its log says its path)\n")
		for _, f := range flights {
			fmt.Fprintf(w, "  go tool trace -http=localhost:%d %s\n", port, f)
			port++
		}
	}
	if bodies.Checked == 0 {
		fmt.Fprintf(w, "\n!! No answer's body was checked (see %s): the numbers above may measure a broken server.\n", path("bodies.json"))
		return s, nil
	}
	bad := bodies.Wrong + bodies.TransportErrors + hey.Non2xx() + hey.TransportErrors()
	if s.OpenLoop != nil {
		bad += s.OpenLoop.Wrong + s.OpenLoop.Errors
	}
	if bad > 0 {
		fmt.Fprintf(w, "\n!! %d wrong or missing answers: the numbers above measure a broken server.\n", bad)
		return s, nil
	}
	s.Right = true
	fmt.Fprintf(w, "\nAll %d checked answers were right.\n", bodies.Checked)
	return s, nil
}

// writeLoads prints the closed-loop and the open-loop loads of the same
// program side by side, with why they differ.
func writeLoads(w io.Writer, conc int, hey load.HeyReport, o load.OpenLoopReport) {
	fmt.Fprintf(w, "\nClosed loop against open loop (the same program, one load after the other: hey.txt, openloop.json)\n")
	fmt.Fprintf(w, "  %-12s %-28s %s\n", "", fmt.Sprintf("hey: %d connections", conc), fmt.Sprintf("open loop: %.0f req/s arriving", o.Rate))
	fmt.Fprintf(w, "  %-12s %-28s %s\n", "throughput", fmt.Sprintf("%.0f req/s", hey.RPS), fmt.Sprintf("%.0f req/s (sent %d of %d due)", float64(o.Answered)/o.Seconds, o.Sent, o.Intended))
	for _, row := range []struct {
		name string
		hey  float64
		open float64
	}{{"p50", hey.Percentiles[50], o.P50}, {"p90", hey.Percentiles[90], o.P90}, {"p99", hey.Percentiles[99], o.P99}, {"p99.9", -1, o.P999}, {"max", -1, o.Max}} {
		h := "-"
		if row.hey >= 0 {
			h = units.MS(row.hey)
		}
		fmt.Fprintf(w, "  %-12s %-28s %s\n", row.name, h, units.MS(row.open))
	}
	fmt.Fprintf(w, "  hey sends a connection's next request only once its last is answered, so while the server stalls it\n"+
		"  stops sending and its percentiles miss the requests that would have arrived; the open loop keeps\n"+
		"  sending at its rate and counts each request from the moment it was due.\n")
	if hey.Percentiles[99] >= o.P99 {
		fmt.Fprintf(w, "  Here hey's p99 is no lower than the open loop's: a closed loop's p99 hides a stall only while the\n"+
			"  %d requests its connections hold through each stall stay under 1%% of all it sends, and at %.0f req/s\n"+
			"  (a slow or busy machine) they may not. Compare the p90.\n", conc, hey.RPS)
	}
	if o.Behind() {
		fmt.Fprintf(w, "  !! The open-loop generator fell behind (a request left up to %s late): the server got less than %.0f req/s.\n", units.MS(o.MaxLag), o.Rate)
	}
	if o.Wrong+o.Errors > 0 {
		fmt.Fprintf(w, "  !! The open loop got %d wrong answers and %d without answer, e.g. %v\n", o.Wrong, o.Errors, o.Examples)
	}
}

// cell formats row i of a top list; rows under 0.1% are left blank.
func cell(top []captures.FuncShare, i int) string {
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

// WriteTasks writes the text view of the slowest requests (ReadTasks) of
// the run in dir: three of its trace.out, one of each flight-recorder
// snapshot. The loop's summary and the reference summaries end with it;
// it parses every trace, so tools that want only Summarize's numbers
// leave it out.
func WriteTasks(w io.Writer, dir string) {
	flights, _ := filepath.Glob(filepath.Join(dir, "flight-*.trace"))
	for i, f := range append([]string{filepath.Join(dir, "trace.out")}, flights...) {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		v, err := captures.ReadTasks(f)
		if err != nil {
			fmt.Fprintf(w, "\n(the tasks of %s cannot be read: %v)\n", f, err)
			continue
		}
		n := 3
		if i > 0 {
			n = 1
		}
		fmt.Fprintf(w, "\nThe slowest requests of %s, as text (go run ./scripts/tasks %s; go tool trace shows them under User-defined tasks)\n", f, f)
		v.Print(w, n)
	}
}
