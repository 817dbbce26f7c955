// Command bench is make bench and make compare-N: programs loaded side by
// side, in alternating rounds, with the ratios that say what each costs.
//
//	go run ./scripts/bench             # make bench: every group, with the answer key's goals
//	go run ./scripts/bench -n 1        # make compare-N: exercise 1 and its solution, no goal
//
// The programs of a group are started together (on loopback ports the
// kernel picks) and loaded one after the other, round after round, by the
// same clients with the same request mix (load.StandardMix), so that
// all of a group see the same noise. Two clients take turns when wrk is
// installed (Debian's package wrk), one when it is not:
//   - check: the kit's Go client (load.CheckBodies), every answer's
//     status, headers and body checked, so a fast wrong server is caught,
//     not measured;
//   - wrk: a C client that costs a request less than half the CPU, so
//     that on 2 cores it takes less from the servers it loads; it reads
//     statuses only, so its rounds count only after the check client's
//     warm-up found every answer right, and only if its share of 404s is
//     the mix's.
//
// The groups of make bench:
//   - the users service (exercise 0) against the ceiling (scripts/ceiling:
//     the same bytes, and nothing else), and against itself with its
//     flight recorder on;
//   - each exercise against its solution and, where the answer key has a
//     vs-baseline goal, the baseline too, which the solution should come
//     close to.
//
// It prints each program's median throughput, p50 and p99 over the rounds
// with every round's throughput, then the ratios with their goals from
// solutions/answers.tsv; a goal is reported, never enforced: benchmarks
// report, tests assert. It writes the same table to bench.txt and the
// rounds to rounds.json in its folder.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/scripts/internal/catalog"
	"github.com/slowpath/slowpath/scripts/internal/judges"
	"github.com/slowpath/slowpath/scripts/internal/load"
	"github.com/slowpath/slowpath/scripts/internal/proc"
	"github.com/slowpath/slowpath/scripts/internal/units"
)

func main() {
	n := flag.Int("n", -1, "compare exercise `N` and its solution only (make compare-N)")
	rounds := flag.Int("rounds", 5, "`rounds` per group")
	round := flag.Duration("round", 3*time.Second, "`duration` of one program's load in a round, by each client")
	client := flag.String("client", "", "load with this `client` only: check (the kit's Go client) or wrk; default both, wrk where installed")
	conc := flag.Int("c", 50, "`requests` in flight")
	out := flag.String("out", "", "`folder` for the programs' logs and the results (default profiles/local/bench, or profiles/local/compare/NN-slug)")
	flag.Parse()
	if *client != "" && *client != clientCheck && *client != clientWrk {
		fmt.Fprintln(os.Stderr, "bench: -client is check or wrk")
		os.Exit(2)
	}
	clients := []string{clientCheck}
	switch {
	case *client == clientWrk || (*client == "" && load.WrkPath() != ""):
		if load.WrkPath() == "" {
			fmt.Fprintln(os.Stderr, "bench: -client wrk, but wrk is not installed (Debian: apt-get install wrk)")
			os.Exit(2)
		}
		if *client == clientWrk {
			clients = []string{clientWrk}
		} else {
			clients = append(clients, clientWrk)
		}
	}
	if flag.NArg() > 0 || *rounds < 1 || *rounds > 99 || *round < time.Second || *conc < 1 || *conc > 10000 {
		fmt.Fprintln(os.Stderr, "usage: bench [-n N] [-rounds 1..99] [-round 1s or more] [-c 1..10000]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *n, clients, *rounds, *round, *conc, *out); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "bench: interrupted; every program it started is stopped")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// program is one server of a group.
type program struct {
	label string // baseline, ceiling, exercise-1, solution-1, baseline-1
	pkg   string // ./exercises/00-baseline
	build []string
	args  []string // the program's own flags, beside the bench's
	proc  *proc.Program
	runs  map[string][]sample // by client, one per round
}

// sample is one round of one program under one client.
type sample struct {
	RPS float64 `json:"rps"`
	P50 float64 `json:"p50"` // seconds
	P99 float64 `json:"p99"` // seconds
}

// The clients that load the programs; wrk only where it is installed.
const (
	clientCheck = "check"
	clientWrk   = "wrk"
	// clientOpen is the open-loop load (load.OpenLoop) at the check's
	// rate (judges.OpenRate), for the groups whose goal is on the
	// open-loop p99 (an exercise whose stall a closed loop hides).
	clientOpen = "open"
)

// group is programs loaded in the same rounds, and the ratios asked of them.
type group struct {
	programs []*program
	ratios   []ratio
	p50      *p50Goal
	openP99  *ratio // the exercise's open-loop p99 over its solution's, at judges.OpenRate
}

// ratio is a's throughput over b's, with its goal, if any.
type ratio struct {
	a, b string
	goal *catalog.Goal
	// checkClient: the ratio's verdict needs b (the ceiling) clearly
	// faster than a, or it measures the client.
	checkClient bool
}

// p50Goal is a program's median latency against a bound.
type p50Goal struct {
	label string
	goal  catalog.Goal
}

func run(ctx context.Context, only int, clients []string, rounds int, round time.Duration, conc int, out string) error {
	exs, err := catalog.Read(".")
	if err != nil {
		return fmt.Errorf("%v (run it from the repository's top folder)", err)
	}
	var groups []*group
	var title string
	if only >= 0 {
		e, ok := find(exs, only)
		if !ok {
			return fmt.Errorf("no exercise %d in %s: make help lists them", only, catalog.CatalogFile)
		}
		if !e.HasSolution() {
			return fmt.Errorf("exercise %d has no solution: make bench compares it with the ceiling", only)
		}
		g := &group{
			programs: []*program{newProgram(fmt.Sprintf("exercise-%d", only), e, "exercises"), newProgram(fmt.Sprintf("solution-%d", only), e, "solutions")},
			ratios:   []ratio{{a: fmt.Sprintf("exercise-%d", only), b: fmt.Sprintf("solution-%d", only)}},
		}
		if goal, ok := e.Answer.Goal("open-p99"); ok {
			// An exercise judged on its tail is compared on it too.
			g.openP99 = &ratio{a: g.ratios[0].a, b: g.ratios[0].b, goal: &goal}
		}
		groups = append(groups, g)
		title = "make compare-" + fmt.Sprint(only)
		if out == "" {
			out = filepath.Join("profiles", "local", "compare", e.Name())
		}
	} else {
		base, _ := find(exs, 0)
		g := &group{programs: []*program{newProgram("baseline", base, "exercises"), {label: "ceiling", pkg: "./scripts/ceiling"}}}
		r := ratio{a: "baseline", b: "ceiling", checkClient: true}
		if goal, ok := base.Answer.Goal("vs-ceiling"); ok {
			r.goal = &goal
		}
		g.ratios = append(g.ratios, r)
		if goal, ok := base.Answer.Goal("flight"); ok {
			// The recorder on, at a threshold no request reaches: what
			// recording costs, without the snapshots.
			fl := newProgram("baseline-flight", base, "exercises")
			fl.args = []string{"-flight-slow", "1m"}
			g.programs = append(g.programs, fl)
			g.ratios = append(g.ratios, ratio{a: "baseline-flight", b: "baseline", goal: &goal})
		}
		groups = append(groups, g)
		for _, e := range exs {
			if !e.HasSolution() {
				continue
			}
			ex, sol := fmt.Sprintf("exercise-%d", e.Number), fmt.Sprintf("solution-%d", e.Number)
			g := &group{programs: []*program{newProgram(ex, e, "exercises"), newProgram(sol, e, "solutions")}}
			r := ratio{a: ex, b: sol}
			if goal, ok := e.Answer.Goal("vs-solution"); ok {
				r.goal = &goal
			}
			g.ratios = append(g.ratios, r)
			if goal, ok := e.Answer.Goal("vs-baseline"); ok {
				bl := fmt.Sprintf("baseline-%d", e.Number)
				g.programs = append(g.programs, newProgram(bl, base, "exercises"))
				g.ratios = append(g.ratios, ratio{a: sol, b: bl, goal: &goal})
			}
			if goal, ok := e.Answer.Goal("p50"); ok {
				g.p50 = &p50Goal{label: sol, goal: goal}
			}
			if goal, ok := e.Answer.Goal("open-p99"); ok {
				g.openP99 = &ratio{a: ex, b: sol, goal: &goal}
			}
			groups = append(groups, g)
		}
		title = "make bench"
		if out == "" {
			out = filepath.Join("profiles", "local", "bench")
		}
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	w := os.Stdout
	mix := load.StandardMix()
	fmt.Fprintf(w, "== %s: %d requests in flight, %d alternating rounds of %s per group and client; clients: %s; mix: %s ==\n", title, conc, rounds, round, strings.Join(clients, ", "), mix)
	if len(clients) == 1 && clients[0] == clientCheck {
		fmt.Fprintf(w, "(wrk is not installed: only the kit's Go client loads; apt-get install wrk adds a cheaper client beside it)\n")
	}

	// Build each package once, before anything runs.
	bins := map[string]string{}
	fmt.Fprintf(w, "\nBuild\n")
	for _, g := range groups {
		for _, p := range g.programs {
			if _, done := bins[p.pkg]; done {
				continue
			}
			bin, err := proc.Build(ctx, w, ".", p.pkg, filepath.Join(out, "bin", strings.ReplaceAll(strings.TrimPrefix(p.pkg, "./"), "/", "-")), p.build...)
			if err != nil {
				return err
			}
			bins[p.pkg] = bin
		}
	}
	for _, g := range groups {
		if err := runGroup(ctx, w, g, bins, out, mix, clients, rounds, round, conc); err != nil {
			return err
		}
	}

	table := &strings.Builder{}
	fmt.Fprintf(table, "== %s: %d in flight, %d alternating rounds of %s per group, on %d cores, %s ==\n", title, conc, rounds, round, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(table, "mix: %s\n", mix)
	printed := clients
	for _, g := range groups {
		if g.openP99 != nil {
			printed = append(printed, clientOpen)
			break
		}
	}
	for _, c := range printed {
		printTable(table, groups, c, only < 0)
	}
	fmt.Fprintf(w, "\n%s", table)
	if err := os.WriteFile(filepath.Join(out, "bench.txt"), []byte(table.String()), 0o644); err != nil {
		return err
	}
	return writeRounds(filepath.Join(out, "rounds.json"), groups)
}

func find(exs []catalog.Exercise, n int) (catalog.Exercise, bool) {
	for _, e := range exs {
		if e.Number == n {
			return e, true
		}
	}
	return catalog.Exercise{}, false
}

func newProgram(label string, e catalog.Exercise, kind string) *program {
	return &program{label: label, pkg: "./" + e.Folder(kind), build: e.BuildEnv(catalog.GoVersion())}
}

// runGroup starts a group's programs, checks each one's answers under
// load, loads them in alternating rounds and stops them gracefully.
func runGroup(ctx context.Context, w io.Writer, g *group, bins map[string]string, out string, mix load.Mix, clients []string, rounds int, round time.Duration, conc int) error {
	var labels []string
	for _, p := range g.programs {
		labels = append(labels, p.label)
	}
	fmt.Fprintf(w, "\n%s\n", strings.Join(labels, ", "))
	defer func() { // on any failure, nothing is left running
		for _, p := range g.programs {
			if p.proc != nil && !p.proc.Exited() {
				p.proc.Kill()
			}
		}
	}()
	for _, p := range g.programs {
		var err error
		if p.proc, err = proc.Start(ctx, w, bins[p.pkg], mustAbs(filepath.Join(out, p.label)), p.args...); err != nil {
			return fmt.Errorf("%s: %w", p.label, err)
		}
	}
	for _, p := range g.programs {
		fmt.Fprintf(w, "%s: warm-up, and a check that it answers right under load (not counted)\n", p.label)
		res, err := loadBodies(ctx, p, mix, 2*time.Second, conc)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "   %d answers, all right\n", res.Checked)
		p.runs = map[string][]sample{}
	}
	groupClients := clients
	if g.openP99 != nil {
		groupClients = append(append([]string(nil), clients...), clientOpen)
	}
	for r := 1; r <= rounds; r++ {
		for _, c := range groupClients {
			var line []string
			for _, p := range g.programs {
				var s sample
				var err error
				switch c {
				case clientWrk:
					s, err = loadWrk(ctx, w, p, mix, round, conc, filepath.Join(out, p.label), r == 1)
				case clientOpen:
					s, err = loadOpen(ctx, p, mix, round)
				default:
					s, err = loadChecked(ctx, p, mix, round, conc)
				}
				if err != nil {
					return err
				}
				p.runs[c] = append(p.runs[c], s)
				line = append(line, fmt.Sprintf("%s %.0f req/s", p.label, s.RPS))
			}
			fmt.Fprintf(w, "round %d of %d, %s: %s\n", r, rounds, c, strings.Join(line, ", "))
		}
	}
	for _, p := range g.programs {
		err := p.proc.Stop()
		p.proc = nil
		if err != nil {
			return fmt.Errorf("%s: %w", p.label, err)
		}
	}
	return nil
}

// loadOpen runs one open-loop load of p at judges.OpenRate, every answer
// checked; its throughput is the answers per second.
func loadOpen(ctx context.Context, p *program, mix load.Mix, d time.Duration) (sample, error) {
	r, err := load.OpenLoop(ctx, load.OpenLoopOptions{BaseURL: p.proc.App, Mix: mix, Rate: judges.OpenRate, Duration: d})
	if err != nil {
		return sample{}, err
	}
	if r.Wrong+r.Errors > 0 || r.Answered == 0 {
		return sample{}, fmt.Errorf("%s under the open loop: %d wrong and %d missing answers of %d sent (log: %s)", p.label, r.Wrong, r.Errors, r.Sent, p.proc.Log)
	}
	return sample{RPS: float64(r.Answered) / r.Seconds, P50: r.P50, P99: r.P99}, nil
}

func loadChecked(ctx context.Context, p *program, mix load.Mix, d time.Duration, conc int) (sample, error) {
	res, err := loadBodies(ctx, p, mix, d, conc)
	return sample{RPS: res.RPS(), P50: res.P50, P99: res.P99}, err
}

// loadWrk runs one load of p with wrk, printing its command the first
// time, and fails on any socket error or a share of non-2xx answers that
// is not the mix's share of unknown ids.
func loadWrk(ctx context.Context, w io.Writer, p *program, mix load.Mix, d time.Duration, conc int, dir string, show bool) (sample, error) {
	opt := load.WrkOptions{BaseURL: p.proc.App, Mix: mix, Concurrency: conc, Duration: d, Dir: dir}
	if show {
		opt.Log = w
	}
	r, err := load.RunWrk(ctx, opt)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", p.label, err)
	}
	if p.proc.Exited() {
		return sample{}, fmt.Errorf("%s exited during its load; its log: %s", p.label, p.proc.Log)
	}
	if r.Requests == 0 || r.SocketErrors > 0 {
		return sample{}, fmt.Errorf("%s under wrk: %d answers, %d socket errors (log: %s)", p.label, r.Requests, r.SocketErrors, p.proc.Log)
	}
	if share := float64(r.Non2xx) / float64(r.Requests); share < mix.Unknown-0.05 || share > mix.Unknown+0.05 {
		return sample{}, fmt.Errorf("%s under wrk: %.0f%% of its answers were not 2xx, where the mix asks %.0f%% unknown ids: its throughput would mean nothing (log: %s)",
			p.label, 100*share, 100*mix.Unknown, p.proc.Log)
	}
	return sample{RPS: r.RPS, P50: r.P50, P99: r.P99}, nil
}

// loadBodies runs one checked load of p and fails on any wrong or missing answer.
func loadBodies(ctx context.Context, p *program, mix load.Mix, d time.Duration, conc int) (load.BodyCheck, error) {
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	res := load.CheckBodies(lctx, load.BodyCheckOptions{BaseURL: p.proc.App, Mix: mix, Concurrency: conc})
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if p.proc.Exited() {
		return res, fmt.Errorf("%s exited during its load; its log: %s", p.label, p.proc.Log)
	}
	if res.Checked == 0 || res.Wrong+res.TransportErrors > 0 {
		ex := ""
		if len(res.Examples) > 0 {
			ex = ", e.g. " + res.Examples[0]
		}
		return res, fmt.Errorf("%s gave %d wrong and %d missing answers of %d under load%s: its throughput would mean nothing (log: %s)",
			p.label, res.Wrong, res.TransportErrors, res.Checked, ex, p.proc.Log)
	}
	return res, nil
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

func each(runs []sample, f func(sample) float64) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

func rps(r sample) float64 { return r.RPS }

// clientName says in the table what client c is.
func clientName(c string) string {
	switch c {
	case clientCheck:
		return "client check (the kit's Go client, load.CheckBodies: every answer's body checked)"
	case clientWrk:
		return "client wrk (wrk -t 2 with the mix's paths in a Lua script: statuses only)"
	case clientOpen:
		return fmt.Sprintf("client open (load.OpenLoop: %.0f requests a second arriving whatever the answers, latency from each one's due time)", judges.OpenRate)
	}
	return "client " + c
}

// printTable writes client c's rows and ratios; withGoals is false for
// make compare-N, whose ratio has no goal.
func printTable(w io.Writer, groups []*group, c string, withGoals bool) {
	fmt.Fprintf(w, "\n%s\n", clientName(c))
	fmt.Fprintf(w, "%-12s %14s %10s %10s   %s\n", "", "throughput", "p50", "p99", "throughput of each round")
	byLabel := map[string]*program{}
	for _, g := range groups {
		for _, p := range g.programs {
			byLabel[p.label] = p
			var rounds []string
			runs := p.runs[c]
			if len(runs) == 0 {
				continue
			}
			for _, r := range runs {
				rounds = append(rounds, fmt.Sprintf("%.0f", r.RPS))
			}
			fmt.Fprintf(w, "%-12s %8.0f req/s %7.1f ms %7.1f ms   %s\n", p.label, units.Median(each(runs, rps)),
				1000*units.Median(each(runs, func(r sample) float64 { return r.P50 })),
				1000*units.Median(each(runs, func(r sample) float64 { return r.P99 })),
				strings.Join(rounds, " "))
		}
	}
	for _, g := range groups {
		if c == clientOpen {
			if g.openP99 == nil {
				continue
			}
			a, b := byLabel[g.openP99.a], byLabel[g.openP99.b]
			var q []float64
			var shown []string
			for i := range a.runs[c] {
				q = append(q, a.runs[c][i].P99/b.runs[c][i].P99)
				shown = append(shown, fmt.Sprintf("%.1f", q[i]))
			}
			line := fmt.Sprintf("%s/%s open-loop p99: ×%.1f (rounds: %s)", g.openP99.a, g.openP99.b, units.Median(q), strings.Join(shown, " "))
			if withGoals {
				line += "; goal " + verdict(*g.openP99.goal, units.Median(q))
			}
			fmt.Fprintln(w, line)
			continue
		}
		for _, r := range g.ratios {
			a, b := byLabel[r.a], byLabel[r.b]
			var q []float64
			var shown []string
			for i := range a.runs[c] {
				q = append(q, a.runs[c][i].RPS/b.runs[c][i].RPS)
				shown = append(shown, fmt.Sprintf("%.2f", q[i]))
			}
			m := units.Median(q)
			line := fmt.Sprintf("%s/%s throughput, %s: ×%.2f (rounds: %s)", r.a, r.b, c, m, strings.Join(shown, " "))
			switch {
			case r.checkClient && m > 1/clearlyFaster:
				line += fmt.Sprintf("; no verdict: the %s ran at only ×%.2f of the %s (want ×%.2f or more), so the client, not the servers, set the pace", r.b, 1/m, r.a, clearlyFaster)
			case withGoals && r.goal != nil:
				line += "; goal " + verdict(*r.goal, m)
			}
			fmt.Fprintln(w, line)
		}
		if withGoals && g.p50 != nil {
			p := byLabel[g.p50.label]
			v := units.Median(each(p.runs[c], func(r sample) float64 { return r.P50 }))
			fmt.Fprintf(w, "%s p50, %s: %.1f ms; goal %s\n", p.label, c, 1000*v, verdict(g.p50.goal, v))
		}
	}
}

// clearlyFaster is how much faster than the service the ceiling must run
// for their ratio to measure the service: a ceiling held back by the
// client measures the client.
const clearlyFaster = 1.25

// verdict says whether v meets goal g.
func verdict(g catalog.Goal, v float64) string {
	op := "≥"
	if g.AtMost {
		op = "≤"
	}
	bound := fmt.Sprintf("%.2f", g.Bound)
	if g.What == "p50" {
		bound = time.Duration(g.Bound * float64(time.Second)).String()
	}
	if g.Met(v) {
		return op + " " + bound + ": meets it"
	}
	return op + " " + bound + ": misses it"
}

// writeRounds keeps every round of every program, for a table made later.
func writeRounds(path string, groups []*group) error {
	type row struct {
		Label  string              `json:"label"`
		Rounds map[string][]sample `json:"rounds"` // by client
	}
	var rows []row
	for _, g := range groups {
		for _, p := range g.programs {
			rows = append(rows, row{p.label, p.runs})
		}
	}
	b, _ := json.MarshalIndent(rows, "", "  ")
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
